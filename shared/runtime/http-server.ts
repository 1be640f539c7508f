import { denoApi, runtimeKind } from "./runtime-kind.ts";
import { bunWebSocketHandlers } from "./websocket.ts";

/** The one place that starts an HTTP listener; node code sees only `fetch` handlers. */
export interface HttpBindings {
  /** The peer's IP address, as the socket reports it (never from forwarded headers). */
  remoteAddress?: string;
  /**
   * Lets this request's answer take longer than the idle timeout (it waits on another machine, e.g.
   * an edge importing a published package): its connection is not closed for silence.
   */
  waitsLong?(): void;
}

export type FetchHandler = (request: Request, bindings: HttpBindings) => Response | Promise<Response>;

export interface HttpServerOptions {
  fetch: FetchHandler;
  hostname: string;
  port: number;
  /** Hard cap enforced by the server before any handler runs. */
  maxRequestBodyBytes?: number;
  idleTimeoutSeconds?: number;
}

export interface RunningHttpServer {
  readonly hostname: string;
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  stop(): Promise<void>;
  /** Drops every connection at once. */
  forceStop(): Promise<void>;
  pendingRequests(): number;
}

export function startHttpServer(options: HttpServerOptions): RunningHttpServer {
  return runtimeKind === "bun" ? startBunHttpServer(options) : startDenoHttpServer(options);
}

function startBunHttpServer(options: HttpServerOptions): RunningHttpServer {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    maxRequestBodySize: options.maxRequestBodyBytes,
    idleTimeout: options.idleTimeoutSeconds ?? 30,
    // Always set under Bun. No node's socket takes messages anywhere near 1 MiB: a larger frame closes it (1009).
    websocket: { ...bunWebSocketHandlers!, maxPayloadLength: 1024 * 1024 },
    fetch(request, bunServer) {
      const bindings = {
        get remoteAddress() {
          return bunServer.requestIP(request)?.address;
        },
        waitsLong: () => bunServer.timeout(request, 0),
        // Hono's Bun WebSocket upgrade finds the server here.
        server: bunServer,
      };
      return options.fetch(request, bindings);
    },
  });
  const port = server.port ?? options.port;
  return {
    hostname: server.hostname ?? options.hostname,
    port,
    url: serverUrl(server.hostname ?? options.hostname, port),
    stop: () => server.stop(false),
    forceStop: () => server.stop(true),
    pendingRequests: () => server.pendingRequests,
  };
}

/**
 * Deno.serve has no body cap and no idle timeout of its own: the cap is enforced here (a declared
 * length at once, a streamed body as it arrives); idle connections are left to Deno's defaults.
 */
function startDenoHttpServer(options: HttpServerOptions): RunningHttpServer {
  let pending = 0;
  const abort = new AbortController();
  const server = denoApi().serve({ hostname: options.hostname, port: options.port, signal: abort.signal, onListen: () => {} }, async (request, info) => {
    pending++;
    try {
      if (options.maxRequestBodyBytes === undefined || request.body === null) return await options.fetch(request, { remoteAddress: info.remoteAddr.hostname });
      const limited = limitRequestBody(request, options.maxRequestBodyBytes);
      if (limited === null) return payloadTooLarge();
      let response: Response;
      try {
        response = await options.fetch(limited.request, { remoteAddress: info.remoteAddr.hostname });
      } catch (error) {
        if (limited.exceeded()) return payloadTooLarge();
        throw error;
      }
      // The handler saw its body end early, whatever it answered: the caller learns why, as under Bun.
      return limited.exceeded() ? payloadTooLarge() : response;
    } finally {
      pending--;
    }
  });
  const { hostname, port } = server.addr;
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= server.shutdown());
  return {
    hostname,
    port,
    url: serverUrl(hostname, port),
    stop,
    forceStop: async () => {
      abort.abort();
      await server.finished;
    },
    pendingRequests: () => pending,
  };
}

function payloadTooLarge(): Response {
  return new Response("Payload Too Large", { status: 413 });
}

/**
 * The request with its body capped at `maxBytes` (a streamed body fails once it passes the cap),
 * or null when its declared length is already over.
 */
function limitRequestBody(request: Request, maxBytes: number): { request: Request; exceeded: () => boolean } | null {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return null;
  let received = 0;
  const capped = (request.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > maxBytes) controller.error(new Error(`request body is larger than ${maxBytes} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return { request: new Request(request, { body: capped, duplex: "half" } as RequestInit), exceeded: () => received > maxBytes };
}

function serverUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}
