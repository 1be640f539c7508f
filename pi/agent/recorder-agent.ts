import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { BackoffPolicy } from "../../shared/jobs/backoff.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { PiConfig } from "../config.ts";
import type { MicrophoneDetection } from "../recorder/audio-device.ts";
import { describeAudioSource, parseAudioInput } from "../recorder/ffmpeg-command.ts";
import { type Recorder, type ResolvedInput, startRecorder } from "../recorder/recorder.supervisor.ts";
import { recoverInterruptedSessions } from "../recorder/recording-session.ts";
import { createScheduleTicker, scheduleCheckIntervalMs } from "../schedule/schedule-loop.ts";
import { parseDailySchedule } from "../schedule/schedule.ts";
import { type JanitorReport, runJanitorPass, spoolLimitBytes } from "../spool/spool-janitor.ts";
import { ensureSpoolDirectories } from "../spool/spool-layout.ts";
import { type RegisteredChunk, registerSegment, type SegmentToRegister } from "../spool/spool.usecases.ts";
import { buildPiDeps, type PiDatabase, type PiDepsOptions } from "../pi-deps.ts";
import { describeRecorderHealth, type RecorderHealth, recorderHealthStatus } from "./recorder-health.ts";

/** What `serve` and the tests start the agent with; the parts are built by `buildPiDeps`. */
export interface RecorderAgentDeps extends PiDepsOptions {
  config: PiConfig;
  db: PiDatabase;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
}

/** Upload retries: retry_min_s doubling up to retry_max_s, jittered, but never sooner than retry_min_s. */
export function uploadBackoffPolicy(config: Pick<PiConfig, "retryMinS" | "retryMaxS">): BackoffPolicy {
  return { initialMs: config.retryMinS * 1000, maxMs: config.retryMaxS * 1000, jitter: 0.5, minMs: config.retryMinS * 1000 };
}

export interface RecorderAgent {
  health(): Promise<RecorderHealth>;
  /** Stops recording (the current chunk is finished), the uploader and the janitor. */
  stop(): Promise<void>;
}

/**
 * The recorder agent, as the original's threads were: a schedule loop driving the ffmpeg
 * supervisor, the uploader, and the spool janitor every 5 minutes; state survives in the
 * database and the spool, and whatever a crash interrupted is recovered before anything starts.
 */
export async function startRecorderAgent(options: RecorderAgentDeps): Promise<RecorderAgent> {
  const deps = buildPiDeps(options.config, options.db, options.clock, options);
  const { config, logger, clock, spool, uploader, diskSpace, janitorIntervalMs } = deps;
  const { layout, repository } = spool;
  try {
    ensureSpoolDirectories(layout);
  } catch (error) {
    throw new Error(`spool_dir ${config.spoolDir} cannot be used (${(error as Error).message}); set RA_SPOOL_DIR to a writable directory`);
  }
  const maxSpoolBytes = config.maxSpoolGb * 1e9;
  const stopAll = new AbortController();

  let lastChunk: RegisteredChunk | null = null;
  let detection: MicrophoneDetection | null = null;
  let lastJanitorReport: JanitorReport | null = null;
  const janitorOptions = { maxSpoolDays: config.maxSpoolDays, maxSpoolBytes, inFlightChunkId: () => uploader.inFlightChunkId(), diskSpace };
  const janitorLogger = logger.child({ component: "spool-janitor" });
  const sessionDeps = { deviceId: config.deviceId, logger, registerSegment: (segment: SegmentToRegister) => registerSegment(spool, segment) };
  // The recorder is created below; the janitor asks it only once it runs (after start-up).
  const activeSessionDir = (): string | null => recorder.activeSessionDir();
  let janitorRunning: Promise<void> | null = null;
  const passJanitor = async () => {
    const report = await runJanitorPass(spool, janitorOptions);
    lastJanitorReport = report;
    const { adopted, moved, missing, strayRemoved } = report.reconcile;
    if (report.deletedUploaded + report.deletedUnsent + report.deletedForeign + adopted + missing + moved > 0) {
      const { deletedUploaded, deletedUnsent, deletedForeign, freedBytes } = report;
      janitorLogger.info("spool cleaned", { deletedUploaded, deletedUnsent, deletedForeign, freedBytes, adopted, moved, missing, strayRemoved });
    }
  };
  const cleanSpool = async () => {
    // Segments whose registration failed earlier (disk full) get another chance first.
    await recoverInterruptedSessions(layout, sessionDeps, activeSessionDir());
    await passJanitor();
  };
  /** One pass at a time: the 5-minute loop and a spool that just overflowed share it. */
  const runJanitor = () => {
    janitorRunning ??= cleanSpool().finally(() => {
      janitorRunning = null;
    });
    return janitorRunning;
  };

  const recovered = await recoverInterruptedSessions(layout, sessionDeps);
  if (recovered.length > 0) logger.info("recovered chunks an interrupted run left behind", { chunks: recovered.length });
  const latest = await repository.latestChunk();
  lastChunk = recovered[recovered.length - 1] ??
    (latest && {
      chunkId: latest.id,
      startTs: latest.startTs,
      endTs: latest.endTs,
      path: latest.path,
      bytes: latest.bytes,
      audioMs: latest.audioMs,
      level: latest.meanVolumeDb === null || latest.maxVolumeDb === null ? null : { meanDb: latest.meanVolumeDb, maxDb: latest.maxVolumeDb },
    });
  // A spool that cannot be cleaned must not keep the Pi from recording; the loop retries it.
  await passJanitor().catch((error) => janitorLogger.error("spool clean-up failed", { error }));

  const resolveInput = async (): Promise<ResolvedInput> => {
    if (config.audioInput) {
      const source = parseAudioInput(config.audioInput);
      return { source, description: describeAudioSource(source) };
    }
    if (config.audioDevice) {
      const source = { kind: "alsa" as const, device: config.audioDevice };
      return { source, description: describeAudioSource(source) };
    }
    detection = await deps.detectMicrophone();
    if (!detection.alsaName) return { error: "no microphone found: arecord -l and /proc/asound list no capture device (plug in the USB microphone, or set audio_device)" };
    if (detection.chosen) logger.info("microphone detected", { device: detection.alsaName, name: detection.chosen.name, via: detection.source });
    return { source: { kind: "alsa", device: detection.alsaName }, description: detection.alsaName };
  };

  const quotaExceeded = async () => {
    const bytes = (await repository.totals()).bytes + (lastJanitorReport?.foreignBytes ?? 0);
    return bytes > spoolLimitBytes(maxSpoolBytes, bytes, diskSpace(layout.root));
  };
  const recorder: Recorder = startRecorder({
    resolveInput,
    sampleRate: config.sampleRate,
    bitrateKbps: config.opusBitrateKbps,
    chunkSeconds: config.chunkSeconds,
    layout,
    clock,
    deviceId: config.deviceId,
    logger: logger.child({ component: "recorder" }),
    registerSegment: (segment) => registerSegment(spool, segment),
    onChunk: (chunk) => {
      lastChunk = chunk;
      // A full spool is dealt with when the chunk that fills it arrives, not minutes later.
      void quotaExceeded()
        .then((exceeded) => (exceeded ? runJanitor() : undefined))
        .catch((error) => janitorLogger.error("spool clean-up failed", { error }));
    },
  });

  const schedule = createScheduleTicker({
    schedule: parseDailySchedule(config.scheduleStart, config.scheduleEnd),
    clock,
    timeZone: deps.timeZone,
    apply: (inSchedule) => recorder.setWanted(inSchedule),
  });
  const loops = {
    schedule: startBackgroundLoop({ name: "schedule", intervalMs: scheduleCheckIntervalMs, tick: schedule.tick, clock, logger, signal: stopAll.signal }),
    uploader: startBackgroundLoop({
      name: "uploader",
      intervalMs: deps.uploadPollMs,
      tick: uploader.tick,
      clock,
      logger: logger.child({ component: "uploader" }),
      signal: stopAll.signal,
      backoff: uploadBackoffPolicy(config),
    }),
    // The first pass ran above, before recording started.
    janitor: startBackgroundLoop({ name: "spool-janitor", intervalMs: janitorIntervalMs, initialDelayMs: janitorIntervalMs, tick: runJanitor, clock, logger: janitorLogger, signal: stopAll.signal }),
  };
  registerRecorderMetrics(deps.metrics, () => recorder.status().recording, () => recorder.status().restarts);

  const health = async (): Promise<RecorderHealth> => {
    const [totals, counters, lastUploadAt] = await Promise.all([repository.totals(), repository.counters(), repository.lastUploadAt()]);
    const sources = {
      config,
      totals,
      counters,
      lastUploadAt,
      recording: recorder.status(),
      uploading: uploader.status(),
      uploadLoop: loops.uploader.state(),
      scheduled: schedule.status(),
      lastChunk,
      detection,
      limitBytes: lastJanitorReport?.limitBytes ?? maxSpoolBytes,
      foreign: { files: lastJanitorReport?.foreignFiles ?? 0, bytes: lastJanitorReport?.foreignBytes ?? 0 },
    };
    return { status: recorderHealthStatus(sources), fields: describeRecorderHealth(sources) };
  };

  return {
    health,
    async stop() {
      stopAll.abort();
      await recorder.stop();
      await Promise.all([loops.schedule.stopped, loops.uploader.stopped, loops.janitor.stopped]);
    },
  };
}

function registerRecorderMetrics(metrics: MetricsRegistry, recording: () => boolean, restarts: () => number): void {
  metrics.gauge("recorder_recording", "1 while ffmpeg is recording.", () => (recording() ? 1 : 0));
  metrics.counter("recorder_restarts_total", "Times ffmpeg died and was restarted.", restarts);
}
