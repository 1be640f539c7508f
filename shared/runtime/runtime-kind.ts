/**
 * Which runtime runs this process. The adapters in shared/runtime/ pick their implementation with
 * it at run time, so the same source serves under Bun (and in the Bun-compiled binaries) and Deno.
 */
export type RuntimeKind = "bun" | "deno";

export const runtimeKind: RuntimeKind = detectRuntime();

function detectRuntime(): RuntimeKind {
  if (typeof Bun !== "undefined") return "bun";
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") return "deno";
  throw new Error("SalesControl runs under Bun or Deno 2");
}

/** The part of Deno's API the adapters use (the project type-checks against Bun's types only). */
export interface DenoApi {
  serve(options: DenoServeOptions, handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>): DenoHttpServer;
  Command: new (command: string, options: DenoCommandOptions) => { spawn(): DenoChildProcess };
  pid: number;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  /** Aborting closes the server and every connection at once. */
  signal?: AbortSignal;
  onListen?: (address: { hostname: string; port: number }) => void;
}

export interface DenoHttpServer {
  readonly addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
}

export interface DenoCommandOptions {
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  clearEnv?: boolean;
  stdin: "null" | "piped" | "inherit";
  stdout: "null" | "piped" | "inherit";
  stderr: "null" | "piped" | "inherit";
  detached?: boolean;
}

export interface DenoChildProcess {
  readonly pid: number;
  readonly status: Promise<{ code: number; signal: string | null }>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly stdin: WritableStream<Uint8Array>;
  kill(signal?: string): void;
}

export function denoApi(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}
