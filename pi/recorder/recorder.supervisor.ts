import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type BackoffPolicy, backoffDelayMs } from "../../shared/jobs/backoff.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { type ChildProcessHandle, spawnProcess } from "../../shared/runtime/process.ts";
import type { SpoolLayout } from "../spool/spool-layout.ts";
import { type AudioSource, parseInputWallClockStart, recordingArguments } from "./ffmpeg-command.ts";
import { type SessionDeps, type SessionInfo, SessionSegments, writeSessionInfo } from "./recording-session.ts";

/** The input for the next run, or why there is none (no microphone plugged in). */
export type ResolvedInput = { source: AudioSource; description: string } | { error: string };

export interface RecorderOptions extends SessionDeps {
  resolveInput: () => Promise<ResolvedInput>;
  sampleRate: number;
  bitrateKbps: number;
  chunkSeconds: number;
  layout: SpoolLayout;
  clock: Clock;
  /** Restart delays after ffmpeg fails: 2 → 4 → … → 60 s by default. */
  backoff?: BackoffPolicy;
  /** How long ffmpeg may take to finish the current chunk after SIGINT before it is killed. */
  stopTimeoutMs?: number;
  spawn?: typeof spawnProcess;
}

export type RecorderState = "idle" | "starting" | "recording" | "stopping" | "waiting_to_retry";

export interface RecorderStatus {
  state: RecorderState;
  recording: boolean;
  /** Whether the schedule wants a recording now. */
  wanted: boolean;
  input: string | null;
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  consecutiveFailures: number;
  retryAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface Recorder {
  setWanted(wanted: boolean): void;
  status(): RecorderStatus;
  /** The run directory in use, which recovery must leave alone. */
  activeSessionDir(): string | null;
  /** Stops ffmpeg with SIGINT (it finishes the current chunk), registers what it wrote, and ends. */
  stop(): Promise<void>;
}

const defaultBackoff: BackoffPolicy = { initialMs: 2_000, maxMs: 60_000, jitter: 0 };
/** A run that lasted this long, or produced a chunk, proves the microphone works: backoff resets. */
const provenRunMs = 10_000;

/**
 * Supervises ffmpeg: starts it while the schedule wants a recording, hands every finished segment
 * over as a chunk, stops it with SIGINT at the schedule's end or on shutdown, and restarts it with
 * backoff when it dies (microphone unplugged), re-detecting the microphone each time.
 */
export function startRecorder(options: RecorderOptions): Recorder {
  const backoff = options.backoff ?? defaultBackoff;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const spawn = options.spawn ?? spawnProcess;
  const status: RecorderStatus = {
    state: "idle",
    recording: false,
    wanted: false,
    input: null,
    pid: null,
    startedAt: null,
    restarts: 0,
    consecutiveFailures: 0,
    retryAt: null,
    lastError: null,
    lastErrorAt: null,
  };
  let stopping = false;
  /** The run directory ffmpeg writes to (or whose segments are being handed over), if any. */
  let activeDir: string | null = null;
  let pendingWake = false;
  let interruptWait: (() => void) | null = null;
  const wake = () => {
    pendingWake = true;
    interruptWait?.();
  };
  /** Sleeps until `ms` passes or something changes (schedule, stop, ffmpeg output or exit). */
  const waitForChange = async (ms: number) => {
    if (!pendingWake) {
      const interrupt = new AbortController();
      interruptWait = () => interrupt.abort();
      await options.clock.sleep(ms, interrupt.signal);
      interruptWait = null;
    }
    pendingWake = false;
  };

  const fail = (message: string) => {
    status.consecutiveFailures++;
    status.lastError = message;
    status.lastErrorAt = options.clock.now();
    const delay = backoffDelayMs(status.consecutiveFailures, backoff);
    status.retryAt = options.clock.now() + delay;
    const fields = { error: message, retryInSeconds: delay / 1000, failures: status.consecutiveFailures };
    if (status.consecutiveFailures === 1) options.logger.error("recording failed; retrying with backoff", fields);
    else options.logger.warn("recording still failing", fields);
  };

  const runOnce = async (input: { source: AudioSource; description: string }) => {
    const info: SessionInfo = { sessionId: randomUUID(), pid: null, input: input.description, startedAt: options.clock.now(), anchorMs: null };
    const dir = join(options.layout.recordingDir, info.sessionId);
    activeDir = dir;
    mkdirSync(dir, { recursive: true });
    const args = recordingArguments({ source: input.source, sampleRate: options.sampleRate, bitrateKbps: options.bitrateKbps, chunkSeconds: options.chunkSeconds, sessionDir: dir });
    let child: ChildProcessHandle;
    try {
      // Its own process group: a Ctrl-C at a terminal reaches the agent, which stops ffmpeg itself.
      child = spawn("ffmpeg", args, { stdout: "ignore", stderr: "pipe", detached: true });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      activeDir = null;
      fail(`cannot start ffmpeg: ${(error as Error).message}`);
      return;
    }
    info.pid = child.pid;
    const recordSession = () => writeSessionInfo(dir, info).catch((error) => options.logger.warn("could not write session.json", { error }));
    await recordSession();
    status.state = "starting";
    status.input = input.description;
    status.pid = child.pid;
    status.startedAt = info.startedAt;
    options.logger.info("recording started", { input: input.description, pid: child.pid, session: info.sessionId });

    let exitCode: number | null = null;
    const exited = child.exited.then((code) => {
      exitCode = code;
      wake();
    });
    const segments = new SessionSegments(dir, info, options);
    const registerSafely = createSegmentRegistrar(options.logger);
    const stderrTail: string[] = [];
    const stderrDone = followStderr(child, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 40) stderrTail.shift();
      options.logger.debug("ffmpeg", { line });
      if (info.anchorMs === null) {
        const wallClock = parseInputWallClockStart(line);
        if (wallClock !== null || line.startsWith("Output #0")) {
          info.anchorMs = wallClock ?? options.clock.now();
          void recordSession();
        }
      }
      const opened = /Opening '.*\/(seg-\d{6}\.part)' for writing/.exec(line)?.[1];
      if (opened) {
        segments.observeOpened(opened, options.clock.now());
        status.state = "recording";
        status.recording = true;
        wake();
      }
    });
    const pollMs = Math.min(5_000, Math.max(250, (options.chunkSeconds * 1000) / 4));
    let signalled = false;
    let stopDeadline = Number.POSITIVE_INFINITY;
    while (exitCode === null) {
      if ((stopping || !status.wanted) && !signalled) {
        signalled = true;
        status.state = "stopping";
        stopDeadline = options.clock.now() + stopTimeoutMs;
        child.kill("SIGINT");
      }
      if (options.clock.now() >= stopDeadline) child.kill("SIGKILL");
      await registerSafely(() => segments.registerListed());
      if (status.consecutiveFailures > 0 && (segments.count > 0 || options.clock.now() - info.startedAt >= provenRunMs)) {
        options.logger.info("recording works again", { input: input.description, failures: status.consecutiveFailures });
        status.consecutiveFailures = 0;
      }
      if (exitCode !== null) break;
      await waitForChange(signalled ? Math.min(pollMs, 250) : pollMs);
    }
    await exited;
    await stderrDone;
    status.recording = false;
    status.pid = null;
    await registerSafely(async () => [...(await segments.registerListed()), ...(await segments.registerCutOff())]);
    const left = segments.unregistered();
    if (left.length === 0) await rm(dir, { recursive: true, force: true });
    else options.logger.warn("segments not registered yet; kept for the next recovery pass", { session: info.sessionId, segments: left.length });
    activeDir = null;

    if (signalled) {
      options.logger.info("recording stopped", { session: info.sessionId, chunks: segments.count, code: exitCode });
      return;
    }
    status.restarts++;
    fail(`ffmpeg exited with code ${exitCode}: ${lastMeaningfulLine(stderrTail)}`);
  };

  const loop = async () => {
    while (!stopping) {
      if (!status.wanted) {
        status.state = "idle";
        status.retryAt = null;
        await waitForChange(60_000);
        continue;
      }
      if (status.retryAt !== null && status.retryAt > options.clock.now()) {
        status.state = "waiting_to_retry";
        await waitForChange(status.retryAt - options.clock.now());
        continue;
      }
      status.retryAt = null;
      status.state = "starting";
      let input: ResolvedInput;
      try {
        input = await options.resolveInput();
      } catch (error) {
        input = { error: (error as Error).message };
      }
      if ("error" in input) {
        status.input = null;
        fail(input.error);
        continue;
      }
      try {
        await runOnce(input);
      } catch (error) {
        // Whatever went wrong (the spool's disk, say), the supervisor itself must keep going.
        activeDir = null;
        status.recording = false;
        fail(`recording run failed: ${(error as Error).message}`);
      }
    }
    status.state = "idle";
  };
  const running = loop();

  return {
    setWanted(wanted) {
      if (status.wanted === wanted) return;
      status.wanted = wanted;
      if (wanted) status.consecutiveFailures = 0;
      wake();
    },
    status: () => ({ ...status }),
    activeSessionDir: () => activeDir,
    async stop() {
      stopping = true;
      wake();
      await running;
    },
  };
}

/** Hands segments over; a failure (disk full) is logged once per streak and retried at the next look. */
function createSegmentRegistrar(logger: Logger): (work: () => Promise<unknown>) => Promise<void> {
  let failing = false;
  return async (work) => {
    try {
      await work();
      if (failing) logger.info("recorded segments are registered again");
      failing = false;
    } catch (error) {
      if (!failing) logger.error("could not register a recorded segment; it stays in recording/ and is retried", { error });
      failing = true;
    }
  };
}

function followStderr(child: ChildProcessHandle, onLine: (line: string) => void): Promise<void> {
  if (!child.stderr) return Promise.resolve();
  return (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of child.stderr!) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split(/\r?\n|\r/);
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") onLine(line);
    }
    if (buffered.trim() !== "") onLine(buffered);
  })().catch(() => {});
}

/** The line that explains an exit: the last one that reads like an error, else the last one. */
function lastMeaningfulLine(lines: string[]): string {
  const errorLike = [...lines].reverse().find((line) => /error|no such|invalid|cannot|failed|denied|busy|not found|unable/i.test(line));
  return (errorLike ?? lines[lines.length - 1] ?? "no output").trim().slice(0, 300);
}
