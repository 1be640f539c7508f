import { z } from "zod";
import { uuidString } from "./identifiers.ts";

/**
 * The `analysis` queue: look for upsell attempts in one transcript. The payload carries the
 * transcript; a worker analyses it with its LLM (or the offline rules) under the core's analysis
 * settings, which it reads from GET /api/v1/internal/analysis/settings, and posts the result.
 * The core checks every quote against the transcript it holds before it stores anything.
 */
export const analysisQueueName = "analysis";

export const analysisSettingsPath = "/api/v1/internal/analysis/settings";

export const analysisLanguages = ["ru", "en"] as const;
export const customerReactions = ["accepted", "declined", "considering", "no_reaction", "not_applicable"] as const;
export const analysisMethods = ["llm", "rules"] as const;

const perLanguage = z.object({ ru: z.string().min(1).max(20_000), en: z.string().min(1).max(20_000) }).strict();
const categoryId = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { message: "category ids are lower_snake_case" });

/** Categories of offers, the 0–10 rubric and the LLM's system prompt, in Russian and English. */
export const analysisSettingsSchema = z
  .object({
    categories: z
      .array(
        z
          .object({
            id: categoryId,
            label: perLanguage,
            /** Words that point to this category (any language). */
            keywords: z.array(z.string().min(1).max(200)).max(1000).default([]),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .refine((categories) => new Set(categories.map((category) => category.id)).size === categories.length, { message: "category ids must be unique" }),
    rubric: perLanguage,
    systemPrompt: perLanguage,
  })
  .strict();

export const analysisSettingsResponse = z.object({ settings: analysisSettingsSchema });

export const analysisJobPayload = z.object({
  dialogue_id: uuidString,
  transcript_id: z.number().int().positive(),
  revision: z.number().int().min(1),
  /** The dialogue's analysis pass this job produces (1 for the first). */
  pass: z.number().int().min(1),
  text: z.string().max(1_000_000),
  language: z.string().max(16).nullable(),
});

/** A span of the transcript: `text` must equal transcript.slice(start, end). */
export const locatedQuote = z
  .object({ text: z.string().min(1).max(10_000), start: z.number().int().min(0), end: z.number().int().min(1) })
  .refine((quote) => quote.end > quote.start, { message: "end must be after start" });

export const analysisJobResult = z.object({
  method: z.enum(analysisMethods),
  model: z.string().min(1).max(200).nullable(),
  language: z.enum(analysisLanguages),
  upsell_attempted: z.boolean(),
  offers: z
    .array(z.object({ category: categoryId, product: z.string().max(500).nullable(), quote: locatedQuote }))
    .max(100),
  customer_reaction: z.enum(customerReactions),
  customer_quote: locatedQuote.nullable(),
  quality_score: z.number().int().min(0).max(10),
  rubric: z.string().min(1).max(20_000),
  quality_rationale: z.string().max(10_000),
  summary: z.string().max(10_000),
  worker: z.string().max(200).nullable(),
});

export type AnalysisSettingsWire = z.output<typeof analysisSettingsSchema>;
export type AnalysisJobPayload = z.output<typeof analysisJobPayload>;
export type AnalysisJobResult = z.output<typeof analysisJobResult>;
