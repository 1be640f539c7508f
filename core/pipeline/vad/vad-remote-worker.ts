import { createHash } from "node:crypto";
import { vadJobPayload, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { ClaimedJobWire } from "../../../shared/contracts/worker-jobs.ts";
import { InternalApiError, type InternalApiClient } from "../../internal/internal-api-client.ts";
import { type RemoteJobOutcome, type RemoteJobWorker, type RemoteWorkerDeps, startRemoteJobWorker } from "../../internal/remote-job-worker.ts";
import { createSpeechAnalyzer, type SpeechAnalyzer, UndecodableAudioError } from "./speech-analyzer.ts";

export type RemoteVadWorkerDeps = RemoteWorkerDeps;

/**
 * `core worker --role vad`: pulls VAD jobs from a core's internal API, fetches each chunk's audio,
 * finds its speech here and reports the segments back. Scale VAD out by running more of these.
 */
export async function startRemoteVadWorker(deps: RemoteVadWorkerDeps, signal: AbortSignal): Promise<RemoteJobWorker> {
  const analyzer = await createSpeechAnalyzer();
  const worker = startRemoteJobWorker(deps, { name: "remote-vad", queue: vadQueueName, slots: 1, leaseSeconds: 300, run: (job) => runRemoteVadJob(deps.client, job, analyzer) }, signal);
  return {
    ...worker,
    async stop() {
      await worker.stop();
      analyzer.free();
    },
  };
}

async function runRemoteVadJob(client: InternalApiClient, job: ClaimedJobWire, analyzer: SpeechAnalyzer): Promise<RemoteJobOutcome> {
  const payload = vadJobPayload.safeParse(job.payload);
  if (!payload.success) return { failure: `malformed VAD job payload: ${payload.error.message}`, permanent: true };
  let audio: { bytes: Uint8Array; sha256: string | null };
  try {
    audio = await client.fetchChunkAudio(payload.data.chunk_id);
  } catch (error) {
    if (error instanceof InternalApiError && (error.status === 404 || error.status === 410)) return { failure: error.message, permanent: true };
    throw error;
  }
  if (audio.sha256 && createHash("sha256").update(audio.bytes).digest("hex") !== audio.sha256) {
    return { failure: "the audio arrived damaged (SHA-256 mismatch)", permanent: false };
  }
  try {
    return { result: await analyzer.analyze(audio.bytes) };
  } catch (error) {
    if (error instanceof UndecodableAudioError) return { failure: error.message, permanent: true };
    throw error;
  }
}
