import { randomUUID } from "node:crypto";
import { readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { SpeechProvider } from "../studio/speech-provider.ts";
import { SpeechSynthesisError } from "../studio/speech-provider.ts";
import type { PromptWriter } from "./prompt-writer.ts";
import { PromptWriterError } from "./prompt-writer.ts";
import { chunkAudioPathOf, openEndedWavHeader, speakSentence } from "./room-audio.ts";
import type { PlaybackChunkRow, PlaybackRequestRow, RoomsRepository } from "./rooms.repository.ts";
import { createSentenceSplitter, splitSentences } from "./sentence-splitter.ts";
import { createStateWriter } from "./state-writer.ts";

/** What a message is made of; a lead's line is resolved to its text when the request is made. */
export type PlaybackSource = { kind: "text"; text: string } | { kind: "lead"; leadId: number; slot: string; text: string } | { kind: "prompt"; prompt: string };

export type PlaybackStatus = PlaybackRequestRow["status"];

/** A campaign's voice, as the studio keeps it. */
export interface RoomVoice {
  language: "ru" | "en";
  voice: string | null;
}

export interface RoomEvent {
  type: string;
  [field: string]: unknown;
}

/** Where the rooms' events go: the campaign socket. */
export interface RoomBroadcast {
  publish(campaignId: string, event: RoomEvent): number;
  connections(campaignId: string): ReadonlyArray<{ readonly id: string }>;
}

export interface RoomEngineSettings {
  stallTimeoutMs: number;
  scheduleLeadMs: number;
  playedRetentionMs: number;
  audioDirectory: string;
}

export interface RoomEngineDeps {
  rooms: RoomsRepository;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRegistry;
  speech: SpeechProvider;
  /** The chat model that writes `{prompt}` messages; null when none is configured. */
  promptWriter: PromptWriter | null;
  settings: RoomEngineSettings;
}

interface LiveChunk {
  id: string;
  requestId: string;
  campaignId: string;
  sequence: number;
  text: string;
  status: PlaybackChunkRow["status"];
  startAt: number;
  durationMs: number;
  generationMs: number;
  readyAt: number;
}

interface LiveRequest {
  id: string;
  campaignId: string;
  source: PlaybackSource;
  voice: RoomVoice;
  status: PlaybackStatus;
  position: number;
  failure: { code: string; message: string } | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  chunks: LiveChunk[];
  /** Every sentence is spoken (or generation stopped): no chunk will follow. */
  generationEnded: boolean;
  /** Woken on every new chunk and at the end of generation (progressive streams wait here). */
  waiters: Array<() => void>;
}

interface Room {
  campaignId: string;
  pending: LiveRequest[];
  current: LiveRequest | null;
  /** Finished requests kept in memory, newest last. */
  finished: LiveRequest[];
  /** The end of the last chunk placed on the timeline (server clock, ms). */
  timelineEnd: number;
  /** Resolves when the room has nothing left to do (tests and shutdown wait on it). */
  idle: Promise<void>;
}

const finishedKeptInMemory = 20;

export class RoomFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RoomFailure";
  }
}

export type RoomEngine = ReturnType<typeof createRoomEngine>;

/**
 * The listening rooms: per campaign a queue of playback requests, played one after another on a
 * timeline the server owns. A request's sentences are spoken as soon as they are known and each is
 * placed on the timeline when its audio is ready (never in the past); a request completes once its
 * last sentence has played on the timeline, listeners or not. The state lives in memory and is
 * written behind (state-writer.ts), so a database that refuses writes does not stop the playback.
 */
export function createRoomEngine(deps: RoomEngineDeps) {
  const { clock, logger, settings } = deps;
  const rooms = new Map<string, Room>();
  const chunksById = new Map<string, LiveChunk>();
  const requestsById = new Map<string, LiveRequest>();
  const writer = createStateWriter(logger);
  let broadcast: RoomBroadcast = { publish: () => 0, connections: () => [] };
  let positionSequence = 0;

  const requestsTotal = deps.metrics.counter("rooms_playback_requests_total", "Listening-room playback requests that reached each status.");
  const generationSeconds = deps.metrics.histogram("rooms_chunk_generation_seconds", "From a sentence being known to its audio being ready for the room.", [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]);
  deps.metrics.gauge("rooms_unwritten_state_changes", "Listening-room state changes waiting for the database to take them.", () => writer.pending());
  deps.metrics.gauge("rooms_active", "Listening rooms with a request playing or waiting.", () => [...rooms.values()].filter((room) => room.current || room.pending.length > 0).length);

  const roomOf = (campaignId: string): Room => {
    let room = rooms.get(campaignId);
    if (!room) {
      room = { campaignId, pending: [], current: null, finished: [], timelineEnd: 0, idle: Promise.resolve() };
      rooms.set(campaignId, room);
    }
    return room;
  };

  const requestRow = (request: LiveRequest): PlaybackRequestRow => ({
    id: request.id,
    campaignId: request.campaignId,
    sourceKind: request.source.kind,
    sourceJson: JSON.stringify(request.source),
    status: request.status,
    position: request.position,
    failureCode: request.failure?.code ?? null,
    failureMessage: request.failure?.message ?? null,
    createdAt: request.createdAt,
    startedAt: request.startedAt,
    finishedAt: request.finishedAt,
  });

  const wake = (request: LiveRequest) => {
    const waiters = request.waiters.splice(0);
    for (const waiter of waiters) waiter();
  };

  const publish = (campaignId: string, event: RoomEvent) => broadcast.publish(campaignId, event);

  const queueEvent = (room: Room, reason: string): RoomEvent => ({
    type: "playback_queue_updated",
    campaign_id: room.campaignId,
    reason,
    server_time: clock.now(),
    current: room.current ? presentRequest(room.current) : null,
    pending: room.pending.map(presentRequest),
  });

  const setStatus = (request: LiveRequest, status: PlaybackStatus, failure: { code: string; message: string } | null = null) => {
    request.status = status;
    request.failure = failure;
    if (status === "GENERATING") request.startedAt = clock.now();
    if (status === "COMPLETED" || status === "FAILED") request.finishedAt = clock.now();
    requestsTotal.inc({ status });
    const fields = { status, failureCode: failure?.code ?? null, failureMessage: failure?.message ?? null, startedAt: request.startedAt, finishedAt: request.finishedAt };
    writer.write(`request ${request.id} ${status}`, () => deps.rooms.updateRequest(request.id, fields));
  };

  /** Where the next chunk goes: after what is already placed, and never before the listeners can have it. */
  const placeOnTimeline = (room: Room, durationMs: number): number => {
    const startAt = Math.max(room.timelineEnd, clock.now() + settings.scheduleLeadMs);
    room.timelineEnd = startAt + durationMs;
    return startAt;
  };

  async function* sentencesOf(request: LiveRequest, signal: AbortSignal): AsyncIterable<string> {
    const { source } = request;
    if (source.kind !== "prompt") {
      yield* splitSentences(source.text);
      return;
    }
    if (!deps.promptWriter) throw new RoomFailure("rooms.llm_not_configured", "no chat model is configured (LLM_BASE_URL or LLM_API_KEY)");
    const splitter = createSentenceSplitter();
    for await (const piece of deps.promptWriter.write(source.prompt, request.voice.language, signal)) yield* splitter.push(piece);
    yield* splitter.finish();
  }

  /** Reads the sentences ahead of the speech, so the LLM's stream keeps flowing while a sentence is spoken. */
  function bufferedSentences(request: LiveRequest, signal: AbortSignal): AsyncIterable<string> {
    const ready: string[] = [];
    let ended = false;
    let failure: unknown = null;
    let notify = null as (() => void) | null;
    void (async () => {
      try {
        for await (const sentence of sentencesOf(request, signal)) {
          ready.push(sentence);
          notify?.();
        }
      } catch (error) {
        failure = error;
      }
      ended = true;
      notify?.();
    })();
    return {
      async *[Symbol.asyncIterator]() {
        while (true) {
          if (ready.length > 0) {
            yield ready.shift()!;
            continue;
          }
          if (failure) throw failure;
          if (ended) return;
          await new Promise<void>((resolve) => {
            notify = resolve;
            signal.addEventListener("abort", () => resolve(), { once: true });
          });
          notify = null;
          signal.throwIfAborted();
        }
      },
    };
  }

  const generate = async (room: Room, request: LiveRequest) => {
    const controller = new AbortController();
    let lastProgressAt = clock.now();
    const done = new AbortController();
    const watchdog = (async () => {
      while (!done.signal.aborted) {
        await clock.sleep(lastProgressAt + settings.stallTimeoutMs - clock.now(), done.signal);
        if (done.signal.aborted) return;
        if (clock.now() - lastProgressAt >= settings.stallTimeoutMs) {
          controller.abort(new RoomFailure("rooms.generation_stalled", `no sentence was spoken for ${Math.round(settings.stallTimeoutMs / 1000)} s; the message is given up`));
          return;
        }
      }
    })();
    try {
      let sequence = 0;
      let sentenceKnownAt = clock.now();
      for await (const text of bufferedSentences(request, controller.signal)) {
        const known = Math.max(sentenceKnownAt, clock.now());
        const chunkId = randomUUID();
        const path = chunkAudioPathOf(settings.audioDirectory, request.id, sequence);
        const { durationMs } = await abortable(speakSentence(deps.speech, { text, language: request.voice.language, ...(request.voice.voice ? { voice: request.voice.voice } : {}) }, path, controller.signal), controller.signal);
        const readyAt = clock.now();
        const previous = request.chunks.at(-1);
        const plannedStart = room.timelineEnd;
        const chunk: LiveChunk = { id: chunkId, requestId: request.id, campaignId: request.campaignId, sequence, text, status: "READY", startAt: placeOnTimeline(room, durationMs), durationMs, generationMs: readyAt - known, readyAt };
        lastProgressAt = readyAt;
        sentenceKnownAt = readyAt;
        sequence++;
        request.chunks.push(chunk);
        chunksById.set(chunk.id, chunk);
        generationSeconds.observe(chunk.generationMs / 1000);
        writer.write(`chunk ${chunk.id}`, () => deps.rooms.insertChunk(chunkRow(chunk)));
        const listeners = broadcast.connections(room.campaignId).map((connection) => connection.id);
        if (listeners.length > 0) writer.write(`chunk ${chunk.id} delivery`, () => deps.rooms.recordDelivery(listeners.map((connectionId) => ({ connectionId, chunkId: chunk.id, requestId: request.id })), readyAt));
        publish(room.campaignId, chunkReadyEvent(chunk, clock.now()));
        // The speech fell behind the playback: the timeline moved, and everyone hears of it.
        if (previous && chunk.startAt > plannedStart) publish(room.campaignId, queueEvent(room, "timeline_shifted"));
        logger.info("listening room chunk ready", { campaign_id: room.campaignId, request_id: request.id, chunk_id: chunk.id, sequence: chunk.sequence, generation_ms: chunk.generationMs, start_at: chunk.startAt });
        wake(request);
      }
      if (request.chunks.length === 0) throw new RoomFailure("rooms.nothing_to_say", "the message has no words to speak");
    } catch (error) {
      const reason = controller.signal.aborted && controller.signal.reason instanceof RoomFailure ? controller.signal.reason : error;
      throw reason;
    } finally {
      done.abort();
      controller.abort();
      await watchdog;
      request.generationEnded = true;
      wake(request);
    }
  };

  const play = async (room: Room, request: LiveRequest) => {
    setStatus(request, "GENERATING");
    publish(room.campaignId, { type: "audio_stream_started", request_id: request.id, campaign_id: room.campaignId, source_kind: request.source.kind, stream_url: `/api/audio/stream/${request.id}`, server_time: clock.now() });
    publish(room.campaignId, queueEvent(room, "request_started"));
    logger.info("listening room request started", { campaign_id: room.campaignId, request_id: request.id, source_kind: request.source.kind });
    let failure: { code: string; message: string } | null = null;
    try {
      await generate(room, request);
    } catch (error) {
      failure = failureOf(error);
      logger.warn("listening room request failed", { campaign_id: room.campaignId, request_id: request.id, code: failure.code, error: failure.message });
      setStatus(request, "FAILED", failure);
      publish(room.campaignId, queueEvent(room, "request_failed"));
    }
    // What is on the timeline plays out before the next request: a request ends when its last chunk has played.
    const end = request.chunks.at(-1) ? request.chunks.at(-1)!.startAt + request.chunks.at(-1)!.durationMs : clock.now();
    if (end > clock.now()) await clock.sleep(end - clock.now());
    for (const chunk of request.chunks) chunk.status = "PLAYED";
    if (request.chunks.length > 0) writer.write(`request ${request.id} played`, () => deps.rooms.markRequestChunksPlayed(request.id));
    if (!failure) {
      setStatus(request, "COMPLETED");
      logger.info("listening room request completed", { campaign_id: room.campaignId, request_id: request.id, chunks: request.chunks.length });
    }
  };

  const pump = (room: Room) => {
    if (room.current || room.pending.length === 0) return;
    room.idle = (async () => {
      while (room.pending.length > 0) {
        const request = room.pending.shift()!;
        room.current = request;
        try {
          await play(room, request);
        } catch (error) {
          logger.error("listening room playback broke", { campaign_id: room.campaignId, request_id: request.id, error });
          if (request.status !== "FAILED") setStatus(request, "FAILED", { code: "rooms.internal_error", message: (error as Error).message });
        }
        room.current = null;
        room.finished.push(request);
        for (const old of room.finished.splice(0, Math.max(0, room.finished.length - finishedKeptInMemory))) forget(old);
        publish(room.campaignId, queueEvent(room, request.status === "COMPLETED" ? "request_completed" : "request_finished"));
      }
    })();
  };

  const forget = (request: LiveRequest) => {
    requestsById.delete(request.id);
    for (const chunk of request.chunks) chunksById.delete(chunk.id);
  };

  const enqueue = (request: LiveRequest) => {
    const room = roomOf(request.campaignId);
    room.pending.push(request);
    requestsById.set(request.id, request);
    pump(room);
    if (room.current !== request) publish(room.campaignId, queueEvent(room, "request_queued"));
    return request;
  };

  return {
    /** The campaign socket the events go to (set once the socket exists). */
    attach(target: RoomBroadcast) {
      broadcast = target;
    },

    submit(campaignId: string, voice: RoomVoice, source: PlaybackSource) {
      const now = clock.now();
      const request: LiveRequest = {
        id: randomUUID(),
        campaignId,
        source,
        voice,
        status: "PENDING",
        position: now * 1000 + (positionSequence++ % 1000),
        failure: null,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
        chunks: [],
        generationEnded: false,
        waiters: [],
      };
      requestsTotal.inc({ status: "PENDING" });
      writer.write(`request ${request.id} created`, () => deps.rooms.insertRequest(requestRow(request)));
      logger.info("listening room request queued", { campaign_id: campaignId, request_id: request.id, source_kind: source.kind });
      return presentRequest(enqueue(request));
    },

    /** The campaign's queue: what plays, what waits, and what played lately (memory first, then the database). */
    async queue(campaignId: string, historyLimit = 20) {
      const room = rooms.get(campaignId);
      const live = new Set([...(room?.pending ?? []), ...(room?.current ? [room.current] : []), ...(room?.finished ?? [])].map((request) => request.id));
      let history: ReturnType<typeof presentRequest>[] = [];
      try {
        const rows = (await deps.rooms.recentRequests(campaignId, historyLimit + live.size)).filter((row) => !live.has(row.id));
        const chunks = await deps.rooms.chunksOf(rows.map((row) => row.id));
        history = rows.map((row) => presentStoredRequest(row, chunks.filter((chunk) => chunk.requestId === row.id)));
      } catch (error) {
        logger.warn("listening room history unavailable; answering from memory", { campaign_id: campaignId, error });
      }
      const finished = [...(room?.finished ?? [])].reverse().map(presentRequest);
      return {
        campaign_id: campaignId,
        server_time: clock.now(),
        current: room?.current ? presentRequest(room.current) : null,
        pending: (room?.pending ?? []).map(presentRequest),
        finished: [...finished, ...history].slice(0, historyLimit),
      };
    },

    /** What a socket gets on connect: the queue and every chunk still on (or ahead on) the timeline. */
    snapshot(campaignId: string): RoomEvent[] {
      const room = rooms.get(campaignId);
      const now = clock.now();
      const events: RoomEvent[] = [room ? queueEvent(room, "snapshot") : { type: "playback_queue_updated", campaign_id: campaignId, reason: "snapshot", server_time: now, current: null, pending: [] }];
      const requests = room ? [...room.finished.slice(-1), ...(room.current ? [room.current] : [])] : [];
      for (const request of requests) for (const chunk of request.chunks) if (chunk.startAt + chunk.durationMs > now) events.push(chunkReadyEvent(chunk, now));
      return events;
    },

    /** A chunk with its request, from memory or the database. */
    async findChunk(chunkId: string) {
      const live = chunksById.get(chunkId);
      if (live) return { id: live.id, requestId: live.requestId, campaignId: live.campaignId, sequence: live.sequence, audioPath: chunkAudioPathOf(settings.audioDirectory, live.requestId, live.sequence) };
      const row = await deps.rooms.findChunk(chunkId);
      return row ? { id: row.id, requestId: row.requestId, campaignId: row.campaignId, sequence: row.sequence, audioPath: chunkAudioPathOf(settings.audioDirectory, row.requestId, row.sequence) } : null;
    },

    async findRequestCampaign(requestId: string): Promise<string | null> {
      return requestsById.get(requestId)?.campaignId ?? (await deps.rooms.findRequest(requestId))?.campaignId ?? null;
    },

    /** The request's audio as one WAV stream that grows as its sentences are spoken. */
    async streamRequest(requestId: string): Promise<ReadableStream<Uint8Array> | null> {
      const live = requestsById.get(requestId);
      let stored: PlaybackChunkRow[] = [];
      if (!live) {
        if (!(await deps.rooms.findRequest(requestId))) return null;
        stored = await deps.rooms.chunksOf([requestId]);
      }
      let next = 0;
      let headerSent = false;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!headerSent) {
            headerSent = true;
            controller.enqueue(openEndedWavHeader());
            return;
          }
          while (true) {
            const chunk = live ? live.chunks[next] : stored[next];
            if (chunk) {
              next++;
              try {
                controller.enqueue(new Uint8Array(await readFile(chunkAudioPathOf(settings.audioDirectory, requestId, chunk.sequence))));
              } catch {
                continue; // removed by the cleanup: the stream goes on with what remains
              }
              return;
            }
            if (!live || live.generationEnded) {
              controller.close();
              return;
            }
            await new Promise<void>((resolve) => live.waiters.push(resolve));
          }
        },
      });
    },

    connectionOpened(connection: { id: string; campaignId: string; callerKind: "operator" | "admin" | "listener"; caller: string | null; openedAt: number }) {
      writer.write(`connection ${connection.id} opened`, () => deps.rooms.openConnection(connection));
    },

    connectionClosed(connectionId: string) {
      const closedAt = clock.now();
      writer.write(`connection ${connectionId} closed`, () => deps.rooms.closeConnection(connectionId, closedAt));
    },

    /** A listener's word that it played a chunk (socket `audio_played` or the HTTP fallback). */
    recordPlayed(connectionId: string, chunk: { id: string; requestId: string }) {
      const playedAt = clock.now();
      writer.write(`chunk ${chunk.id} played by ${connectionId}`, () => deps.rooms.recordPlayed(connectionId, { chunkId: chunk.id, requestId: chunk.requestId }, playedAt));
    },

    /** Requests an earlier run left: waiting ones are queued again, the one that was being spoken has failed. */
    async recover(voiceOf: (campaignId: string) => Promise<RoomVoice | null>): Promise<{ requeued: number; failed: number }> {
      let requeued = 0;
      let failed = 0;
      for (const row of await deps.rooms.unfinishedRequests()) {
        const voice = row.status === "PENDING" ? await voiceOf(row.campaignId) : null;
        if (!voice) {
          const failure = row.status === "PENDING" ? { code: "campaign.not_found", message: "the campaign no longer exists" } : { code: "rooms.interrupted", message: "the core stopped while the message was being spoken" };
          await deps.rooms.updateRequest(row.id, { status: "FAILED", failureCode: failure.code, failureMessage: failure.message, finishedAt: clock.now() });
          failed++;
          continue;
        }
        enqueue({ id: row.id, campaignId: row.campaignId, source: JSON.parse(row.sourceJson) as PlaybackSource, voice, status: "PENDING", position: row.position, failure: null, createdAt: row.createdAt, startedAt: null, finishedAt: null, chunks: [], generationEnded: false, waiters: [] });
        requeued++;
      }
      return { requeued, failed };
    },

    /** Removes played chunks older than the retention, rows and audio; returns how many. */
    async removeOldChunks(limit = 500): Promise<number> {
      const removed = await deps.rooms.removePlayedChunks(clock.now() - settings.playedRetentionMs, limit);
      const directories = new Set<string>();
      for (const chunk of removed) {
        await rm(chunkAudioPathOf(settings.audioDirectory, chunk.requestId, chunk.sequence), { force: true });
        directories.add(join(settings.audioDirectory, chunk.requestId));
      }
      for (const directory of directories) await rmdir(directory).catch(() => {}); // still holds newer chunks
      return removed.length;
    },

    /** Writes what the database refused earlier; throws while it still refuses. */
    flushState: () => writer.flush(),
    unwrittenChanges: () => writer.pending(),

    /** Resolves once every room has played everything it was given (tests, shutdown). */
    async settled(): Promise<void> {
      for (const room of rooms.values()) await room.idle;
    },
  };
}

function failureOf(error: unknown): { code: string; message: string } {
  if (error instanceof RoomFailure || error instanceof PromptWriterError || error instanceof SpeechSynthesisError) return { code: error.code, message: error.message };
  return { code: "rooms.generation_failed", message: (error as Error)?.message ?? String(error) };
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (a provider that ignores the signal is left behind). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function chunkRow(chunk: LiveChunk): PlaybackChunkRow {
  return { ...chunk, playedAt: null };
}

function chunkReadyEvent(chunk: LiveChunk, now: number): RoomEvent {
  return {
    type: "audio_chunk_ready",
    campaign_id: chunk.campaignId,
    request_id: chunk.requestId,
    chunk_id: chunk.id,
    sequence: chunk.sequence,
    text: chunk.text,
    start_at: chunk.startAt,
    duration_ms: chunk.durationMs,
    audio_url: `/api/audio/chunks/${chunk.id}`,
    server_time: now,
  };
}

function presentChunk(chunk: Pick<LiveChunk, "id" | "sequence" | "text" | "status" | "startAt" | "durationMs">) {
  return { chunk_id: chunk.id, sequence: chunk.sequence, text: chunk.text, status: chunk.status, start_at: chunk.startAt, duration_ms: chunk.durationMs, audio_url: `/api/audio/chunks/${chunk.id}` };
}

function sourceView(source: PlaybackSource) {
  if (source.kind === "text") return { kind: "text", text: source.text };
  if (source.kind === "lead") return { kind: "lead", lead_id: source.leadId, slot: source.slot, text: source.text };
  return { kind: "prompt", prompt: source.prompt };
}

function presentRequest(request: LiveRequest) {
  return {
    request_id: request.id,
    campaign_id: request.campaignId,
    status: request.status,
    source: sourceView(request.source),
    failure: request.failure,
    created_at: request.createdAt,
    started_at: request.startedAt,
    finished_at: request.finishedAt,
    stream_url: `/api/audio/stream/${request.id}`,
    chunks: request.chunks.map(presentChunk),
  };
}

function presentStoredRequest(row: PlaybackRequestRow, chunks: PlaybackChunkRow[]): ReturnType<typeof presentRequest> {
  return {
    request_id: row.id,
    campaign_id: row.campaignId,
    status: row.status,
    source: sourceView(JSON.parse(row.sourceJson) as PlaybackSource),
    failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? "" } : null,
    created_at: row.createdAt,
    started_at: row.startedAt,
    finished_at: row.finishedAt,
    stream_url: `/api/audio/stream/${row.id}`,
    chunks: chunks.map(presentChunk),
  };
}
