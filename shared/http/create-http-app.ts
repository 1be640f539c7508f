import { randomUUID } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import type { Logger } from "../log/logger.ts";
import { describeZodError, zodIssueDetails } from "./zod-issues.ts";
import { type HttpBindings, isLoopbackAddress } from "../runtime/http-server.ts";
import { type AddressMatcher, ipv6Network64 } from "./address-list.ts";
import { AppError, type ErrorEnvelope } from "./app-error.ts";
import { resolveClientAddress, trustNoProxy } from "./client-address.ts";
import type { RefusedCredentials } from "./refused-credentials.ts";
import type { MetricsRegistry } from "./metrics.ts";

export type AppEnv = { Bindings: HttpBindings; Variables: { requestId: string; clientAddress: string | undefined; errorCode?: string } };
export type HttpApp = Hono<AppEnv>;

export type HealthStatus = "ok" | "degraded" | "error";
export interface HealthReport {
  status: HealthStatus;
  [detail: string]: unknown;
}

export interface CreateHttpAppOptions {
  node: string;
  logger: Logger;
  metrics: MetricsRegistry;
  health: () => HealthReport | Promise<HealthReport>;
  /** Default cap for request bodies; routes listed in `bodyLimits` get their own. */
  maxBodyBytes: number;
  /**
   * `streamed` routes read their body as a stream (large uploads): the body must declare its
   * Content-Length, which is checked up front, and is never buffered here.
   */
  bodyLimits?: Array<{ pathPrefix: string; maxBytes: number; streamed?: boolean }>;
  /**
   * Whether a caller that is not on loopback may read full health details and /metrics
   * (for example with the node's operator token). Loopback callers always may.
   */
  authorizeOperations?: (c: Context<AppEnv>) => boolean | Promise<boolean>;
  /** Proxies whose forwarding headers are believed (TRUSTED_PROXIES); none by default. */
  trustedProxies?: AddressMatcher;
  /**
   * Counts 401 answers per client address: logged once per streak, and an address past the limit
   * is answered 429 with Retry-After (except /health and /metrics) until its window ends.
   */
  refusedCredentials?: RefusedCredentials;
}

/** The client's address as `resolveClientAddress` decided it for this request (undefined: unknown). */
export function clientAddressOf(c: Context<AppEnv>): string | undefined {
  return c.get("clientAddress");
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a new one. */
export function requestIdOf(incoming: string | null | undefined): string {
  return incoming && requestIdPattern.test(incoming) ? incoming : randomUUID();
}

/** The Hono app every node starts from: request ids, one error envelope, body limits, /health, /metrics. */
export function createHttpApp(options: CreateHttpAppOptions): HttpApp {
  const app = new Hono<AppEnv>();
  const requests = options.metrics.counter("http_requests_total", "HTTP requests by method, route and status.");
  const durations = options.metrics.histogram("http_request_duration_seconds", "HTTP request duration by route, in seconds.");

  const trustedProxies = options.trustedProxies ?? trustNoProxy;
  app.use(async (c, next) => {
    const started = performance.now();
    c.set("clientAddress", resolveClientAddress(c.req.raw.headers, c.env?.remoteAddress, trustedProxies));
    const incoming = c.req.header("x-request-id");
    const requestId = requestIdOf(incoming);
    c.set("requestId", requestId);
    await next();
    // A WebSocket upgrade's answer belongs to the runtime: under Deno, rebuilding it to add a header
    // breaks the upgrade, and the upgraded request may no longer be read.
    if (c.res.status !== 101) {
      c.header("X-Request-Id", requestId);
      // A refused request whose body was never read, or was read only up to the limit: close rather
      // than drain what the client still sends.
      if (c.res.status >= 400 && c.req.raw.body !== null && (!c.req.raw.bodyUsed || c.get("errorCode") === "request.body_too_large")) c.header("Connection", "close");
    }
    const route = c.res.status === 404 && routePath(c) === "/*" ? "unmatched" : routePath(c);
    requests.inc({ method: c.req.method, route, status: c.res.status });
    durations.observe((performance.now() - started) / 1000, { route });
  });

  const refused = options.refusedCredentials;
  if (refused) {
    app.use(async (c, next) => {
      // An IPv6 client holds its whole /64: counted as one, or it could take a fresh address per guess.
      const client = clientAddressOf(c);
      const address = client === undefined ? "unknown" : (ipv6Network64(client) ?? client);
      const path = c.req.path;
      const waitMs = path === "/health" || path === "/metrics" ? 0 : refused.throttledFor(address);
      if (waitMs > 0) {
        c.header("Retry-After", String(Math.ceil(waitMs / 1000)));
        c.header("Connection", "close");
        return errorResponse(c, 429, "auth.too_many_failures", `too many refused credentials from this address; retry in ${Math.ceil(waitMs / 1000)} s with a valid one`);
      }
      const presented = credentialsPresented(c); // read before an upgrade closes the request (Deno)
      await next();
      if (c.res.status === 401) refused.recordRefusal(address, { path, code: c.get("errorCode") ?? "auth" });
      else if (c.res.status < 400 && presented) refused.recordAcceptance(address);
    });
  }

  app.use(createBodyLimiter(options.maxBodyBytes, options.bodyLimits ?? []));

  app.onError((error, c) => respondWithError(c, error, options.logger));
  app.notFound((c) => errorResponse(c, 404, "route.not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));

  const mayOperate = async (c: Context<AppEnv>) =>
    isLoopbackAddress(clientAddressOf(c)) || (options.authorizeOperations ? await options.authorizeOperations(c) : false);

  app.get("/health", async (c) => {
    let report: HealthReport;
    try {
      report = await options.health();
    } catch (error) {
      options.logger.error("health check failed", { error });
      report = { status: "error", error: "health check failed" };
    }
    const status = report.status === "error" ? 503 : 200;
    c.header("Cache-Control", "no-store");
    if (!(await mayOperate(c))) return c.json({ status: report.status }, status);
    return c.json(report, status);
  });

  app.get("/metrics", async (c) => {
    if (!(await mayOperate(c))) return errorResponse(c, 403, "metrics.forbidden", "metrics are served to loopback clients and authorised operators only");
    c.header("Cache-Control", "no-store");
    return c.body(options.metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  return app;
}

export function errorResponse(c: Context<AppEnv>, status: ContentfulStatusCode, code: string, message: string, details?: unknown): Response {
  const body: ErrorEnvelope = { error: { code, message, requestId: c.get("requestId") ?? "unknown" } };
  c.set("errorCode", code);
  if (details !== undefined) body.error.details = details;
  return c.json(body, status);
}

/** Whether the request carried a credential the node checks (bearer token, API key, session cookie). */
function credentialsPresented(c: Context<AppEnv>): boolean {
  return c.req.header("authorization") !== undefined || c.req.header("x-api-key") !== undefined || c.req.header("cookie") !== undefined;
}

function respondWithError(c: Context<AppEnv>, error: Error, logger: Logger): Response {
  if (error instanceof AppError) return errorResponse(c, error.status, error.code, error.message, error.details);
  if (error instanceof ZodError) {
    return errorResponse(c, 400, "request.invalid", describeZodError(error), zodIssueDetails(error));
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code = status === 413 ? "request.body_too_large" : status === 401 ? "auth.required" : "request.rejected";
    return errorResponse(c, status, code, error.message || "request rejected");
  }
  if (error.name === "AbortError" || c.req.raw.signal?.aborted) {
    // The client went away mid-request (a dropped or slow connection): nothing failed here.
    logger.debug("client closed the connection mid-request", { requestId: c.get("requestId"), method: c.req.method, path: new URL(c.req.url).pathname });
    return errorResponse(c, 400, "request.aborted", "the client closed the connection before the request was complete");
  }
  logger.error("request failed", { requestId: c.get("requestId"), method: c.req.method, path: new URL(c.req.url).pathname, error, stack: error.stack });
  return errorResponse(c, 500, "internal", "internal error; the request id identifies it in the node's log");
}


function tooLarge(maxBytes: number): AppError {
  return new AppError("request.body_too_large", 413, `request body exceeds ${maxBytes} bytes`);
}

/**
 * Limits request bodies without reading them: a declared Content-Length over the limit is refused
 * at once, and any other body is wrapped so that reading it fails with 413 as soon as it passes the
 * limit. Nothing is read before the route's own checks (credentials first), and never past the limit.
 */
function createBodyLimiter(defaultMaxBytes: number, overrides: Array<{ pathPrefix: string; maxBytes: number; streamed?: boolean }>): MiddlewareHandler<AppEnv> {
  const limiterFor = (maxBytes: number): MiddlewareHandler<AppEnv> => async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined && /^\d+$/.test(declared)) {
      if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    let size = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > maxBytes) controller.error(tooLarge(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: "half" } as RequestInit);
    return next();
  };
  const fallback = limiterFor(defaultMaxBytes);
  const streamedLimiter = (maxBytes: number): MiddlewareHandler<AppEnv> => async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared === undefined || c.req.header("transfer-encoding") !== undefined || !/^\d+$/.test(declared)) {
      throw new AppError("request.length_required", 411, "this upload must declare its size in Content-Length");
    }
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
    return next();
  };
  const specific = overrides.map((override) => ({ ...override, limiter: override.streamed ? streamedLimiter(override.maxBytes) : limiterFor(override.maxBytes) }));
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    const path = c.req.path;
    const match = specific.find((override) => path === override.pathPrefix || path.startsWith(`${override.pathPrefix}/`));
    return (match?.limiter ?? fallback)(c, next);
  };
}

export { describeZodError, zodIssueDetails };
