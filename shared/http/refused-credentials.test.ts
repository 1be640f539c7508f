import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { z } from "zod";
import { createLogger } from "../log/logger.ts";
import { startHttpServer } from "../runtime/http-server.ts";
import { createFakeClock } from "../testing/fake-clock.ts";
import { waitUntil } from "../testing/wait-until.ts";
import { AppError } from "./app-error.ts";
import { bearerTokenOf } from "./bearer-token.ts";
import { createHttpApp } from "./create-http-app.ts";
import { readJsonBody } from "./json-body.ts";
import { MetricsRegistry } from "./metrics.ts";
import { RefusedCredentials } from "./refused-credentials.ts";

function buildApp() {
  const lines: Array<{ level: string; msg: string; remoteAddress?: string; refusals?: number }> = [];
  const clock = createFakeClock();
  const logger = createLogger({ node: "test", level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  const app = createHttpApp({
    node: "test",
    logger,
    metrics: new MetricsRegistry(),
    health: () => ({ status: "ok" }),
    maxBodyBytes: 100_000,
    refusedCredentials: new RefusedCredentials({ logger, clock }, { limit: 3, windowMs: 10_000 }),
  });
  app.get("/secret", (c) => {
    if (bearerTokenOf(c.req.header("authorization")) !== "right-token-12345") throw new AppError("auth.invalid_token", 401, "wrong token");
    return c.json({ ok: true });
  });
  app.post("/echo", async (c) => c.json(await readJsonBody(c, z.unknown())));
  return { app, lines, clock };
}

const from = (remoteAddress: string) => ({ remoteAddress });
const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("refused credentials", () => {
  test("are logged once per streak, then throttled with 429 and Retry-After until the window ends", async () => {
    const { app, lines, clock } = buildApp();
    for (let attempt = 0; attempt < 3; attempt++) expect((await app.request("/secret", withToken(`guess-${attempt}`), from("203.0.113.7"))).status).toBe(401);
    const throttled = await app.request("/secret", withToken("right-token-12345"), from("203.0.113.7"));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("10");
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe("auth.too_many_failures");
    // Health stays readable, and other addresses are not affected.
    expect((await app.request("/health", {}, from("203.0.113.7"))).status).toBe(200);
    expect((await app.request("/secret", withToken("right-token-12345"), from("203.0.113.8"))).status).toBe(200);

    const warnings = lines.filter((line) => line.level === "warn");
    expect(warnings.map((line) => [line.msg, line.remoteAddress])).toEqual([
      ["credentials refused; further refusals from this address are counted, not logged", "203.0.113.7"],
      ["too many refused credentials; address throttled", "203.0.113.7"],
    ]);

    await clock.advance(10_000);
    expect((await app.request("/secret", withToken("right-token-12345"), from("203.0.113.7"))).status).toBe(200);
    expect(lines.at(-1)).toMatchObject({ level: "info", msg: "credentials accepted again after refusals", remoteAddress: "203.0.113.7", refusals: 3 });
    // A new streak is logged again, once.
    expect((await app.request("/secret", withToken("guess-again"), from("203.0.113.7"))).status).toBe(401);
    expect((await app.request("/secret", withToken("guess-again"), from("203.0.113.7"))).status).toBe(401);
    expect(lines.filter((line) => line.msg.startsWith("credentials refused")).length).toBe(2);
  });

  test("IPv6 clients are counted by their /64: a fresh address per guess is still the same client", async () => {
    const { app, lines } = buildApp();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await app.request("/secret", withToken(`guess-${attempt}`), from(`2001:db8:1:2::${attempt + 1}`))).status).toBe(401);
    }
    expect((await app.request("/secret", withToken("guess-3"), from("2001:db8:1:2:aaaa:bbbb:cccc:dddd"))).status).toBe(429);
    expect((await app.request("/secret", withToken("right-token-12345"), from("2001:db8:1:3::1"))).status).toBe(200);
    expect(lines.filter((line) => line.level === "warn").map((line) => line.remoteAddress)).toEqual(["2001:db8:1:2::/64", "2001:db8:1:2::/64"]);
  });

  test("4000 wrong tokens from one address produce two log lines and stop being checked", async () => {
    const { app, lines } = buildApp();
    const statuses = new Map<number, number>();
    for (let attempt = 0; attempt < 4000; attempt++) {
      const status = (await app.request("/secret", withToken(`guess-${attempt}`), from("198.51.100.9"))).status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 3, 429: 3997 });
    expect(lines).toHaveLength(2);
  });
});

describe("dropped connections", () => {
  test("a client that disconnects mid-body is logged at debug, not as an error", async () => {
    const { app, lines } = buildApp();
    const server = startHttpServer({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
    try {
      for (const framing of ["Content-Length: 1000\r\n\r\n{\"a\": 1", 'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":']) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, "127.0.0.1", () => {
            socket.write(`POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n${framing}`);
            setTimeout(() => socket.destroy(), 100);
          });
          socket.on("close", () => resolve());
        });
      }
      await waitUntil("both dropped requests to be handled", () => lines.filter((line) => line.level === "debug").length === 2);
      expect(lines.filter((line) => line.level === "error")).toEqual([]);
      expect(lines.filter((line) => line.level === "debug").map((line) => line.msg)).toEqual(["client closed the connection mid-request", "client closed the connection mid-request"]);
    } finally {
      await server.forceStop();
    }
  });
});
