import { spawnProcess, type ChildProcessHandle } from "../runtime/process.ts";
import { textLines } from "../runtime/text-lines.ts";

export interface RunningNodeProcess {
  /** The URL from the node's "serving" log line (the real port when started with port 0). */
  url: string;
  pid: number;
  child: ChildProcessHandle;
  /** Every stderr line so far (JSON log lines). */
  logLines(): string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/**
 * Starts a node (a compiled binary or `bun <node>/main.ts`) and waits until it logs "serving" (or
 * `readyMessage`, for commands such as `core worker`). Fails with the node's own output if it exits
 * or stays silent.
 */
export async function startNodeProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number; readyMessage?: string },
): Promise<RunningNodeProcess> {
  const readyMessage = options.readyMessage ?? "serving";
  const child = spawnProcess(command, args, { env: options.env, cwd: options.cwd, stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  let stdout = "";
  void new Response(child.stdout).text().then((text) => (stdout = text));
  let resolveServing!: (url: string) => void;
  const serving = new Promise<string>((resolve) => (resolveServing = resolve));
  void (async () => {
    for await (const line of textLines(child.stderr!)) {
      lines.push(line);
      try {
        const record = JSON.parse(line);
        if (record.msg === readyMessage) resolveServing(typeof record.url === "string" ? record.url.replace("0.0.0.0", "127.0.0.1") : "");
      } catch {
        // not a log line
      }
    }
  })();
  const timeoutMs = options.timeoutMs ?? 20_000;
  const outcome = await Promise.race([
    serving.then((url) => ({ url })),
    child.exited.then((code) => ({ exited: code })),
    Bun.sleep(timeoutMs).then(() => ({ timeout: true })),
  ]);
  if (!("url" in outcome)) {
    child.kill("SIGKILL");
    await child.exited;
    await Bun.sleep(20);
    throw new Error(`${command} ${args.join(" ")} did not start (${JSON.stringify(outcome)}):\n${stdout}\n${lines.join("\n")}`);
  }
  return {
    url: outcome.url,
    pid: child.pid,
    child,
    logLines: () => [...lines],
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      return child.exited;
    },
  };
}

/** Polls `url` until it answers 200 or the deadline passes; returns the milliseconds it took. */
export async function waitForHttpOk(url: string, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await Bun.sleep(2);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
