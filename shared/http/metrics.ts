/**
 * A small Prometheus registry: counters, gauges and histograms with labels, and gauges whose value
 * is read at scrape time. Text exposition format 0.0.4.
 */
type Labels = Record<string, string | number>;

interface Series {
  labels: Labels;
  value: number;
}

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export interface Counter {
  inc(labels?: Labels, amount?: number): void;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, amount?: number): void;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

type Metric =
  | { kind: "counter" | "gauge"; name: string; help: string; series: Map<string, Series>; collect?: () => Array<{ labels?: Labels; value: number }> }
  | { kind: "histogram"; name: string; help: string; buckets: number[]; series: Map<string, HistogramSeries> };

export const defaultDurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string, collect?: () => number): Counter {
    const metric = this.#register({ kind: "counter", name, help, series: new Map(), collect: collect ? () => [{ value: collect() }] : undefined });
    return {
      inc: (labels = {}, amount = 1) => {
        const series = seriesFor(metric.series, labels);
        series.value += amount;
      },
    };
  }

  gauge(name: string, help: string, collect?: () => Array<{ labels?: Labels; value: number }> | number): Gauge {
    const metric = this.#register({
      kind: "gauge",
      name,
      help,
      series: new Map(),
      collect: collect ? () => {
        const value = collect();
        return typeof value === "number" ? [{ value }] : value;
      } : undefined,
    });
    return {
      set: (value, labels = {}) => {
        seriesFor(metric.series, labels).value = value;
      },
      inc: (labels = {}, amount = 1) => {
        seriesFor(metric.series, labels).value += amount;
      },
    };
  }

  histogram(name: string, help: string, buckets: number[] = defaultDurationBuckets): Histogram {
    const sorted = [...buckets].sort((a, b) => a - b);
    const metric = this.#register({ kind: "histogram", name, help, buckets: sorted, series: new Map() });
    return {
      observe: (value, labels = {}) => {
        const key = labelKey(labels);
        let series = metric.series.get(key);
        if (!series) {
          series = { labels, counts: new Array(sorted.length).fill(0), sum: 0, count: 0 };
          metric.series.set(key, series);
        }
        for (let index = 0; index < sorted.length; index++) if (value <= sorted[index]!) series.counts[index]!++;
        series.sum += value;
        series.count++;
      },
    };
  }

  render(): string {
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) {
      lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
      lines.push(`# TYPE ${metric.name} ${metric.kind}`);
      if (metric.kind === "histogram") {
        for (const series of metric.series.values()) {
          metric.buckets.forEach((bound, index) => {
            lines.push(`${metric.name}_bucket${formatLabels({ ...series.labels, le: formatNumber(bound) })} ${series.counts[index]}`);
          });
          lines.push(`${metric.name}_bucket${formatLabels({ ...series.labels, le: "+Inf" })} ${series.count}`);
          lines.push(`${metric.name}_sum${formatLabels(series.labels)} ${formatNumber(series.sum)}`);
          lines.push(`${metric.name}_count${formatLabels(series.labels)} ${series.count}`);
        }
        continue;
      }
      const collected = metric.collect ? safeCollect(metric.collect) : [];
      for (const series of metric.series.values()) lines.push(`${metric.name}${formatLabels(series.labels)} ${formatNumber(series.value)}`);
      for (const sample of collected) lines.push(`${metric.name}${formatLabels(sample.labels ?? {})} ${formatNumber(sample.value)}`);
    }
    return `${lines.join("\n")}\n`;
  }

  #register<M extends Metric>(metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) throw new Error(`invalid metric name ${metric.name}`);
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

function seriesFor(map: Map<string, Series>, labels: Labels): Series {
  const key = labelKey(labels);
  let series = map.get(key);
  if (!series) {
    series = { labels, value: 0 };
    map.set(key, series);
  }
  return series;
}

function safeCollect(collect: () => Array<{ labels?: Labels; value: number }>): Array<{ labels?: Labels; value: number }> {
  try {
    return collect();
  } catch {
    return [];
  }
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return keys
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([key, value]) => `${key}="${String(value).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`).join(",")}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Process-level series every node exposes. */
export function registerProcessMetrics(registry: MetricsRegistry, info: { node: string; version: string; commit: string }, startedAt: number): void {
  registry.gauge("salescontrol_build_info", "Build of this node (value is always 1).", () => [{ labels: info, value: 1 }]);
  registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", () => startedAt / 1000);
  registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage.rss());
  registry.gauge("process_heap_bytes", "JavaScript heap in use, in bytes.", () => process.memoryUsage().heapUsed);
  registry.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  });
}
