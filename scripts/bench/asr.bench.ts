/**
 * Transcription pipeline cost: dialogues are uploaded to a core (its own process, from source),
 * found by its VAD and queued; two `core worker --role asr` workers (two slots each, in this
 * process, over the core's internal HTTP API) claim them, fetch and decode the chunks, assemble
 * the audio, send it to the local transcription server (pocketsphinx behind the OpenAI wire
 * format) and post the transcripts back. Printed: throughput, and the pipeline's own time per
 * dialogue (claim, fetch + decode + assembly, report + storage) beside the provider's own time,
 * also measured alone on the same audio in the same run.
 *   bun run bench asr [dialogues]
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { createInternalApiClient } from "../../core/internal/internal-api-client.ts";
import { startRemoteAsrWorker } from "../../core/pipeline/asr/asr-remote-worker.ts";
import { assembleDialogueAudio } from "../../core/pipeline/asr/dialogue-audio.ts";
import type { DialogueTranscription } from "../../core/pipeline/asr/dialogue-transcriber.ts";
import { createTranscriptionProvider, type TranscriptionSettings } from "../../core/pipeline/asr/transcription-provider.ts";
import { createOpusPcmDecoder } from "../../core/pipeline/vad/opus-pcm-decoder.ts";
import { type TestDevice, uploadForm } from "../../core/testing/core-test-app.ts";
import { startOpenAiCompatibleServer } from "../../core/testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../../core/testing/sales-corpus.ts";
import { turnTakingChunk } from "../../core/testing/test-audio.ts";
import { median, percentile, printTable } from "./bench-report.ts";

const count = Number(process.argv[2] ?? 40);
const workers = 2;
const slotsPerWorker = 2;
const root = join(import.meta.dir, "../..");
const dir = makeTempDir("salescontrol-bench-asr-");
const adminToken = randomBytes(16).toString("hex");
const internalToken = randomBytes(16).toString("hex");
const sentences = ["would you like to buy a phone case as well", "can i offer you a warranty for this", "we also have a great deal on headphones", "do you need a charger with that"];

const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
const settings: TranscriptionSettings = {
  endpoint: { baseUrl: provider.baseUrl, apiKey: "no-key", timeoutMs: 120_000 },
  model: "pocketsphinx-en-us",
  language: "en",
  responseFormat: "verbose_json",
  concurrency: slotsPerWorker,
};
const core = await startNodeProcess(process.execPath, [join(root, "core/main.ts"), "serve"], {
  cwd: dir.path,
  env: { PATH: process.env.PATH!, HOME: dir.path, DATA_DIR: dir.join("core"), PORT: "0", HOST: "127.0.0.1", ADMIN_TOKEN: adminToken, INTERNAL_TOKEN: internalToken, DIALOGUE_SILENCE_GAP_SECONDS: "2", ANALYSIS_IN_PROCESS: "false" },
});
const admin = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${core.url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as any;
};

try {
  // One sentence per dialogue, then enough silence for the VAD to close it.
  const audio = await Promise.all(sentences.map((text) => turnTakingChunk({ sentences: [{ text, voice: "en-us" }], leadMs: 500, pauseMs: 0, trailingMs: 3000 })));
  const device: TestDevice = { pointId: crypto.randomUUID(), registerId: crypto.randomUUID(), deviceId: crypto.randomUUID(), token: randomBytes(16).toString("hex") };
  await admin("/api/v1/admin/devices", { method: "POST", body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }) });
  const bytesOfChunk = new Map<string, Uint8Array>();
  const firstStart = Date.now() - (count + 2) * 20_000;
  for (let index = 0; index < count; index++) {
    const chunk = audio[index % audio.length]!;
    const chunkId = crypto.randomUUID();
    bytesOfChunk.set(chunkId, chunk.bytes);
    const startTs = firstStart + index * 20_000;
    const response = await fetch(`${core.url}${chunkUploadPath}`, { method: "POST", body: uploadForm(device, { bytes: chunk.bytes, chunkId, startTs, endTs: startTs + chunk.durationMs }, Date.now()), headers: { authorization: `Bearer ${device.token}` } });
    if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
  }
  const waitForStage = async (status: "QUEUED" | "DONE") => {
    for (;;) {
      const overview = await admin("/api/v1/admin/pipeline");
      if (overview.dialogues.asr[status] >= count) return;
      await Bun.sleep(100);
    }
  };
  await waitForStage("QUEUED");
  const seconds = audio.map((chunk) => (chunk.speech[0]!.endMs - chunk.speech[0]!.startMs) / 1000);
  console.log(`${count} dialogues of one sentence each (${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s of speech), queued in a core at ${core.url}`);
  console.log(`transcription server: pocketsphinx behind /v1/audio/transcriptions (16 kHz WAV); ${workers} workers × ${slotsPerWorker} slots\n`);

  // The pipeline: two workers drain the queue.
  const phases: Array<{ claimMs: number; runMs: number; reportMs: number }> = [];
  const transcriptions: DialogueTranscription[] = [];
  const shutdown = new AbortController();
  const fetchMs: number[] = [];
  const api = createInternalApiClient({ baseUrl: core.url, token: internalToken });
  const client = {
    ...api,
    async fetchChunkAudio(chunkId: string) {
      const at = performance.now();
      const audio = await api.fetchChunkAudio(chunkId);
      fetchMs.push(performance.now() - at);
      return audio;
    },
  };
  const started = performance.now();
  const running = await Promise.all(
    Array.from({ length: workers }, () =>
      startRemoteAsrWorker(
        {
          client,
          clock: systemClock,
          logger: silentLogger,
          idleIntervalMs: 50,
          provider: createTranscriptionProvider(settings),
          slots: slotsPerWorker,
          leaseSeconds: 60,
          observe: (phase) => phases.push(phase),
          onTranscribed: (transcription) => transcriptions.push(transcription),
        },
        shutdown.signal,
      ),
    ),
  );
  await waitForStage("DONE");
  const pipelineSeconds = (performance.now() - started) / 1000;
  shutdown.abort();
  await Promise.all(running.map((worker) => worker.stop()));

  // The provider alone, on the same audio the workers sent, one request at a time and as many at once as the workers had.
  const decoder = await createOpusPcmDecoder();
  const wavs: Uint8Array[] = [];
  for (const dialogue of (await admin(`/api/v1/admin/dialogues?limit=${count}`)).dialogues) {
    const detail = await admin(`/api/v1/admin/dialogues/${dialogue.dialogue_id}`);
    const payload = {
      dialogue_id: dialogue.dialogue_id,
      revision: dialogue.revision,
      start_ts: Date.parse(dialogue.start_ts),
      segments: detail.segments.map((segment: any) => ({ chunk_id: segment.chunk_id, start_ts: Date.parse(segment.start_ts), offset_start_ms: segment.offset_start_ms, offset_end_ms: segment.offset_end_ms })),
    };
    const assembled = await assembleDialogueAudio(payload, { read: async (chunkId) => bytesOfChunk.get(chunkId)! }, decoder);
    wavs.push(assembled.parts[0]!.wav);
  }
  decoder.free();
  const alone = createTranscriptionProvider(settings);
  const sequentialMs: number[] = [];
  for (const wav of wavs) {
    const at = performance.now();
    await alone.transcribe(wav);
    sequentialMs.push(performance.now() - at);
  }
  const concurrentStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: workers * slotsPerWorker }, async () => {
      while (next < wavs.length) await alone.transcribe(wavs[next++]!);
    }),
  );
  const concurrentSeconds = (performance.now() - concurrentStarted) / 1000;

  const providerMs = transcriptions.map((transcription) => transcription.result.provider_ms);
  const assembleMs = transcriptions.map((transcription) => transcription.assembleMs);
  const claimMs = phases.map((phase) => phase.claimMs);
  const reportMs = phases.map((phase) => phase.reportMs);
  const overheadMs = phases.map((phase, index) => phase.claimMs + phase.runMs - (providerMs[index] ?? 0) + phase.reportMs);
  const mean = (values: number[]) => values.reduce((total, value) => total + value, 0) / values.length;
  printTable(
    ["measured in this run", "per dialogue (median)", "p90", "dialogues/s"],
    [
      ["provider alone, one request at a time (baseline)", median(sequentialMs), percentile(sequentialMs, 0.9), 1000 / mean(sequentialMs)],
      [`provider alone, ${workers * slotsPerWorker} requests at a time (baseline)`, "", "", wavs.length / concurrentSeconds],
      [`pipeline: ${workers} workers × ${slotsPerWorker} slots, queue to stored transcript`, "", "", count / pipelineSeconds],
      ["  provider's own time inside the pipeline", median(providerMs), percentile(providerMs, 0.9), ""],
      ["  pipeline overhead: claim (queueing)", median(claimMs), percentile(claimMs, 0.9), ""],
      ["  pipeline overhead: fetch + decode + assemble", median(assembleMs), percentile(assembleMs, 0.9), ""],
      ["    of which fetching the chunk over HTTP", median(fetchMs), percentile(fetchMs, 0.9), ""],
      ["  pipeline overhead: report + store transcript", median(reportMs), percentile(reportMs, 0.9), ""],
      ["  pipeline overhead, all of it (excluding provider)", median(overheadMs), percentile(overheadMs, 0.9), ""],
    ],
  );
  console.log(`\noverhead is ${((median(overheadMs) / median(providerMs)) * 100).toFixed(1)} % of the provider's own time per dialogue (medians); throughput is ${((count / pipelineSeconds / (wavs.length / concurrentSeconds)) * 100).toFixed(0)} % of the provider's alone at the same concurrency`);
} finally {
  await core.stop("SIGTERM");
  await provider.stop();
  dir.remove();
}
