import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { asteriskWavProblem, inspectWavHeader } from "../../shared/audio/wav-format.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import { createJobQueue } from "../../shared/jobs/job-queue.ts";
import { writeFileAtomic } from "../../shared/runtime/files.ts";
import type { CoreConfigSpec } from "../config.ts";
import { startRemoteJobWorker } from "../internal/remote-job-worker.ts";
import { llmSettingsOf } from "../pipeline/analysis/upsell-analyser.ts";
import { failLocalJob, readLocalJobPayload, startLocalJobSlots } from "../pipeline/job-slots.ts";
import type { PipelineStage } from "../pipeline/pipeline-stage.ts";
import { prepareLeadLines, speakLeadLines } from "./lead-audio.ts";
import { createLeadRephraser } from "./lead-rephraser.ts";
import { createSpeechProvider, speechSettingsOf } from "./speech-settings.ts";
import { SpeechSynthesisError } from "./speech-provider.ts";
import { createStudioRepository } from "./studio.repository.ts";
import { clipFilesOf, createSynthesisCache, ensureUlawSibling, type SynthesisCache } from "./synthesis-cache.ts";

/**
 * Speech synthesis for the studio: one job per lead of a generating campaign. The job carries
 * everything the lead's lines are made of (script, voice, lead fields), so `core worker --role tts`
 * on a GPU host next to the speech server needs no database: its result brings back the lines and
 * the audio it made, which the core keeps in its own synthesis cache.
 */
export const ttsQueueName = "tts";

const leadPayload = z.object({
  leadId: z.number().int().positive(),
  rowNumber: z.number().int().positive(),
  phoneNumber: z.string(),
  vendorLeadCode: z.string(),
  fields: z.record(z.string(), z.string()),
});
/** Everything one lead's lines are made of, so a worker without the core's database can make them. */
export const ttsJobPayload = z.object({
  campaign_id: z.string().regex(campaignIdPattern),
  language: z.enum(["ru", "en"]),
  voice: z.string().nullable(),
  script: z.record(z.string(), z.string()),
  rephrase: z.boolean(),
  /** Also make each clip's G.711 µ-law sibling (absent in jobs queued before the setting existed). */
  ulaw: z.boolean().default(false),
  lead: leadPayload,
  /** Slot → words written for this lead alone, spoken as written. */
  texts: z.record(z.string(), z.string()).optional(),
});
export const ttsJobResult = z.object({
  lines: z.array(
    z.object({
      slot: z.string(),
      text: z.string(),
      source: z.enum(["template", "rephrased", "edited"]),
      clip_key: z.string().regex(/^[0-9a-f]{64}$/),
      /** The clip's WAV as base64, when a remote worker made it; absent when the core's cache has it. */
      wav_base64: z.string().optional(),
    }),
  ),
});
export type TtsJobPayload = z.output<typeof ttsJobPayload>;
export type TtsJobResult = z.output<typeof ttsJobResult>;

export function speechDirectoryOf(config: Pick<ConfigOf<CoreConfigSpec>, "dataDir">): string {
  return join(config.dataDir, "studio", "speech");
}

/** The code a lead's failure starts with when the lead lacks a field its script needs. */
const leadFieldMissing = "studio.lead_field_missing";

/**
 * A job's failure, "code: detail" (a SpeechErrorCode or leadFieldMissing): a lead missing a field or
 * refused input is final; a speech server's hiccup is retried.
 */
type Outcome = { result: TtsJobResult } | { failure: string; permanent: boolean };

/** Renders, optionally rephrases and speaks one lead's lines. */
async function workOn(config: ConfigOf<CoreConfigSpec>, synthesis: SynthesisCache, work: TtsJobPayload, signal: AbortSignal, includeAudio: boolean): Promise<Outcome> {
  const llm = work.rephrase ? llmSettingsOf(config) : null;
  const prepared = await prepareLeadLines({ rephraser: llm ? createLeadRephraser({ llm }) : null }, { script: work.script, lead: work.lead, language: work.language, rephrase: work.rephrase, texts: work.texts }, signal);
  if (!prepared.ok) {
    const missing = prepared.missing.map((field) => `${field.slot} needs ${field.field}`).join(", ");
    return { failure: `${leadFieldMissing}: lead ${work.lead.leadId} (row ${work.lead.rowNumber}) lacks a field the script needs: ${missing}`, permanent: true };
  }
  try {
    const audio = await speakLeadLines({ synthesis }, { lines: prepared.lines, voice: { language: work.language, ...(work.voice ? { voice: work.voice } : {}) }, ulaw: work.ulaw }, signal);
    const lines = await Promise.all(
      prepared.lines.map(async (line) => {
        const clip = audio[line.slot]!;
        return { slot: line.slot, text: line.text, source: line.source, clip_key: clip.key, ...(includeAudio ? { wav_base64: (await readFile(clip.wavPath)).toString("base64") } : {}) };
      }),
    );
    return { result: { lines } };
  } catch (error) {
    if (error instanceof SpeechSynthesisError) return { failure: `${error.code}: ${error.message}`, permanent: !error.retryable };
    return { failure: (error as Error).message, permanent: false };
  }
}

function registerTtsMetrics(metrics: MetricsRegistry) {
  return metrics.counter("studio_tts_leads_total", "Studio leads whose speech this process worked on, by outcome.");
}

export const ttsStage: PipelineStage<TtsJobPayload, TtsJobResult> = {
  queue: ttsQueueName,
  summary: "speak the studio campaigns' lines per lead (espeak-ng or TTS_BASE_URL)",
  payloadSchema: ttsJobPayload,
  resultSchema: ttsJobResult,
  createQueue: (db, clock) => createJobQueue(db, { clock, backoff: { initialMs: 2000, maxMs: 60_000 }, leaseMs: 120_000, maxAttempts: 5 }),
  async applyResult(host, payload, result) {
    const directory = speechDirectoryOf(host.config);
    for (const line of result.lines) {
      const { wavPath, ulawPath } = clipFilesOf(directory, line.clip_key);
      if (line.wav_base64 && !existsSync(wavPath)) {
        const wav = new Uint8Array(Buffer.from(line.wav_base64, "base64"));
        const inspected = inspectWavHeader(wav, wav.length);
        const problem = inspected.status === "ok" ? asteriskWavProblem(inspected.format) : `not a WAV file (${inspected.status})`;
        if (problem) throw new Error(`the worker's clip for slot ${line.slot} of lead ${payload.lead.leadId} is not Asterisk audio: ${problem}`);
        await writeFileAtomic(wavPath, wav);
      }
      if (!existsSync(wavPath)) throw new Error(`the clip ${line.clip_key} of lead ${payload.lead.leadId} is not in the synthesis cache`);
      // A remote worker sends the WAV only: the µ-law sibling is the same samples, encoded here.
      if (payload.ulaw) await ensureUlawSibling({ wavPath, ulawPath });
    }
    await createStudioRepository(host.db).completeLead(
      payload.campaign_id,
      payload.lead.leadId,
      result.lines.map((line) => ({ slot: line.slot, text: line.text, source: line.source, clipKey: line.clip_key })),
      host.clock.now(),
    );
  },
  recordFailure: (host, payload, error) => createStudioRepository(host.db).failLead(payload.campaign_id, payload.lead.leadId, error, host.clock.now()),
  registerMetrics: registerTtsMetrics,
  healthKey: "tts",
  setup: (config) => ({ inProcess: true, provider: speechSettingsOf(config).provider }),
  describe: (config) => `in process through ${speechSettingsOf(config).provider}`,
  startInCore(host, signal, options) {
    const queue = ttsStage.createQueue(host.db, host.clock);
    const leads = registerTtsMetrics(host.metrics);
    const synthesis = createSynthesisCache({ directory: speechDirectoryOf(host.config), provider: createSpeechProvider(speechSettingsOf(host.config)) });
    const slots = startLocalJobSlots({
      name: ttsQueueName,
      queueName: ttsQueueName,
      queue,
      slots: 2,
      leaseMs: 120_000,
      intervalMs: options.idleIntervalMs ?? 1000,
      clock: host.clock,
      logger: host.logger,
      signal,
      async run(job, lease) {
        const payload = await readLocalJobPayload(queue, job, ttsJobPayload, "tts");
        if (!payload) return;
        const dead = (message: string) => ttsStage.recordFailure(host, payload, message);
        const outcome = await workOn(host.config, synthesis, payload, lease, false);
        if ("failure" in outcome) {
          await failLocalJob(queue, job, { message: outcome.failure, permanent: outcome.permanent }, { counted: (counted) => leads.inc({ outcome: counted }), dead });
          return;
        }
        await ttsStage.applyResult(host, payload, outcome.result);
        await queue.complete(job);
        leads.inc({ outcome: "done" });
      },
    });
    return { loops: slots.loops, stop: () => slots.stopped };
  },
  worker: {
    problems: () => [],
    start: async (host, signal) => {
      const synthesis = createSynthesisCache({ directory: speechDirectoryOf(host.config), provider: createSpeechProvider(speechSettingsOf(host.config)) });
      return startRemoteJobWorker(
        { ...host, idleIntervalMs: 1000 },
        {
          name: "remote-tts",
          queue: ttsQueueName,
          slots: 2,
          leaseSeconds: 120,
          async run(job, lease) {
            const payload = ttsJobPayload.safeParse(job.payload);
            if (!payload.success) return { failure: `malformed tts job payload: ${payload.error.message}`, permanent: true };
            const outcome = await workOn(host.config, synthesis, payload.data, lease, true);
            return "failure" in outcome ? outcome : { result: outcome.result };
          },
        },
        signal,
      );
    },
  },
};
