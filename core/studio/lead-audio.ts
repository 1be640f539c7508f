import type { LeadRephraser, RephraseAttemptFailure, StudioLanguage } from "./lead-rephraser.ts";
import type { StudioLead } from "./studio-leads.ts";
import { leadValues, type MissingField, placeholdersOf, renderSlot, type StudioScript } from "./studio-script.ts";
import type { SynthesisCache, SynthesizedSpeech } from "./synthesis-cache.ts";

/**
 * One lead's audio, slot by slot: the script rendered for the lead, optionally rephrased, then
 * spoken through the synthesis cache. This is the unit of work of the studio's generation.
 */
export interface StudioVoice {
  language: StudioLanguage;
  /** The campaign's voice; the provider's default for the language when absent. */
  voice?: string;
}

export interface LeadLine {
  slot: string;
  text: string;
  /** `template`: the script's own words (no rephrasing asked, or every rephrasing was rejected); `edited`: words written for this lead. */
  source: "template" | "rephrased" | "edited";
  /** Why rephrasings were rejected, when any were. */
  rejections: RephraseAttemptFailure[];
}

/**
 * The lead's text for every slot. Only slots with placeholders are rephrased: a line that is the
 * same for every lead stays the same, so it is synthesised once for the whole campaign. A slot with
 * words written for this lead (`texts`) speaks them as written: no placeholder, no rephrasing.
 */
export async function prepareLeadLines(
  deps: { rephraser: LeadRephraser | null },
  input: { script: StudioScript; lead: StudioLead; language: StudioLanguage; rephrase: boolean; texts?: Readonly<Record<string, string>> | undefined },
  signal?: AbortSignal,
): Promise<{ ok: true; lines: LeadLine[] } | { ok: false; missing: MissingField[] }> {
  const lines: LeadLine[] = [];
  const missing: MissingField[] = [];
  for (const [slot, template] of Object.entries(input.script)) {
    const written = input.texts?.[slot];
    if (written !== undefined) {
      lines.push({ slot, text: written, source: "edited", rejections: [] });
      continue;
    }
    const rendered = renderSlot(slot, template, input.lead);
    if (!rendered.ok) {
      missing.push(...rendered.missing);
      continue;
    }
    if (input.rephrase && deps.rephraser && placeholdersOf(template).length > 0) {
      const outcome = await deps.rephraser.rephrase({ template, values: leadValues(input.lead), plainText: rendered.text, language: input.language }, signal);
      lines.push({ slot, text: outcome.text, source: outcome.source, rejections: outcome.rejections });
    } else {
      lines.push({ slot, text: rendered.text, source: "template", rejections: [] });
    }
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, lines };
}

/** Speaks each line; a SpeechSynthesisError says which failure stopped it and whether to retry. */
export async function speakLeadLines(
  deps: { synthesis: SynthesisCache },
  input: { lines: readonly LeadLine[]; voice: StudioVoice; ulaw: boolean },
  signal?: AbortSignal,
): Promise<Record<string, SynthesizedSpeech>> {
  const audio: Record<string, SynthesizedSpeech> = {};
  for (const line of input.lines) {
    audio[line.slot] = await deps.synthesis.speak({ text: line.text, language: input.voice.language, ...(input.voice.voice ? { voice: input.voice.voice } : {}) }, { ulaw: input.ulaw, signal });
  }
  return audio;
}
