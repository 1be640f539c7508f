import { isoTime } from "../../shared/http/iso-time.ts";
import type { PointScope } from "./analytics.repository.ts";
import { type AnalyticsDeps, type PeriodQuery, periodOf } from "./analytics.usecases.ts";
import { formatLocalDate } from "./local-time.ts";
import { createWhatWorksRepository } from "./what-works.repository.ts";

export interface WhatWorksQuery extends PeriodQuery {
  /** Phrases per category. */
  limit: number;
}

/** A phrase as the seller's words, whatever their case, punctuation and spacing. */
export function phraseKeyOf(quote: string): string {
  return quote
    .toLocaleLowerCase("ru")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

const dialoguesPerPhrase = 5;

interface Phrase {
  key: string;
  /** Each way the phrase was written, with its number of dialogues. */
  variants: Map<string, number>;
  offers: number;
  accepted: number;
}

/**
 * Per offer category, the seller's phrases most often followed by the customer accepting: the
 * phrases are the analyses' quotes, folded by case and punctuation, ranked by accepted dialogues.
 */
export async function getWhatWorks(deps: AnalyticsDeps, scope: PointScope, query: WhatWorksQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refresh(deps.calendar);
  const repository = createWhatWorksRepository(deps.db);
  const byCategory = new Map<string, Map<string, Phrase>>();
  for (const row of await repository.offeredPhrases(range)) {
    const key = phraseKeyOf(row.quote);
    if (key === "") continue;
    const phrases = byCategory.get(row.category) ?? new Map<string, Phrase>();
    const phrase = phrases.get(key) ?? { key, variants: new Map(), offers: 0, accepted: 0 };
    phrase.variants.set(row.quote, (phrase.variants.get(row.quote) ?? 0) + row.offers);
    phrase.offers += row.offers;
    phrase.accepted += row.accepted;
    phrases.set(key, phrase);
    byCategory.set(row.category, phrases);
  }
  const labels = new Map(deps.settings.categories.map((category) => [category.id, category.label]));
  const categories = [];
  for (const [category, phrases] of byCategory) {
    const ranked = [...phrases.values()].filter((phrase) => phrase.accepted > 0).sort((a, b) => b.accepted - a.accepted || b.accepted / b.offers - a.accepted / a.offers || a.key.localeCompare(b.key));
    const top = [];
    for (const phrase of ranked.slice(0, query.limit)) {
      const variants = [...phrase.variants].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const dialogues = await repository.acceptedDialogues(
        range,
        category,
        variants.map(([quote]) => quote),
        dialoguesPerPhrase,
      );
      top.push({
        phrase: variants[0]![0],
        offers: phrase.offers,
        accepted: phrase.accepted,
        acceptance_rate: Math.round((phrase.accepted / phrase.offers) * 10000) / 10000,
        dialogues: dialogues.map((dialogue) => ({ dialogue_id: dialogue.dialogueId, start_ts: isoTime(dialogue.startTs) })),
      });
    }
    if (top.length > 0) categories.push({ category, label: labels.get(category) ?? null, phrases: top });
  }
  categories.sort((a, b) => b.phrases[0]!.accepted - a.phrases[0]!.accepted || a.category.localeCompare(b.category));
  return {
    timezone: deps.calendar.timezone,
    from: formatLocalDate(range.fromDay),
    to: formatLocalDate(range.toDay),
    categories,
  };
}
