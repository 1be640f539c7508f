import {
  type ChunkUploadFields,
  type ChunkUploadResponse,
  chunkUploadErrorCodes,
  maxChunkBytes,
  maxChunkDurationSeconds,
  maxChunkOverlapMs,
  maxClockSkewSeconds,
  maxSpanDisagreementMs,
} from "../../shared/contracts/chunk-upload.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { AppError, badRequest, conflict, forbidden, payloadTooLarge, unprocessable } from "../../shared/http/app-error.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createDevicesRepository, type UploadingDevice } from "../devices/devices.repository.ts";
import { createVadJobQueue, enqueueVadJob } from "../pipeline/vad/vad-jobs.ts";
import type { AudioStorage } from "./audio-retention.ts";
import { type ChunkStorage, chunkRelativePath } from "./chunk-storage.ts";
import { createIngestRepository, type StoredChunkIdentity } from "./ingest.repository.ts";
import type { AudioChunkRow } from "./ingest.schema.ts";
import { createKeyedMutex, type KeyedMutex } from "./keyed-mutex.ts";
import { inspectOggOpusFile, type OggOpusFileInfo } from "./ogg-opus-file.ts";

/** Chunks from before this are a recorder with a reset clock, not real recordings. */
const earliestPlausibleTs = Date.UTC(2020, 0, 1);

export interface IngestDeps {
  db: CoreDatabase;
  clock: Clock;
  storage: ChunkStorage;
  metrics: IngestMetrics;
  /** Refuses a chunk (507) when storing it would eat into the disk's free-space reserve. */
  audioStorage: Pick<AudioStorage, "assertRoomFor">;
  /** Serialises uploads of the same chunk within this process. */
  chunkLocks: KeyedMutex;
}

export interface IngestMetrics {
  chunks: ReturnType<MetricsRegistry["counter"]>;
  bytes: ReturnType<MetricsRegistry["counter"]>;
}

export function createIngestDeps(options: { db: CoreDatabase; clock: Clock; storage: ChunkStorage; audioStorage: Pick<AudioStorage, "assertRoomFor">; metrics: MetricsRegistry }): IngestDeps {
  return {
    db: options.db,
    clock: options.clock,
    storage: options.storage,
    audioStorage: options.audioStorage,
    chunkLocks: createKeyedMutex(),
    metrics: {
      chunks: options.metrics.counter("ingest_chunks_total", "Chunk uploads accepted, by result (stored or duplicate)."),
      bytes: options.metrics.counter("ingest_bytes_total", "Bytes of chunk audio stored."),
    },
  };
}

export interface IncomingChunk {
  device: UploadingDevice;
  fields: ChunkUploadFields;
  bytes: Uint8Array;
}

/**
 * Accepts one chunk: checks it belongs to the uploading device and really is OGG/Opus, stores the
 * file atomically, and records the chunk with its VAD job in one transaction. A chunk seen before
 * (same chunk_id, or same device and start time, with the same bytes) is answered as a duplicate.
 * Nothing is written for a rejected upload.
 */
export async function ingestChunk(deps: IngestDeps, incoming: IncomingChunk): Promise<ChunkUploadResponse> {
  const { device, fields, bytes } = incoming;
  assertBelongsToDevice(device, fields);
  assertPlausibleTimes(fields, deps.clock.now());
  if (bytes.length > maxChunkBytes) throw payloadTooLarge(chunkUploadErrorCodes.tooLarge, `chunk_file exceeds ${maxChunkBytes} bytes`);
  const file = inspectOggOpusFile(bytes);
  if ("problem" in file) throw unprocessable(chunkUploadErrorCodes.notOggOpus, `chunk_file is not a whole OGG/Opus file: ${file.problem}`);
  if (file.channels !== fields.channels) {
    throw badRequest(chunkUploadErrorCodes.invalidField, `channels: the form says ${fields.channels} but the file's Opus header says ${file.channels}`);
  }
  assertSpanMatchesAudio(fields, file);
  const sha256 = sha256Hex(bytes);
  if (fields.sha256 && fields.sha256 !== sha256) {
    throw unprocessable(chunkUploadErrorCodes.checksumMismatch, "chunk_file does not match its sha256 field: the file changed or was damaged on the way");
  }
  const chunkId = fields.chunk_id ?? legacyChunkId(device.deviceId, fields.start_ts);
  return deps.chunkLocks.run(chunkId, () => storeChunk(deps, { ...incoming, chunkId, sha256 }));
}

async function storeChunk(deps: IngestDeps, chunk: IncomingChunk & { chunkId: string; sha256: string }): Promise<ChunkUploadResponse> {
  const { device, fields, chunkId, sha256 } = chunk;
  const earlier = await createIngestRepository(deps.db).findEarlierChunk(chunkId, device.deviceId, fields.start_ts);
  if (earlier) return answerRepeatedUpload(deps, earlier, chunk);

  const storedPath = chunkRelativePath({ pointId: fields.point_id, registerId: fields.register_id, startTs: fields.start_ts, chunkId });
  deps.audioStorage.assertRoomFor(chunk.bytes.length);
  await deps.storage.store(storedPath, chunk.bytes, sha256);
  const now = deps.clock.now();
  const row: AudioChunkRow = {
    chunkId,
    deviceId: device.deviceId,
    pointId: fields.point_id,
    registerId: fields.register_id,
    startTs: fields.start_ts,
    endTs: fields.end_ts,
    codec: fields.codec,
    sampleRate: fields.sample_rate,
    channels: fields.channels,
    byteSize: chunk.bytes.length,
    sha256,
    storedPath,
    receivedAt: now,
    vadStatus: "pending",
    vadAt: null,
    audioMs: null,
    speechMs: null,
    vadError: null,
    audioDeletedAt: null,
  };
  const inserted = await deps.db.transaction(async (tx) => {
    const chunks = createIngestRepository(tx);
    const window = { startTs: fields.start_ts + maxChunkOverlapMs, endTs: fields.end_ts - maxChunkOverlapMs, maxChunkMs: maxChunkDurationSeconds * 1000 };
    if (!(await chunks.insertChunkUnlessOverlapping(row, window))) {
      // Same start time: the same chunk under another id, answered below as a repeat or a conflict.
      const overlapping = await chunks.findOverlappingChunk({ ...window, deviceId: device.deviceId });
      return overlapping && overlapping.startTs !== fields.start_ts ? overlapping : false;
    }
    await enqueueVadJob(createVadJobQueue(tx, deps.clock), row);
    await createDevicesRepository(tx).recordDeviceUpload(device.deviceId, now);
    return true;
  });
  if (typeof inserted === "object") {
    await deps.storage.remove(storedPath);
    throw conflict(
      chunkUploadErrorCodes.chunkOverlap,
      `start_ts..end_ts (${isoTime(fields.start_ts)} – ${isoTime(fields.end_ts)}) overlaps chunk ${inserted.chunkId} (${isoTime(inserted.startTs)} – ${isoTime(inserted.endTs)}) this device uploaded before; its speech would be counted twice. The recorder's clock stepped back: check its time synchronisation`,
      { chunk_id: inserted.chunkId },
    );
  }
  if (!inserted) {
    // Another upload with a different chunk_id took this device's start time in the meantime.
    await deps.storage.remove(storedPath);
    const winner = await createIngestRepository(deps.db).findChunkByDeviceStart(device.deviceId, fields.start_ts);
    if (!winner) throw new AppError("ingest.store_failed", 500, "the chunk could not be recorded; retry");
    return answerRepeatedUpload(deps, winner, chunk);
  }
  deps.metrics.chunks.inc({ result: "stored" });
  deps.metrics.bytes.inc({}, chunk.bytes.length);
  return { status: "ok", chunk_id: chunkId, stored_path: storedPath, queued: true, duplicate: false };
}

function answerRepeatedUpload(deps: IngestDeps, earlier: StoredChunkIdentity, chunk: IncomingChunk & { chunkId: string; sha256: string }): ChunkUploadResponse {
  const { fields } = chunk;
  const problems: string[] = [];
  if (earlier.deviceId !== chunk.device.deviceId) problems.push("it belongs to another device");
  if (earlier.sha256 !== chunk.sha256) problems.push("the stored file has different bytes");
  if (earlier.startTs !== fields.start_ts || earlier.endTs !== fields.end_ts) problems.push("the stored chunk has different start_ts/end_ts");
  if (problems.length > 0) {
    throw conflict(chunkUploadErrorCodes.chunkConflict, `chunk ${earlier.chunkId} was already uploaded and this upload differs: ${problems.join("; ")}`, {
      chunk_id: earlier.chunkId,
    });
  }
  deps.metrics.chunks.inc({ result: "duplicate" });
  return { status: "ok", chunk_id: earlier.chunkId, stored_path: earlier.storedPath, queued: true, duplicate: true };
}

function assertBelongsToDevice(device: UploadingDevice, fields: ChunkUploadFields): void {
  const mismatched = (["device_id", "point_id", "register_id"] as const).filter(
    (field) => fields[field] !== { device_id: device.deviceId, point_id: device.pointId, register_id: device.registerId }[field],
  );
  if (mismatched.length > 0) {
    throw forbidden(chunkUploadErrorCodes.deviceMismatch, `${mismatched.join(", ")} do not match the registration of the device this token belongs to`);
  }
}

/**
 * The file's audio (what its packets decode to, and what its granule positions claim) must last
 * about as long as the declared span: a 60 s chunk holding hours of audio would otherwise cost
 * hours of decoding, and a chunk declared 1 ms long would put its speech at the wrong times.
 */
function assertSpanMatchesAudio(fields: ChunkUploadFields, file: OggOpusFileInfo): void {
  const spanMs = fields.end_ts - fields.start_ts;
  const tolerance = maxSpanDisagreementMs(spanMs);
  for (const [audioMs, source] of [
    [file.packetsMs, "its Opus packets decode to"],
    [file.durationMs, "its Ogg granule positions say"],
  ] as const) {
    if (Math.abs(audioMs - spanMs) > tolerance) {
      throw unprocessable(
        chunkUploadErrorCodes.spanMismatch,
        `start_ts..end_ts spans ${secondsText(spanMs)} but ${source} ${secondsText(audioMs)} of audio (at most ${secondsText(tolerance)} of difference is accepted); send the chunk's real start and end`,
        { span_ms: spanMs, audio_ms: audioMs },
      );
    }
  }
}

const secondsText = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

function assertPlausibleTimes(fields: ChunkUploadFields, now: number): void {
  if (fields.start_ts < earliestPlausibleTs) {
    throw badRequest(chunkUploadErrorCodes.invalidField, "start_ts: lies before 2020; the recorder's clock is not set");
  }
  // Retryable (425): a chunk from a recorder whose clock runs ahead becomes acceptable as time passes.
  if (fields.end_ts > now + maxClockSkewSeconds * 1000) {
    throw new AppError(
      chunkUploadErrorCodes.clockAhead,
      425,
      `end_ts: lies ${Math.round((fields.end_ts - now) / 1000)} s in the future (at most ${maxClockSkewSeconds} s of clock skew is accepted); check the recorder's clock`,
    );
  }
}

/**
 * Recorders that send no chunk_id get a stable one from device and start time, so that their
 * retries are recognised too (a UUID-shaped digest, version nibble 8: custom).
 */
export function legacyChunkId(deviceId: string, startTs: number): string {
  const hex = sha256Hex(`${deviceId}/${startTs}`);
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
