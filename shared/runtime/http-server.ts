/** The one place that starts an HTTP listener; node code sees only `fetch` handlers. */
export interface HttpBindings {
  /** The peer's IP address, as the socket reports it (never from forwarded headers). */
  remoteAddress?: string;
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
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    maxRequestBodySize: options.maxRequestBodyBytes,
    idleTimeout: options.idleTimeoutSeconds ?? 30,
    fetch(request, bunServer) {
      const bindings: HttpBindings = {
        get remoteAddress() {
          return bunServer.requestIP(request)?.address;
        },
      };
      return options.fetch(request, bindings);
    },
  });
  const port = server.port ?? options.port;
  const displayHost = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  return {
    hostname: server.hostname ?? options.hostname,
    port,
    url: `http://${displayHost}:${port}`,
    stop: () => server.stop(false),
    forceStop: () => server.stop(true),
    pendingRequests: () => server.pendingRequests,
  };
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}
