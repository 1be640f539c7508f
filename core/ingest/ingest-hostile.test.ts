/** Hostile uploads against a real listening socket: what a broken or malicious client can send. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { chunkUploadFields, chunkUploadPath, chunkUploadResponse } from "../../shared/contracts/chunk-upload.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { audioChunks, jobs } from "../db/schema.ts";
import { createTestCore, filesUnder, type TestCore, type TestDevice, uploadForm } from "../testing/core-test-app.ts";
import { noiseChunk } from "../testing/test-audio.ts";

let core: TestCore;
let server: RunningHttpServer;
let device: TestDevice;
let bytes: Uint8Array;

beforeAll(async () => {
  core = await createTestCore();
  server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  device = await core.registerDevice();
  bytes = await noiseChunk(1);
});
afterAll(async () => {
  await server.forceStop();
  core.dispose();
});

function storedFiles(): string[] {
  return filesUnder(core.config.audioStoragePath);
}

/** The exact bytes and content type of a recorder's upload, so it can be replayed or cut. */
async function encodedUpload(chunk: { chunkId?: string; startTs?: number } = {}, fields: Record<string, string | null> = {}, fileName = "chunk.ogg") {
  const form = uploadForm(device, { bytes, ...chunk }, core.clock.now(), fields);
  if (fileName !== "chunk.ogg") form.set("chunk_file", new File([bytes as Uint8Array<ArrayBuffer>], fileName, { type: "audio/ogg" }));
  const request = new Request("http://core/", { method: "POST", body: form });
  // Read before the body: Bun forgets a FormData request's content type once the body is consumed.
  const contentType = request.headers.get("content-type")!;
  return { body: new Uint8Array(await request.arrayBuffer()), contentType };
}

function post(body: RequestInit["body"], contentType: string, extra: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${chunkUploadPath}`, { method: "POST", body, headers: { authorization: `Bearer ${device.token}`, "content-type": contentType }, ...extra });
}

describe("hostile uploads over a real socket", () => {
  test("1000 concurrent uploads of one chunk: one row, one file, one job, every answer the same chunk_id", async () => {
    const chunkId = randomUUID();
    const upload = await encodedUpload({ chunkId, startTs: core.clock.now() - 300_000 });
    const responses = await Promise.all(Array.from({ length: 1000 }, () => post(upload.body, upload.contentType)));
    const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, body: chunkUploadResponse.parse(await response.json()) })));
    expect(bodies.every((answer) => answer.status === 200 && answer.body.chunk_id === chunkId)).toBe(true);
    expect(bodies.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    expect(await core.database.db.$count(audioChunks)).toBe(1);
    expect(await core.database.db.$count(jobs)).toBe(1);
    expect(storedFiles().filter((file) => file.includes(chunkId))).toHaveLength(1);
    expect(storedFiles().filter((file) => file.includes(".tmp"))).toEqual([]);
  });

  test("a body cut off mid-upload leaves nothing behind and the server keeps serving", async () => {
    const before = { files: storedFiles().length, rows: await core.database.db.$count(audioChunks) };
    const upload = await encodedUpload({ startTs: core.clock.now() - 200_000 });
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(
          `POST ${chunkUploadPath} HTTP/1.1\r\nHost: core\r\nAuthorization: Bearer ${device.token}\r\nContent-Type: ${upload.contentType}\r\nContent-Length: ${upload.body.length}\r\n\r\n`,
        );
        socket.write(upload.body.subarray(0, Math.floor(upload.body.length / 3)));
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    await Bun.sleep(100);
    expect(storedFiles().length).toBe(before.files);
    expect(await core.database.db.$count(audioChunks)).toBe(before.rows);
    const healthy = await encodedUpload({ startTs: core.clock.now() - 200_000 });
    expect((await post(healthy.body, healthy.contentType)).status).toBe(200);
  });

  test("a streamed body larger than the limit is refused with 413", async () => {
    const piece = new Uint8Array(1024 * 1024).fill(0x41);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 40) return controller.close();
        sent++;
        controller.enqueue(piece);
      },
    });
    const response = await post(stream, "multipart/form-data; boundary=x", { duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("request.body_too_large");
  });

  /**
   * Sends an endless chunked body over a raw socket, honouring back-pressure, until the server
   * answers or closes; returns the status line and how many body bytes the server took meanwhile.
   */
  function endlessChunkedUpload(path: string, headers: string[], capBytes = 256 * 1024 * 1024): Promise<{ statusLine: string; sentBytes: number }> {
    const { port } = new URL(server.url);
    const piece = Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(64 * 1024, 0x41), Buffer.from("\r\n")]);
    return new Promise((resolve, reject) => {
      let answer = "";
      let sentBytes = 0;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.destroy();
        resolve({ statusLine: answer.split("\r\n")[0] ?? "", sentBytes });
      };
      const socket = connect(Number(port), "127.0.0.1", async () => {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: core\r\n${headers.map((header) => `${header}\r\n`).join("")}Transfer-Encoding: chunked\r\n\r\n`);
        while (!finished && sentBytes < capBytes) {
          sentBytes += 64 * 1024;
          if (!socket.write(piece)) {
            await new Promise<void>((drained) => {
              const done = () => {
                socket.off("drain", done).off("close", done);
                drained();
              };
              socket.on("drain", done).on("close", done);
            });
          }
        }
      });
      socket.on("data", (data) => {
        answer += data.toString("latin1");
        if (answer.includes("\r\n\r\n")) finish();
      });
      socket.on("close", finish);
      // A reset while writing (the server closed on unread bytes) ends the attempt like a close.
      socket.on("error", (error: NodeJS.ErrnoException) => (finished ? undefined : answer || error.code === "ECONNRESET" || error.code === "EPIPE" ? finish() : reject(error)));
    });
  }

  /**
   * The server closes with the client's bytes still unread, so its kernel may answer with a reset
   * that overtakes the answer on the client's side. An attempt whose answer was lost that way is
   * measured all the same and made again (at most three times); every attempt's bytes are returned.
   */
  async function answeredEndlessUpload(path: string, headers: string[]): Promise<{ statusLine: string; sentBytes: number[] }> {
    const sentBytes: number[] = [];
    let statusLine = "";
    while (!statusLine && sentBytes.length < 3) {
      const outcome = await endlessChunkedUpload(path, headers);
      statusLine = outcome.statusLine;
      sentBytes.push(outcome.sentBytes);
    }
    return { statusLine, sentBytes };
  }

  test("an endless chunked body without a token is answered 401 at once, without being read", async () => {
    for (const [path, headers] of [
      [chunkUploadPath, ["Content-Type: multipart/form-data; boundary=x"]],
      [chunkUploadPath, ["Authorization: Bearer not-a-device-token-0000", "Content-Type: multipart/form-data; boundary=x"]],
      ["/api/v1/admin/devices", ["Content-Type: application/json"]],
      ["/api/v1/internal/jobs/claim", ["Content-Type: application/json"]],
      ["/api/v1/call-results/batch", ["Content-Type: application/json"]],
    ] as const) {
      const { statusLine, sentBytes } = await answeredEndlessUpload(path, [...headers]);
      expect(statusLine).toStartWith("HTTP/1.1 401");
      // What the socket buffers took before the answer came; nothing near the 32 MiB upload limit.
      expect(Math.max(...sentBytes)).toBeLessThan(16 * 1024 * 1024);
    }
  });

  test("with a device token, an endless chunked body is refused with 413 once past the limit, and not read further", async () => {
    const { statusLine, sentBytes } = await answeredEndlessUpload(chunkUploadPath, [`Authorization: Bearer ${device.token}`, "Content-Type: multipart/form-data; boundary=x"]);
    expect(statusLine).toStartWith("HTTP/1.1 413");
    expect(sentBytes.every((sent) => sent > 32 * 1024 * 1024 && sent < 32 * 1024 * 1024 + 16 * 1024 * 1024)).toBe(true);
  });

  const hostileValues = ["../../../../tmp/salescontrol-evil", "/etc/passwd", "..\\..\\windows", "a/../../b", "%2e%2e%2fetc", "\u0000"];
  const textFields = Object.keys(chunkUploadFields.shape);

  test.each(textFields)("'../' and absolute paths in %s are refused", async (field) => {
    const files = storedFiles().length;
    for (const value of hostileValues) {
      const upload = await encodedUpload({ startTs: core.clock.now() - 100_000 }, { [field]: value });
      const response = await post(upload.body, upload.contentType);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("ingest.invalid_field");
    }
    expect(storedFiles().length).toBe(files);
  });

  test("a hostile file name is ignored: the file lands in the layout, nowhere else", async () => {
    for (const [index, name] of ["../../../../tmp/salescontrol-evil.ogg", "/etc/salescontrol-evil.ogg", "..\\..\\evil.ogg"].entries()) {
      const chunkId = randomUUID();
      const upload = await encodedUpload({ chunkId, startTs: core.clock.now() - 50_000 - index * 1000 }, {}, name);
      const response = await post(upload.body, upload.contentType);
      expect(response.status).toBe(200);
      const body = chunkUploadResponse.parse(await response.json());
      expect(body.stored_path).toStartWith(`${device.pointId}/2026-01-15/${device.registerId}/`);
      expect(body.stored_path).toEndWith(`-${chunkId}.ogg`);
    }
    expect(existsSync("/tmp/salescontrol-evil.ogg")).toBe(false);
    expect(existsSync("/etc/salescontrol-evil.ogg")).toBe(false);
    expect(storedFiles().every((file) => file.startsWith(`${device.pointId}/`) && !file.includes(".."))).toBe(true);
  });
});
