import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { HealthStatus } from "../../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { PiConfig } from "../config.ts";
import { detectMicrophone, type MicrophoneDetection } from "../recorder/audio-device.ts";
import { describeAudioSource, parseAudioInput } from "../recorder/ffmpeg-command.ts";
import { type InputLevel, isSilent, measureInputLevel } from "../recorder/input-level.ts";
import { type Recorder, type ResolvedInput, startRecorder } from "../recorder/recorder.supervisor.ts";
import { recoverInterruptedSessions } from "../recorder/recording-session.ts";
import { createScheduleTicker, scheduleCheckIntervalMs } from "../schedule/schedule-loop.ts";
import { parseDailySchedule } from "../schedule/schedule.ts";
import { type DiskSpace, diskReserveBytes, type JanitorReport, readDiskSpace, runJanitorPass } from "../spool/spool-janitor.ts";
import { ensureSpoolDirectories, spoolLayout } from "../spool/spool-layout.ts";
import { createSpoolLock } from "../spool/spool-lock.ts";
import { type Counters, createSpoolRepository, type SpoolTotals } from "../spool/spool.repository.ts";
import type { RegisteredChunk, SpoolDeps } from "../spool/spool.usecases.ts";
import { registerSegment } from "../spool/spool.usecases.ts";
import { createUploader } from "../uploader/uploader.usecases.ts";

export interface RecorderAgentDeps {
  config: PiConfig;
  db: LibSQLDatabase<Record<string, unknown>>;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  detectMicrophone?: () => Promise<MicrophoneDetection>;
  measureLevel?: (path: string) => Promise<InputLevel | null>;
  diskSpace?: (path: string) => DiskSpace | null;
  /** The schedule's time zone; the system's local zone when absent. */
  timeZone?: string;
  janitorIntervalMs?: number;
  uploadPollMs?: number;
}

/** Everything /health reports about recording, spool and uploads. */
export interface RecorderHealth {
  status: HealthStatus;
  fields: Record<string, unknown>;
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
export async function startRecorderAgent(deps: RecorderAgentDeps): Promise<RecorderAgent> {
  const { config, logger, clock } = deps;
  const layout = spoolLayout(config.spoolDir);
  try {
    ensureSpoolDirectories(layout);
  } catch (error) {
    throw new Error(`spool_dir ${config.spoolDir} cannot be used (${(error as Error).message}); set RA_SPOOL_DIR to a writable directory`);
  }
  const repository = createSpoolRepository(deps.db);
  const spool: SpoolDeps = { repository, layout, lock: createSpoolLock(), clock, logger, measureLevel: deps.measureLevel ?? measureInputLevel };
  const diskSpace = deps.diskSpace ?? readDiskSpace;
  const maxSpoolBytes = config.maxSpoolGb * 1e9;
  const stopAll = new AbortController();

  let lastChunk: RegisteredChunk | null = null;
  let detection: MicrophoneDetection | null = null;
  let lastJanitorReport: JanitorReport | null = null;
  const uploader = createUploader({
    repository,
    layout,
    lock: spool.lock,
    clock,
    logger: logger.child({ component: "uploader" }),
    settings: {
      ingestBaseUrl: config.ingestBaseUrl,
      ingestToken: config.ingestToken,
      pointId: config.pointId,
      registerId: config.registerId,
      deviceId: config.deviceId,
      sampleRate: config.sampleRate,
      deviceRejectionRetryMs: config.retryMaxS * 1000,
    },
  });
  const janitorOptions = { maxSpoolDays: config.maxSpoolDays, maxSpoolBytes, inFlightChunkId: () => uploader.inFlightChunkId(), diskSpace };
  const janitorLogger = logger.child({ component: "spool-janitor" });
  const runJanitor = async () => {
    const report = await runJanitorPass(spool, janitorOptions);
    lastJanitorReport = report;
    const { reconcile } = report;
    if (report.deletedUploaded + report.deletedUnsent + reconcile.adopted + reconcile.missing + reconcile.moved > 0) {
      janitorLogger.info("spool cleaned", { deletedUploaded: report.deletedUploaded, deletedUnsent: report.deletedUnsent, freedBytes: report.freedBytes, ...reconcile });
    }
  };

  const recovered = await recoverInterruptedSessions(layout, { deviceId: config.deviceId, logger, registerSegment: (segment) => registerSegment(spool, segment) });
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
  await runJanitor();

  const resolveInput = async (): Promise<ResolvedInput> => {
    if (config.audioInput) {
      const source = parseAudioInput(config.audioInput);
      return { source, description: describeAudioSource(source) };
    }
    if (config.audioDevice) {
      const source = { kind: "alsa" as const, device: config.audioDevice };
      return { source, description: describeAudioSource(source) };
    }
    detection = await (deps.detectMicrophone ?? detectMicrophone)();
    if (!detection.alsaName) return { error: "no microphone found: arecord -l and /proc/asound list no capture device (plug in the USB microphone, or set audio_device)" };
    if (detection.chosen) logger.info("microphone detected", { device: detection.alsaName, name: detection.chosen.name, via: detection.source });
    return { source: { kind: "alsa", device: detection.alsaName }, description: detection.alsaName };
  };

  const quotaExceeded = async () => {
    const { bytes } = await repository.totals();
    const disk = diskSpace(layout.root);
    return bytes > maxSpoolBytes || (disk !== null && disk.freeBytes < diskReserveBytes(disk.totalBytes));
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
      intervalMs: deps.uploadPollMs ?? 1_000,
      tick: uploader.tick,
      clock,
      logger: logger.child({ component: "uploader" }),
      signal: stopAll.signal,
      backoff: { initialMs: config.retryMinS * 1000, maxMs: config.retryMaxS * 1000, jitter: 0.5, minMs: config.retryMinS * 1000 },
    }),
    janitor: startBackgroundLoop({ name: "spool-janitor", intervalMs: deps.janitorIntervalMs ?? 5 * 60_000, tick: runJanitor, clock, logger: janitorLogger, signal: stopAll.signal }),
  };
  registerRecorderMetrics(deps.metrics, () => recorder.status().recording, () => recorder.status().restarts);

  const health = async (): Promise<RecorderHealth> => {
    const [totals, counters] = await Promise.all([repository.totals(), repository.counters()]);
    const recording = recorder.status();
    const uploading = uploader.status();
    const uploadLoop = loops.uploader.state();
    const scheduled = schedule.status();
    const failingRecorder = recording.wanted && recording.consecutiveFailures > 0 && !recording.recording;
    const status: HealthStatus = failingRecorder || uploading.blocked ? "degraded" : "ok";
    return { status, fields: describeHealth({ config, totals, counters, recording, uploading, uploadLoop, scheduled, lastChunk, detection, maxSpoolBytes, lastJanitorReport }) };
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

interface HealthSources {
  config: PiConfig;
  totals: SpoolTotals;
  counters: Counters;
  recording: ReturnType<Recorder["status"]>;
  uploading: ReturnType<ReturnType<typeof createUploader>["status"]>;
  uploadLoop: ReturnType<ReturnType<typeof startBackgroundLoop>["state"]>;
  scheduled: ReturnType<ReturnType<typeof createScheduleTicker>["status"]>;
  lastChunk: RegisteredChunk | null;
  detection: MicrophoneDetection | null;
  maxSpoolBytes: number;
  lastJanitorReport: JanitorReport | null;
}

const isoOrNull = (epochMillis: number | null | undefined) => (epochMillis === null || epochMillis === undefined ? null : new Date(epochMillis).toISOString());

/** The seed's /health fields first (same names and units), then what this recorder adds. */
function describeHealth(sources: HealthSources): Record<string, unknown> {
  const { config, totals, counters, recording, uploading, uploadLoop, scheduled, lastChunk } = sources;
  const errors = [
    { message: recording.lastError, at: recording.lastErrorAt },
    { message: uploadLoop.lastError, at: uploadLoop.lastFailureAt },
    { message: uploading.blocked?.reason ?? null, at: uploading.blocked?.since ?? null },
    { message: uploading.lastRejection?.reason ?? null, at: uploading.lastRejection?.at ?? null },
  ].filter((entry) => entry.message !== null && entry.at !== null);
  const lastError = errors.sort((a, b) => b.at! - a.at!)[0] ?? null;
  return {
    recording: recording.recording,
    in_schedule: scheduled.inSchedule,
    queue_size: totals.pendingCount,
    uploaded_total: counters.uploaded_total,
    upload_errors_total: counters.upload_errors_total,
    last_upload_ts: uploading.lastUploadAt === null ? null : uploading.lastUploadAt / 1000,
    spool_files: totals.files,
    spool_bytes: totals.bytes,
    point_id: config.pointId,
    register_id: config.registerId,
    device_id: config.deviceId,
    last_error: lastError?.message ?? null,
    last_error_at: isoOrNull(lastError?.at),
    audio_device: recording.input,
    audio_device_name: sources.detection?.chosen?.name ?? null,
    input_level: lastChunk?.level
      ? {
          chunk_id: lastChunk.chunkId,
          chunk_start: isoOrNull(lastChunk.startTs),
          mean_db: lastChunk.level.meanDb,
          max_db: lastChunk.level.maxDb,
          silent: isSilent(lastChunk.level),
        }
      : null,
    deleted_unsent_total: counters.deleted_unsent_total,
    deleted_uploaded_total: counters.deleted_uploaded_total,
    rejected_total: counters.rejected_total,
    recorded_total: counters.recorded_total,
    salvaged_total: counters.salvaged_total,
    schedule: { start: config.scheduleStart, end: config.scheduleEnd, next_change_at: isoOrNull(scheduled.nextChangeAt) },
    recorder: {
      state: recording.state,
      pid: recording.pid,
      started_at: recording.recording ? isoOrNull(recording.startedAt) : null,
      restarts: recording.restarts,
      consecutive_failures: recording.consecutiveFailures,
      retry_at: isoOrNull(recording.retryAt),
      last_error: recording.lastError,
      chunk_seconds: config.chunkSeconds,
    },
    uploader: {
      ingest_base_url: config.ingestBaseUrl,
      consecutive_failures: uploadLoop.consecutiveFailures,
      last_error: uploadLoop.consecutiveFailures > 0 ? uploadLoop.lastError : null,
      blocked: uploading.blocked ? { reason: uploading.blocked.reason, since: isoOrNull(uploading.blocked.since), next_attempt_at: isoOrNull(uploading.blocked.nextAttemptAt) } : null,
      last_rejection: uploading.lastRejection ? { chunk_id: uploading.lastRejection.chunkId, reason: uploading.lastRejection.reason, at: isoOrNull(uploading.lastRejection.at) } : null,
      in_flight_chunk_id: uploading.inFlightChunkId,
    },
    spool: {
      dir: config.spoolDir,
      queue_bytes: totals.pendingBytes,
      oldest_queued_start: isoOrNull(totals.oldestPendingStartTs),
      rejected: totals.rejectedCount,
      uploaded_kept: totals.uploadedCount,
      limit_bytes: sources.lastJanitorReport?.limitBytes ?? sources.maxSpoolBytes,
      max_days: config.maxSpoolDays,
    },
  };
}
