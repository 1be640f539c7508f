import { parseTemplate } from "./studio-script.ts";

/**
 * Whether an AI rephrasing of a script line says the same facts: every placeholder's value, every
 * number and every name of the template text must survive, no number may be added, and the length
 * must stay within bounds. A rephrasing that fails is never spoken.
 */
export interface RephrasingBounds {
  /** Shortest acceptable length as a share of the plain text's. */
  minLengthRatio: number;
  maxLengthRatio: number;
}

export const defaultRephrasingBounds: RephrasingBounds = { minLengthRatio: 0.6, maxLengthRatio: 1.6 };

export type RephrasingRejectionCode =
  | "rephrase.empty"
  | "rephrase.placeholder_left"
  | "rephrase.value_lost"
  | "rephrase.number_lost"
  | "rephrase.number_added"
  | "rephrase.name_lost"
  | "rephrase.too_short"
  | "rephrase.too_long";

export type RephrasingCheck = { ok: true; text: string } | { ok: false; code: RephrasingRejectionCode; message: string };

const numberPattern = /\d+(?:[.,:]\d+)*/g;
const wordPattern = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

/** The numbers in a text, as written (`49.99`, `3`, `10:30`). */
export function numbersIn(text: string): string[] {
  return text.match(numberPattern) ?? [];
}

/**
 * The names in a template's own words: capitalised words that do not start a sentence, and words
 * with a capital or digit inside (`iPhone`, `SalesControl`). Placeholders are not words of the text.
 */
export function namesIn(template: string): string[] {
  const names = new Set<string>();
  for (const [index, part] of parseTemplate(template).entries()) {
    if (!("text" in part)) continue;
    for (const match of part.text.matchAll(wordPattern)) {
      const word = match[0];
      const before = part.text.slice(0, match.index).trimEnd();
      const startsSentence = before === "" ? index === 0 : /[.!?…:]$/.test(before);
      const capitalised = /^\p{Lu}/u.test(word);
      const innerCapital = /^.+\p{Lu}/u.test(word) && /\p{Ll}/u.test(word);
      if ((capitalised && !startsSentence) || innerCapital) names.add(word.replace(/['’-]+$/, ""));
    }
  }
  return [...names];
}

function normalised(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").toLocaleLowerCase();
}

function containsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "u").test(text);
}

/** Strips what models wrap an answer in: surrounding quotes and whitespace. */
export function cleanRephrasing(raw: string): string {
  return raw.trim().replace(/^["'«“](.*)["'»”]$/su, "$1").replace(/\s+/g, " ").trim();
}

export function checkRephrasing(input: { template: string; values: Record<string, string>; plainText: string; candidate: string }, bounds: RephrasingBounds = defaultRephrasingBounds): RephrasingCheck {
  const text = cleanRephrasing(input.candidate);
  if (text === "") return { ok: false, code: "rephrase.empty", message: "the rephrasing is empty" };
  if (/[{}]/.test(text)) return { ok: false, code: "rephrase.placeholder_left", message: `the rephrasing still holds a placeholder: ${JSON.stringify(text.slice(0, 120))}` };
  const haystack = normalised(text);
  for (const part of parseTemplate(input.template)) {
    if (!("field" in part)) continue;
    const value = input.values[part.field]?.trim() ?? "";
    if (value !== "" && !haystack.includes(normalised(value))) {
      return { ok: false, code: "rephrase.value_lost", message: `the rephrasing lost {${part.field}} = ${JSON.stringify(value)}` };
    }
  }
  const wanted = new Set(numbersIn(input.plainText));
  const given = new Set(numbersIn(text));
  for (const number of wanted) {
    if (!given.has(number)) return { ok: false, code: "rephrase.number_lost", message: `the rephrasing lost the number ${number}` };
  }
  for (const number of given) {
    if (!wanted.has(number)) return { ok: false, code: "rephrase.number_added", message: `the rephrasing added the number ${number}, which the script does not say` };
  }
  for (const name of namesIn(input.template)) {
    if (!containsWord(text, name)) return { ok: false, code: "rephrase.name_lost", message: `the rephrasing lost the name ${name}` };
  }
  const ratio = text.length / Math.max(1, input.plainText.length);
  if (ratio < bounds.minLengthRatio) return { ok: false, code: "rephrase.too_short", message: `the rephrasing is ${text.length} characters, under ${Math.round(bounds.minLengthRatio * 100)}% of the script's ${input.plainText.length}` };
  if (ratio > bounds.maxLengthRatio) return { ok: false, code: "rephrase.too_long", message: `the rephrasing is ${text.length} characters, over ${Math.round(bounds.maxLengthRatio * 100)}% of the script's ${input.plainText.length}` };
  return { ok: true, text };
}
