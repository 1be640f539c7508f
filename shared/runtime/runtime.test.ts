import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createLogger } from "../log/logger.ts";
import { createFakeClock } from "../testing/fake-clock.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { startBackgroundLoop } from "./background-loop.ts";
import { mapFile, publishWithoutOverwrite, writeFileAtomic, writeFileAtomicSync } from "./files.ts";
import { startHttpServer } from "./http-server.ts";
import { runCommand } from "./process.ts";
import { resolveInside, UnsafePathError } from "./safe-path.ts";

let dir: TempDir;
afterEach(() => dir?.remove());

describe("resolveInside", () => {
  test("joins safe relative paths under the root", () => {
    expect(resolveInside("/srv/audio", "point-1", "2026-01-15", "chunk.ogg")).toBe("/srv/audio/point-1/2026-01-15/chunk.ogg");
    expect(resolveInside("/srv/audio", "a/b.wav")).toBe("/srv/audio/a/b.wav");
  });

  test.each([
    ["../etc/passwd", "contains '..'"],
    ["a/../../b", "contains '..'"],
    ["/etc/passwd", "is absolute"],
    ["C:/windows", "is absolute"],
    ["a\\..\\b", "contains a backslash"],
    ["a\u0000b", "contains control characters"],
    ["", "empty"],
  ])("refuses %j (%s)", (input, reason) => {
    expect(() => resolveInside("/srv/audio", input)).toThrow(new UnsafePathError(input, reason));
  });

  test("refuses a path that resolves to the root itself", () => {
    expect(() => resolveInside("/srv/audio", ".")).toThrow(UnsafePathError);
  });
});

describe("atomic writes", () => {
  test("a file appears only complete, replaces the old one, and leaves no temp file", async () => {
    dir = makeTempDir();
    const path = dir.join("deep/dir/file.bin");
    await writeFileAtomic(path, "first");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    writeFileAtomicSync(path, "sync");
    expect(readFileSync(path, "utf8")).toBe("sync");
    expect(readdirSync(dir.join("deep/dir"))).toEqual(["file.bin"]);
  });

  test("without overwrite an existing file is kept and the write fails with EEXIST", async () => {
    dir = makeTempDir();
    const path = dir.join("kept.bin");
    await writeFileAtomic(path, "original", { overwrite: false });
    await expect(writeFileAtomic(path, "intruder", { overwrite: false })).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(path, "utf8")).toBe("original");
    expect(readdirSync(dir.path)).toEqual(["kept.bin"]);
  });

  test("publishing a finished temp file never replaces a file that appeared under its name", async () => {
    dir = makeTempDir();
    writeFileSync(dir.join(".snapshot.tmp"), "new");
    writeFileSync(dir.join("snapshot"), "appeared meanwhile");
    await expect(publishWithoutOverwrite(dir.join(".snapshot.tmp"), dir.join("snapshot"))).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(dir.join("snapshot"), "utf8")).toBe("appeared meanwhile");
    expect(readdirSync(dir.path)).toEqual(["snapshot"]);
    writeFileSync(dir.join(".other.tmp"), "new");
    await publishWithoutOverwrite(dir.join(".other.tmp"), dir.join("other"));
    expect(readFileSync(dir.join("other"), "utf8")).toBe("new");
    expect(readdirSync(dir.path).sort()).toEqual(["other", "snapshot"]);
  });
});

describe("mapping a file", () => {
  test("gives the file's bytes, which stay readable after the file is removed, and writes to them never reach it", async () => {
    dir = makeTempDir();
    const path = dir.join("table.bin");
    const written = Uint8Array.from({ length: 3 * 4096 + 5 }, (_, index) => index % 251);
    writeFileSync(path, written);
    const mapped = await mapFile(path);
    expect(mapped.byteOffset).toBe(0);
    expect(mapped).toEqual(written);
    rmSync(path);
    expect(mapped[4096 * 2 + 7]).toBe((4096 * 2 + 7) % 251);
    expect(mapped).toEqual(written);
    const other = dir.join("other.bin");
    writeFileSync(other, written);
    const copy = await mapFile(other);
    copy[0] = 250;
    expect(readFileSync(other)[0]).toBe(0);
  });
});

describe("background loop", () => {
  test("backs off on failure, logs a streak once, recovers, and stops on abort", async () => {
    const clock = createFakeClock();
    const lines: string[] = [];
    const logger = createLogger({ node: "test", write: (line) => lines.push(line) });
    const controller = new AbortController();
    let calls = 0;
    const failUntil = 4;
    const loop = startBackgroundLoop({
      name: "uploader",
      intervalMs: 1000,
      clock,
      logger,
      signal: controller.signal,
      backoff: { initialMs: 2000, maxMs: 8000, jitter: 0 },
      tick: async () => {
        calls++;
        if (calls < failUntil) throw new Error(`network down ${calls}`);
        return "idle";
      },
    });
    await clock.advance(0);
    expect(calls).toBe(1);
    expect(loop.state()).toMatchObject({ consecutiveFailures: 1, lastError: "network down 1", running: true });
    await clock.advance(1999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    await clock.advance(4000);
    expect(calls).toBe(3);
    expect(loop.state().consecutiveFailures).toBe(3);
    await clock.advance(8000);
    expect(calls).toBe(4);
    expect(loop.state()).toMatchObject({ consecutiveFailures: 0, lastSuccessAt: clock.now() });
    const messages = lines.map((line) => JSON.parse(line).msg);
    expect(messages).toEqual(["uploader failed; retrying with backoff", "uploader recovered"]);
    controller.abort();
    await loop.stopped;
    expect(loop.state().running).toBe(false);
  });

  test("a busy tick runs again at once to drain a backlog", async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    let backlog = 5;
    const loop = startBackgroundLoop({
      name: "drain",
      intervalMs: 60_000,
      clock,
      logger: createLogger({ node: "test", write: () => {} }),
      signal: controller.signal,
      tick: async () => {
        if (backlog === 0) return "idle";
        backlog--;
        return "busy";
      },
    });
    await clock.advance(0);
    expect(backlog).toBe(0);
    controller.abort();
    await loop.stopped;
  });
});

describe("http server", () => {
  test("stop() lets an in-flight request finish and refuses new connections", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = startHttpServer({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        if (new URL(request.url).pathname === "/slow") await gate;
        return new Response("done");
      },
    });
    const slow = fetch(`${server.url}/slow`).then((response) => response.text());
    await Bun.sleep(50);
    expect(server.pendingRequests()).toBe(1);
    const stopped = server.stop();
    await Bun.sleep(20);
    await expect(fetch(`${server.url}/fast`)).rejects.toThrow();
    release();
    expect(await slow).toBe("done");
    await stopped;
  });
});

describe("runCommand", () => {
  test("collects output and exit code", async () => {
    const result = await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(result).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  });

  test("reports death by signal as 128 + signal number", async () => {
    const result = await runCommand("sh", ["-c", "kill -KILL $$"]);
    expect(result.code).toBe(137);
  });
});
