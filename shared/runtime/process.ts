import type { FileSink } from "bun";
import { denoApi, runtimeKind } from "./runtime-kind.ts";

/** Child processes behind one small interface (ffmpeg on the Pi, tools in scripts and tests). */
export interface ChildProcessHandle {
  readonly pid: number;
  /** Resolves with the exit code (128 + signal number when killed by a signal). */
  readonly exited: Promise<number>;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** With `stdin: "pipe"`: text written reaches the child at once; `end` closes its stdin. A child already gone takes nothing. */
  readonly stdin: ChildInput | null;
  kill(signal?: NodeJS.Signals | number): void;
}

export interface ChildInput {
  write(text: string): void;
  end(): void;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: "ignore" | "pipe";
  stdout?: "ignore" | "pipe" | "inherit";
  stderr?: "ignore" | "pipe" | "inherit";
  /** Own process group: a Ctrl-C at the terminal reaches the parent only, which stops the child itself. */
  detached?: boolean;
}

export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcessHandle {
  return runtimeKind === "bun" ? spawnBunProcess(command, args, options) : spawnDenoProcess(command, args, options);
}

function spawnBunProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcessHandle {
  const child = Bun.spawn([command, ...args], {
    cwd: options.cwd,
    env: options.env as Record<string, string> | undefined,
    stdin: options.stdin ?? "ignore",
    stdout: options.stdout ?? "ignore",
    stderr: options.stderr ?? "pipe",
    detached: options.detached,
  });
  return {
    pid: child.pid,
    exited: child.exited.then((code) => (child.signalCode ? 128 + signalNumber(String(child.signalCode)) : code)),
    stdout: (options.stdout === "pipe" ? child.stdout : null) as ReadableStream<Uint8Array> | null,
    stderr: ((options.stderr ?? "pipe") === "pipe" ? child.stderr : null) as ReadableStream<Uint8Array> | null,
    stdin: options.stdin === "pipe" ? bunChildInput(child.stdin as FileSink) : null,
    kill: (signal) => child.kill(signal as NodeJS.Signals),
  };
}

const denoStdio = { ignore: "null", pipe: "piped", inherit: "inherit" } as const;

function spawnDenoProcess(command: string, args: readonly string[], options: SpawnOptions): ChildProcessHandle {
  const stdout = options.stdout ?? "ignore";
  const stderr = options.stderr ?? "pipe";
  // Like Bun.spawn, an env given replaces the parent's environment instead of adding to it.
  const env = options.env === undefined ? undefined : Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = new (denoApi().Command)(command, {
    args: [...args],
    cwd: options.cwd,
    env,
    clearEnv: env !== undefined,
    stdin: denoStdio[options.stdin ?? "ignore"],
    stdout: denoStdio[stdout],
    stderr: denoStdio[stderr],
    detached: options.detached,
  }).spawn();
  return {
    pid: child.pid,
    exited: child.status.then((status) => (status.signal ? 128 + signalNumber(status.signal) : status.code)),
    stdout: stdout === "pipe" ? child.stdout : null,
    stderr: stderr === "pipe" ? child.stderr : null,
    stdin: options.stdin === "pipe" ? denoChildInput(child.stdin) : null,
    kill: (signal) => {
      try {
        child.kill(typeof signal === "number" ? signalName(signal) : (signal ?? "SIGTERM"));
      } catch (error) {
        // Bun ignores a kill after the child exited; Deno throws.
        if (!(error instanceof TypeError && /already terminated/i.test(error.message))) throw error;
      }
    },
  };
}

function bunChildInput(sink: FileSink): ChildInput {
  const settle = (result: number | Promise<number>) => void (result instanceof Promise && result.catch(() => {}));
  return {
    write: (text) =>
      ignoreClosedPipe(() => {
        sink.write(text);
        settle(sink.flush());
      }),
    end: () => ignoreClosedPipe(() => settle(sink.end())),
  };
}

function denoChildInput(stream: WritableStream<Uint8Array>): ChildInput {
  const writer = stream.getWriter();
  const encoder = new TextEncoder();
  return {
    write: (text) => void writer.write(encoder.encode(text)).catch(() => {}),
    end: () => void writer.close().catch(() => {}),
  };
}

/** Writing to a child that has exited fails (EPIPE); what it would have read no longer matters. */
function ignoreClosedPipe(write: () => void): void {
  try {
    write();
  } catch {
    // the child is gone; its exit is reported through `exited`
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion and collects its output. */
export async function runCommand(command: string, args: readonly string[], options: Omit<SpawnOptions, "stdout" | "stderr"> = {}): Promise<CommandResult> {
  const child = spawnProcess(command, args, { ...options, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([readAllText(child.stdout), readAllText(child.stderr), child.exited]);
  return { code, stdout, stderr };
}

export async function readAllText(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!stream) return "";
  return new Response(stream).text();
}

const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

function signalNumber(signal: string): number {
  return signalNumbers[signal] ?? 0;
}

function signalName(signal: number): string {
  return Object.keys(signalNumbers).find((name) => signalNumbers[name] === signal) ?? "SIGTERM";
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
