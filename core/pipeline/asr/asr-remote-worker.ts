import { asrJobPayload, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { type RemoteJobWorker, type RemoteJobWorkerOptions, type RemoteWorkerDeps, remoteWorkerName, startRemoteJobWorker } from "../../internal/remote-job-worker.ts";
import { createRemoteChunkSource } from "../chunk-audio-source.ts";
import { createOpusPcmDecoderPool } from "../vad/opus-pcm-decoder.ts";
import { type DialogueTranscription, transcribeDialogue, transcriptionFailureOf } from "./dialogue-transcriber.ts";
import type { TranscriptionProvider } from "./transcription-provider.ts";

export interface RemoteAsrWorkerDeps extends RemoteWorkerDeps {
  provider: TranscriptionProvider;
  slots: number;
  leaseSeconds: number;
  /** Sees each transcription's own timings (benchmarks). */
  onTranscribed?: (transcription: DialogueTranscription) => void;
  observe?: RemoteJobWorkerOptions["observe"];
}

/**
 * `core worker --role asr`: claims transcription jobs, fetches the dialogue's chunks from the
 * core, assembles and transcribes them with this host's provider, and posts the transcript back.
 */
export async function startRemoteAsrWorker(deps: RemoteAsrWorkerDeps, signal: AbortSignal): Promise<RemoteJobWorker> {
  const source = createRemoteChunkSource(deps.client);
  const decoders = createOpusPcmDecoderPool();
  const worker = startRemoteJobWorker(
    deps,
    {
      name: "remote-asr",
      queue: asrQueueName,
      slots: deps.slots,
      leaseSeconds: deps.leaseSeconds,
      observe: deps.observe,
      async run(job, lease) {
        const payload = asrJobPayload.safeParse(job.payload);
        if (!payload.success) return { failure: `malformed transcription job payload: ${payload.error.message}`, permanent: true };
        return decoders.use(async (decoder) => {
          try {
            const transcription = await transcribeDialogue({ source, decoder, provider: deps.provider, worker: remoteWorkerName }, payload.data, lease);
            deps.onTranscribed?.(transcription);
            return { result: transcription.result };
          } catch (error) {
            if (lease.aborted) throw error;
            const failure = transcriptionFailureOf(error);
            return { failure: failure.message, permanent: failure.permanent };
          }
        });
      },
    },
    signal,
  );
  return {
    ...worker,
    async stop() {
      await worker.stop();
      decoders.free();
    },
  };
}
