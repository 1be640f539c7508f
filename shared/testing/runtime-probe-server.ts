/**
 * A small Hono app over the shared/runtime adapters, run by the runtime tests in-process under Bun
 * and as `deno run shared/testing/runtime-probe-server.ts` under Deno, so both implementations of
 * each adapter answer the same requests; this app's /events proves the WebSocket upgrade that the
 * core's campaign socket is built on.
 */
import { Hono } from "hono";
import type { WSContext } from "hono/ws";
import { type HttpBindings, type RunningHttpServer, startHttpServer } from "../runtime/http-server.ts";
import { runCommand, spawnProcess } from "../runtime/process.ts";
import { runtimeKind } from "../runtime/runtime-kind.ts";
import { upgradeWebSocket } from "../runtime/websocket.ts";

export const probeBodyLimitBytes = 1024;
export const probeToken = "probe-token-2f9c";

/** `forceStop` serves POST /force-stop, which drops every connection a moment after it answers. */
export function createRuntimeProbeApp(forceStop: () => Promise<void> = async () => {}): Hono<{ Bindings: HttpBindings }> {
  const sockets = new Set<WSContext>();
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.get("/runtime", (c) => c.json({ runtime: runtimeKind, peer: c.env.remoteAddress ?? null }));
  app.post("/upload", async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  app.get("/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, Number(c.req.query("ms") ?? 500)));
    return c.text("finished");
  });
  app.get("/command", async (c) => c.json(await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"], { env: { PATH: "/usr/bin:/bin" } })));
  app.get("/killed", async (c) => {
    const child = spawnProcess("sleep", ["30"]);
    child.kill("SIGTERM");
    const code = await child.exited;
    child.kill("SIGTERM"); // a second kill after the exit is harmless, as under Bun
    return c.json({ code });
  });
  // Authenticated before the upgrade; a new socket gets a snapshot, then every published event.
  app.get(
    "/events",
    async (c, next) => (c.req.query("token") === probeToken ? next() : c.json({ error: { code: "auth.token_invalid" } }, 401)),
    upgradeWebSocket(() => ({
      onOpen: (_event, ws) => {
        sockets.add(ws);
        ws.send(JSON.stringify({ type: "snapshot", subscribers: sockets.size }));
      },
      onMessage: (event, ws) => ws.send(JSON.stringify({ type: "echo", data: String(event.data) })),
      onClose: (_event, ws) => {
        sockets.delete(ws);
      },
    })),
  );
  app.post("/publish", async (c) => {
    const event = JSON.stringify({ type: "event", body: await c.req.json() });
    for (const socket of sockets) socket.send(event);
    return c.json({ delivered: sockets.size });
  });
  app.post("/force-stop", (c) => {
    setTimeout(() => void forceStop(), 50);
    return c.json({ stopping: true }, 202);
  });
  return app;
}

export function startRuntimeProbe(): RunningHttpServer {
  let server: RunningHttpServer | null = null;
  const app = createRuntimeProbeApp(async () => server?.forceStop());
  server = startHttpServer({ fetch: (request, bindings) => app.fetch(request, bindings), hostname: "127.0.0.1", port: 0, maxRequestBodyBytes: probeBodyLimitBytes });
  return server;
}

if (import.meta.main) {
  const server = startRuntimeProbe();
  process.stderr.write(`${JSON.stringify({ msg: "serving", url: server.url })}\n`);
  process.once("SIGTERM", async () => {
    await server.stop();
    process.stderr.write(`${JSON.stringify({ msg: "stopped" })}\n`);
    process.exit(0);
  });
}
