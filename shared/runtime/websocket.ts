import type { UpgradeWebSocket } from "hono/ws";
import { runtimeKind } from "./runtime-kind.ts";

// hono/bun reads the Bun global as it loads, so each runtime loads only its own adapter.
const adapter =
  runtimeKind === "bun"
    ? await import("hono/bun").then((bun) => ({ upgradeWebSocket: bun.upgradeWebSocket as UpgradeWebSocket, bunHandlers: bun.websocket }))
    : await import("hono/deno").then((deno) => ({ upgradeWebSocket: deno.upgradeWebSocket as UpgradeWebSocket, bunHandlers: undefined }));

/**
 * Hono's WebSocket upgrade for the runtime that runs the process. A route authenticates the caller
 * before it calls this; under Bun, startHttpServer hands the sockets' events back to Hono.
 */
export const upgradeWebSocket: UpgradeWebSocket = adapter.upgradeWebSocket;

/** Bun.serve's `websocket` option (undefined under Deno). */
export const bunWebSocketHandlers = adapter.bunHandlers;

