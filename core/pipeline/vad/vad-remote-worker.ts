import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { vadJobPayload, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { ClaimedJobWire } from "../../../shared/contracts/worker-jobs.ts";
import type { Logger } from "../../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import { InternalApiError, type InternalApiClient } from "../../internal/internal-api-client.ts";
import { createSpeechAnalyzer, UndecodableAudioError } from "./speech-analyzer.ts";

export interface RemoteVadWorkerDeps {
  client: InternalApiClient;
  clock: Clock;
  logger: Logger;
  /** Pause between claims when the core has nothing due. */
  idleIntervalMs?: number;
}

export interface RemoteVadWorker {
  loop: BackgroundLoop;
  /** Chunks this worker finished, for its log and tests. */
  processed(): number;
  stop(): Promise<void>;
}

/**
 * `core worker`: pulls VAD jobs from a core's internal API, fetches each chunk's audio, finds its
 * speech here and reports the segments back. Scale VAD out by running more of these.
 */
export async function startRemoteVadWorker(deps: RemoteVadWorkerDeps, signal: AbortSignal): Promise<RemoteVadWorker> {
  const analyzer = await createSpeechAnalyzer();
  const worker = `${hostname()}/${process.pid}`;
  let processed = 0;
  const loop = startBackgroundLoop({
    name: "remote-vad",
    intervalMs: deps.idleIntervalMs ?? 1000,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => {
      const job = await deps.client.claim([vadQueueName], { leaseSeconds: 300, worker });
      if (!job) return "idle";
      try {
        await runRemoteVadJob(deps, job, analyzer);
        processed++;
      } catch (error) {
        if (error instanceof InternalApiError && error.leaseLost) {
          deps.logger.warn("lease on a VAD job was lost; dropping it", { jobId: job.job_id });
          return "busy";
        }
        throw error;
      }
      return "busy";
    },
  });
  return {
    loop,
    processed: () => processed,
    async stop() {
      await loop.stopped;
      analyzer.free();
    },
  };
}

async function runRemoteVadJob(deps: RemoteVadWorkerDeps, job: ClaimedJobWire, analyzer: Awaited<ReturnType<typeof createSpeechAnalyzer>>): Promise<void> {
  const payload = vadJobPayload.safeParse(job.payload);
  if (!payload.success) {
    await deps.client.reportFailure(job, `malformed VAD job payload: ${payload.error.message}`, true);
    return;
  }
  let audio: { bytes: Uint8Array; sha256: string | null };
  try {
    audio = await deps.client.fetchChunkAudio(payload.data.chunk_id);
  } catch (error) {
    if (error instanceof InternalApiError && (error.status === 404 || error.status === 410)) {
      await deps.client.reportFailure(job, error.message, true);
      return;
    }
    throw error;
  }
  if (audio.sha256 && createHash("sha256").update(audio.bytes).digest("hex") !== audio.sha256) {
    await deps.client.reportFailure(job, "the audio arrived damaged (SHA-256 mismatch)", false);
    return;
  }
  try {
    await deps.client.reportResult(job, await analyzer.analyze(audio.bytes));
  } catch (error) {
    if (error instanceof UndecodableAudioError) {
      await deps.client.reportFailure(job, error.message, true);
      return;
    }
    throw error;
  }
}
