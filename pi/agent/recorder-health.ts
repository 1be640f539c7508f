import type { HealthStatus } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { LoopState } from "../../shared/runtime/background-loop.ts";
import type { PiConfig } from "../config.ts";
import type { MicrophoneDetection } from "../recorder/audio-device.ts";
import { isSilent } from "../recorder/input-level.ts";
import type { RecorderStatus } from "../recorder/recorder.supervisor.ts";
import type { ScheduleStatus } from "../schedule/schedule-loop.ts";
import type { Counters, SpoolTotals } from "../spool/spool.repository.ts";
import type { RegisteredChunk } from "../spool/spool.usecases.ts";
import type { UploaderStatus } from "../uploader/uploader.usecases.ts";

/** Everything /health reports about recording, spool and uploads. */
export interface RecorderHealth {
  status: HealthStatus;
  fields: Record<string, unknown>;
}

export interface HealthSources {
  config: PiConfig;
  totals: SpoolTotals;
  counters: Counters;
  /** Epoch ms of the latest confirmed upload, from the database (it outlives restarts). */
  lastUploadAt: number | null;
  recording: RecorderStatus;
  uploading: UploaderStatus;
  uploadLoop: LoopState;
  scheduled: ScheduleStatus;
  lastChunk: RegisteredChunk | null;
  detection: MicrophoneDetection | null;
  limitBytes: number;
  /** Files in the spool that are not this recorder's chunks, as the last janitor pass found them. */
  foreign: { files: number; bytes: number };
}

/**
 * Degraded while the schedule wants a recording and ffmpeg keeps failing, or while the core
 * refuses the device; a network outage alone is the normal offline-first state.
 */
export function recorderHealthStatus(sources: Pick<HealthSources, "recording" | "uploading">): HealthStatus {
  const failingRecorder = sources.recording.wanted && sources.recording.consecutiveFailures > 0 && !sources.recording.recording;
  return failingRecorder || sources.uploading.blocked ? "degraded" : "ok";
}

/** The seed's /health fields first (same names and units), then what this recorder adds. */
export function describeRecorderHealth(sources: HealthSources): Record<string, unknown> {
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
    last_upload_ts: sources.lastUploadAt === null ? null : sources.lastUploadAt / 1000,
    spool_files: totals.files + sources.foreign.files,
    spool_bytes: totals.bytes + sources.foreign.bytes,
    point_id: config.pointId,
    register_id: config.registerId,
    device_id: config.deviceId,
    last_error: lastError?.message ?? null,
    last_error_at: isoTime(lastError?.at),
    audio_device: recording.input,
    audio_device_name: sources.detection?.chosen?.name ?? null,
    input_level: lastChunk?.level
      ? {
          chunk_id: lastChunk.chunkId,
          chunk_start: isoTime(lastChunk.startTs),
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
    schedule: { start: config.scheduleStart, end: config.scheduleEnd, next_change_at: isoTime(scheduled.nextChangeAt) },
    recorder: {
      state: recording.state,
      pid: recording.pid,
      started_at: recording.recording ? isoTime(recording.startedAt) : null,
      restarts: recording.restarts,
      consecutive_failures: recording.consecutiveFailures,
      retry_at: isoTime(recording.retryAt),
      last_error: recording.lastError,
      chunk_seconds: config.chunkSeconds,
    },
    uploader: {
      ingest_base_url: config.ingestBaseUrl,
      consecutive_failures: uploadLoop.consecutiveFailures,
      last_error: uploadLoop.consecutiveFailures > 0 ? uploadLoop.lastError : null,
      blocked: uploading.blocked ? { reason: uploading.blocked.reason, since: isoTime(uploading.blocked.since), next_attempt_at: isoTime(uploading.blocked.nextAttemptAt) } : null,
      last_rejection: uploading.lastRejection ? { chunk_id: uploading.lastRejection.chunkId, reason: uploading.lastRejection.reason, at: isoTime(uploading.lastRejection.at) } : null,
      in_flight_chunk_id: uploading.inFlightChunkId,
    },
    spool: {
      dir: config.spoolDir,
      queue_bytes: totals.pendingBytes,
      oldest_queued_start: isoTime(totals.oldestPendingStartTs),
      rejected: totals.rejectedCount,
      uploaded_kept: totals.uploadedCount,
      foreign_files: sources.foreign.files,
      foreign_bytes: sources.foreign.bytes,
      limit_bytes: sources.limitBytes,
      max_days: config.maxSpoolDays,
    },
  };
}
