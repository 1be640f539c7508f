import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An expected failure with a stable dotted code (`ingest.device_unknown`) and its HTTP status.
 * Use cases throw these; the app's one error handler turns them into the error envelope.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(code, 400, message, details);
export const unauthorized = (code: string, message: string) => new AppError(code, 401, message);
export const forbidden = (code: string, message: string) => new AppError(code, 403, message);
export const notFound = (code: string, message: string) => new AppError(code, 404, message);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(code, 409, message, details);
export const payloadTooLarge = (code: string, message: string) => new AppError(code, 413, message);
export const unprocessable = (code: string, message: string, details?: unknown) => new AppError(code, 422, message, details);
