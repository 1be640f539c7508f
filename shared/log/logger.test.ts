import { describe, expect, test } from "bun:test";
import { createLogger } from "./logger.ts";

function capture(level?: "debug" | "info" | "warn" | "error") {
  const lines: string[] = [];
  const logger = createLogger({ node: "edge", level, write: (line) => lines.push(line), now: () => Date.UTC(2026, 10, 21, 8, 0, 0) });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

describe("logger", () => {
  test("writes one JSON object per line with ts, level, msg, node and context", () => {
    const { logger, lines, records } = capture();
    logger.child({ loop: "sync" }).info("sync finished", { found: 15, sent: 15 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(lines[0]!.trimEnd().includes("\n")).toBe(false);
    expect(records()[0]).toEqual({ ts: "2026-11-21T08:00:00.000Z", level: "info", msg: "sync finished", node: "edge", loop: "sync", found: 15, sent: 15 });
  });

  test("drops lines below the configured level", () => {
    const { logger, records } = capture("warn");
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    expect(records().map((record) => record.msg)).toEqual(["c", "d"]);
  });

  test("never writes secrets, whatever the field is called", () => {
    const { logger, lines } = capture();
    logger.info("configured", { ingestToken: "tok-1", api_key: "key-2", password: "pw-3", VARDB_pass: "pw-4", authorization: "Bearer x", note: "kept" });
    expect(lines[0]).not.toMatch(/tok-1|key-2|pw-3|pw-4|Bearer x/);
    expect(JSON.parse(lines[0]!).note).toBe("kept");
  });

  test("errors become name, message, code and cause; a field cannot overwrite ts/level/msg/node", () => {
    const { logger, records } = capture();
    const error = Object.assign(new Error("connect ECONNREFUSED", { cause: new Error("inner") }), { code: "ECONNREFUSED" });
    logger.error("upload failed", { error, level: "debug", node: "spoofed", count: 10n });
    expect(records()[0]).toMatchObject({
      level: "error",
      node: "edge",
      error: { name: "Error", message: "connect ECONNREFUSED", code: "ECONNREFUSED", cause: { message: "inner" } },
      count: "10",
    });
  });
});
