import { vadJobPayload, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { ClaimedJobWire } from "../../../shared/contracts/worker-jobs.ts";
import { type RemoteJobOutcome, type RemoteJobWorker, type RemoteWorkerDeps, startRemoteJobWorker } from "../../internal/remote-job-worker.ts";
import { ChunkAudioMissingError, type ChunkAudioSource, createRemoteChunkSource } from "../chunk-audio-source.ts";
import { audioBoundOf, createSpeechAnalyzer, type SpeechAnalyzer, UndecodableAudioError } from "./speech-analyzer.ts";

export type RemoteVadWorkerDeps = RemoteWorkerDeps;

/**
 * `core worker --role vad`: pulls VAD jobs from a core's internal API, fetches each chunk's audio,
 * finds its speech here and reports the segments back. Scale VAD out by running more of these.
 */
export async function startRemoteVadWorker(deps: RemoteVadWorkerDeps, signal: AbortSignal): Promise<RemoteJobWorker> {
  const analyzer = await createSpeechAnalyzer();
  const source = createRemoteChunkSource(deps.client);
  const worker = startRemoteJobWorker(deps, { name: "remote-vad", queue: vadQueueName, slots: 1, leaseSeconds: 300, run: (job) => runRemoteVadJob(source, job, analyzer) }, signal);
  return {
    ...worker,
    async stop() {
      await worker.stop();
      analyzer.free();
    },
  };
}

async function runRemoteVadJob(source: ChunkAudioSource, job: ClaimedJobWire, analyzer: SpeechAnalyzer): Promise<RemoteJobOutcome> {
  const payload = vadJobPayload.safeParse(job.payload);
  if (!payload.success) return { failure: `malformed VAD job payload: ${payload.error.message}`, permanent: true };
  let bytes: Uint8Array;
  try {
    bytes = await source.read(payload.data.chunk_id);
  } catch (error) {
    return { failure: (error as Error).message, permanent: error instanceof ChunkAudioMissingError };
  }
  try {
    return { result: await analyzer.analyze(bytes, audioBoundOf(payload.data)) };
  } catch (error) {
    if (error instanceof UndecodableAudioError) return { failure: error.message, permanent: true };
    throw error;
  }
}
