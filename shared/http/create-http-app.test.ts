import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { z } from "zod";
import { createLogger } from "../log/logger.ts";
import { startHttpServer } from "../runtime/http-server.ts";
import { AppError } from "./app-error.ts";
import { bearerTokenOf, tokensMatch } from "./bearer-token.ts";
import { createHttpApp, type HealthReport } from "./create-http-app.ts";
import { MetricsRegistry } from "./metrics.ts";

const loopback = { remoteAddress: "127.0.0.1" };
const remote = { remoteAddress: "203.0.113.9" };

function buildApp(health: () => HealthReport = () => ({ status: "ok", detail: "fine" })) {
  const lines: string[] = [];
  const metrics = new MetricsRegistry();
  const app = createHttpApp({
    node: "test",
    logger: createLogger({ node: "test", write: (line) => lines.push(line) }),
    metrics,
    health,
    maxBodyBytes: 100,
    bodyLimits: [
      { pathPrefix: "/upload", maxBytes: 1000 },
      { pathPrefix: "/stream", maxBytes: 5000, streamed: true },
    ],
    authorizeOperations: (c) => tokensMatch(bearerTokenOf(c.req.header("authorization")), "operator-token-123"),
  });
  app.get("/items/:id", (c) => {
    if (c.req.param("id") === "missing") throw new AppError("items.not_found", 404, "no such item");
    return c.json({ id: c.req.param("id") });
  });
  app.post("/echo", async (c) => c.json({ length: (await c.req.text()).length }));
  app.post("/upload", async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }));
  app.post("/stream", async (c) => {
    let length = 0;
    for await (const chunk of c.req.raw.body as unknown as AsyncIterable<Uint8Array>) length += chunk.length;
    return c.json({ length });
  });
  app.post("/validate", async (c) => c.json(z.object({ name: z.string().min(2) }).parse(await c.req.json())));
  app.get("/crash", () => {
    throw new Error("database exploded with secret details");
  });
  return { app, lines, metrics };
}

describe("createHttpApp", () => {
  test("every response carries a request id; a valid incoming one is kept", async () => {
    const { app } = buildApp();
    const generated = await app.request("/items/1", {}, loopback);
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await app.request("/items/1", { headers: { "x-request-id": "edge-42.abc" } }, loopback);
    expect(kept.headers.get("x-request-id")).toBe("edge-42.abc");
    const replaced = await app.request("/items/1", { headers: { "x-request-id": "bad id with spaces\n" } }, loopback);
    expect(replaced.headers.get("x-request-id")).not.toContain(" ");
  });

  test("expected errors use the one envelope with their code and status", async () => {
    const { app } = buildApp();
    const response = await app.request("/items/missing", { headers: { "x-request-id": "r1" } }, loopback);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "items.not_found", message: "no such item", requestId: "r1" } });

    const unknown = await app.request("/nothing/here", { headers: { "x-request-id": "r2" } }, loopback);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: "route.not_found", message: "no route for GET /nothing/here", requestId: "r2" } });
  });

  test("validation errors say which field is wrong", async () => {
    const { app } = buildApp();
    const response = await app.request("/validate", { method: "POST", body: JSON.stringify({ name: "x" }), headers: { "content-type": "application/json" } }, loopback);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string; details: Array<{ path: string }> } };
    expect(body.error.code).toBe("request.invalid");
    expect(body.error.message).toContain("name:");
    expect(body.error.details[0]!.path).toBe("name");
  });

  test("unexpected errors are logged with the request id and hidden from the caller", async () => {
    const { app, lines } = buildApp();
    const response = await app.request("/crash", { headers: { "x-request-id": "r3" } }, loopback);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("internal");
    expect(body.error.message).not.toContain("secret");
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "request failed");
    expect(logged).toMatchObject({ level: "error", requestId: "r3", path: "/crash", error: { message: "database exploded with secret details" } });
  });

  test("bodies over the limit are refused with 413, declared or streamed", async () => {
    const { app } = buildApp();
    const small = await app.request("/echo", { method: "POST", body: "x".repeat(100) }, loopback);
    expect(small.status).toBe(200);
    const declared = await app.request("/echo", { method: "POST", body: "x".repeat(101) }, loopback);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe("request.body_too_large");
    const streamed = new ReadableStream({
      start(controller) {
        for (let index = 0; index < 5; index++) controller.enqueue(new TextEncoder().encode("y".repeat(50)));
        controller.close();
      },
    });
    const chunked = await app.request("/echo", { method: "POST", body: streamed, duplex: "half" } as RequestInit, loopback);
    expect(chunked.status).toBe(413);
    const larger = await app.request("/upload", { method: "POST", body: "z".repeat(900) }, loopback);
    expect(await larger.json()).toEqual({ length: 900 });
    expect((await app.request("/upload", { method: "POST", body: "z".repeat(1001) }, loopback)).status).toBe(413);
  });

  test("over a real socket, a chunked body read up to the limit is answered 413 and its connection closed: the rest is never read", async () => {
    const { app } = buildApp();
    const server = startHttpServer({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
    try {
      const socket = connect(server.port, "127.0.0.1");
      let answer = "";
      let closed = false;
      socket.on("data", (data) => (answer += data.toString()));
      socket.on("close", () => (closed = true));
      socket.on("error", () => (closed = true)); // EPIPE once the server has closed
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
      const piece = `${(10_000).toString(16)}\r\n${"x".repeat(10_000)}\r\n`;
      // The client keeps sending (up to 4 MB against a 100-byte limit) for as long as the server listens.
      for (let sent = 0; !closed && sent < 4_000_000; sent += 10_000) {
        await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      socket.destroy();
      expect(answer).toStartWith("HTTP/1.1 413");
      expect(answer.toLowerCase()).toContain("connection: close");
      expect(closed).toBe(true);
    } finally {
      await server.forceStop();
    }
  });

  test("streamed routes take bodies up to their own cap, declared up front, and refuse chunked ones", async () => {
    const { app } = buildApp();
    const accepted = await app.request("/stream", { method: "POST", body: "s".repeat(4000), headers: { "content-length": "4000" } }, loopback);
    expect(await accepted.json()).toEqual({ length: 4000 });
    expect(accepted.headers.get("connection")).toBeNull();
    const tooLarge = await app.request("/stream", { method: "POST", body: "s".repeat(6000), headers: { "content-length": "6000" } }, loopback);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get("connection")).toBe("close");
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("s"));
        controller.close();
      },
    });
    const refused = await app.request("/stream", { method: "POST", body: chunked, duplex: "half" } as RequestInit, loopback);
    expect(refused.status).toBe(411);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("request.length_required");
  });

  test("health: full report on loopback or for an operator, status only for others; 503 on error", async () => {
    let status: HealthReport["status"] = "ok";
    const { app } = buildApp(() => ({ status, detail: "queue 3" }));
    expect(await (await app.request("/health", {}, loopback)).json()).toEqual({ status: "ok", detail: "queue 3" });
    expect(await (await app.request("/health", {}, remote)).json()).toEqual({ status: "ok" });
    const operator = await app.request("/health", { headers: { authorization: "Bearer operator-token-123" } }, remote);
    expect(await operator.json()).toEqual({ status: "ok", detail: "queue 3" });
    status = "error";
    const failing = await app.request("/health", {}, remote);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual({ status: "error" });
  });

  test("metrics: Prometheus text for loopback and operators, 403 for anyone else", async () => {
    const { app } = buildApp();
    await app.request("/items/7", {}, loopback);
    await app.request("/items/missing", {}, loopback);
    const response = await app.request("/metrics", {}, loopback);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status="200"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status="404"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{route="/items/:id",le="+Inf"} 2');
    expect((await app.request("/metrics", {}, remote)).status).toBe(403);
    expect((await app.request("/metrics", { headers: { authorization: "Bearer wrong-token" } }, remote)).status).toBe(403);
    expect((await app.request("/metrics", { headers: { authorization: "Bearer operator-token-123" } }, remote)).status).toBe(200);
    // Without a socket address (a proxy that hides it, or a test) nobody counts as loopback.
    expect((await app.request("/metrics")).status).toBe(403);
  });

  test("served over a real socket, the peer address comes from the socket; forwarding headers from an untrusted peer make it a stranger", async () => {
    const { app } = buildApp();
    const server = startHttpServer({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
    try {
      const local = await fetch(`${server.url}/health`);
      expect(await local.json()).toEqual({ status: "ok", detail: "fine" });
      const proxied = await fetch(`${server.url}/health`, { headers: { "x-forwarded-for": "127.0.0.1" } });
      expect(await proxied.json()).toEqual({ status: "ok" });
    } finally {
      await server.stop();
    }
  });
});
