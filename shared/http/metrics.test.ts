import { describe, expect, test } from "bun:test";
import { MetricsRegistry, registerProcessMetrics } from "./metrics.ts";

describe("MetricsRegistry", () => {
  test("renders counters, gauges and histograms in the Prometheus text format", () => {
    const registry = new MetricsRegistry();
    const uploads = registry.counter("uploads_total", "Chunks uploaded.");
    uploads.inc();
    uploads.inc({ result: "error" }, 2);
    registry.gauge("queue_size", "Chunks waiting.").set(3);
    registry.gauge("spool_bytes", "Bytes in the spool.", () => [{ labels: { dir: 'a"b' }, value: 1024 }]);
    const durations = registry.histogram("upload_seconds", "Upload duration.", [0.1, 1]);
    durations.observe(0.05);
    durations.observe(0.5);
    durations.observe(5);
    expect(registry.render()).toBe(
      [
        "# HELP uploads_total Chunks uploaded.",
        "# TYPE uploads_total counter",
        "uploads_total 1",
        'uploads_total{result="error"} 2',
        "# HELP queue_size Chunks waiting.",
        "# TYPE queue_size gauge",
        "queue_size 3",
        "# HELP spool_bytes Bytes in the spool.",
        "# TYPE spool_bytes gauge",
        'spool_bytes{dir="a\\"b"} 1024',
        "# HELP upload_seconds Upload duration.",
        "# TYPE upload_seconds histogram",
        'upload_seconds_bucket{le="0.1"} 1',
        'upload_seconds_bucket{le="1"} 2',
        'upload_seconds_bucket{le="+Inf"} 3',
        "upload_seconds_sum 5.55",
        "upload_seconds_count 3",
        "",
      ].join("\n"),
    );
  });

  test("refuses duplicate and malformed names", () => {
    const registry = new MetricsRegistry();
    registry.counter("a_total", "a");
    expect(() => registry.counter("a_total", "again")).toThrow("registered twice");
    expect(() => registry.gauge("bad-name", "x")).toThrow("invalid metric name");
  });

  test("process metrics report build info and memory", () => {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry, { node: "pi", version: "1.2.3", commit: "abc" }, 1_700_000_000_000);
    const text = registry.render();
    expect(text).toContain('salescontrol_build_info{node="pi",version="1.2.3",commit="abc"} 1');
    expect(text).toContain("process_start_time_seconds 1700000000");
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
  });
});
