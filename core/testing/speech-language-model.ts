import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A bigram language model (ARPA text) and a pronunciation dictionary limited to a domain corpus,
 * for pocketsphinx: constrained to the words a shop conversation uses, the offline English
 * recogniser transcribes synthetic speech well and in a fraction of a second.
 */
export const cmuDictionaryPath = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
export const acousticModelPath = "/usr/share/pocketsphinx/model/en-us/en-us";

export interface SpeechLanguageModel {
  arpa: string;
  dictionary: string;
  vocabulary: string[];
}

export function buildSpeechLanguageModel(corpus: readonly string[]): SpeechLanguageModel {
  const sentences = corpus.map((line) => wordsOf(line)).filter((words) => words.length > 0);
  const unigrams = new Map<string, number>();
  const bigrams = new Map<string, number>();
  const followers = new Map<string, number>();
  for (const words of sentences) {
    const padded = ["<s>", ...words, "</s>"];
    for (const word of padded) unigrams.set(word, (unigrams.get(word) ?? 0) + 1);
    for (let index = 0; index + 1 < padded.length; index++) {
      const key = `${padded[index]} ${padded[index + 1]}`;
      if (!bigrams.has(key)) followers.set(padded[index]!, (followers.get(padded[index]!) ?? 0) + 1);
      bigrams.set(key, (bigrams.get(key) ?? 0) + 1);
    }
  }

  const vocabulary = [...unigrams.keys()].filter((word) => word !== "<s>" && word !== "</s>").sort();
  const pronunciations = pronunciationsFor(vocabulary);
  const missing = vocabulary.filter((word) => !pronunciations.has(word));
  if (missing.length > 0) throw new Error(`no pronunciation for: ${missing.join(", ")}`);

  // Absolute discounting: each seen bigram gives up `discount`, which backs off to the unigrams.
  const discount = 0.5;
  const total = [...unigrams.values()].reduce((sum, count) => sum + count, 0);
  const lines = ["\\data\\", `ngram 1=${unigrams.size}`, `ngram 2=${bigrams.size}`, "", "\\1-grams:"];
  for (const [word, count] of unigrams) {
    const backoff = followers.has(word) ? (discount * followers.get(word)!) / count : 0;
    lines.push(`${Math.log10(count / total).toFixed(4)} ${word} ${backoff > 0 ? Math.log10(backoff).toFixed(4) : "-99.0000"}`);
  }
  lines.push("", "\\2-grams:");
  for (const [key, count] of bigrams) {
    const [first] = key.split(" ");
    lines.push(`${Math.log10(Math.max(count - discount, 0.01) / unigrams.get(first!)!).toFixed(4)} ${key}`);
  }
  lines.push("", "\\end\\", "");

  const dictionary = vocabulary.flatMap((word) => pronunciations.get(word)!).join("\n");
  return { arpa: lines.join("\n"), dictionary: `${dictionary}\n`, vocabulary };
}

/** Writes the model for `corpus` into `directory` as domain.lm and domain.dict, the files pocketsphinx is given. */
export function writeSpeechLanguageModel(directory: string, corpus: readonly string[]): { lmPath: string; dictionaryPath: string; model: SpeechLanguageModel } {
  const model = buildSpeechLanguageModel(corpus);
  const lmPath = join(directory, "domain.lm");
  const dictionaryPath = join(directory, "domain.dict");
  writeFileSync(lmPath, model.arpa);
  writeFileSync(dictionaryPath, model.dictionary);
  return { lmPath, dictionaryPath, model };
}

function wordsOf(line: string): string[] {
  return line
    .toLowerCase()
    .replace(/[^a-z' ]+/g, " ")
    .split(/\s+/)
    .filter(Boolean);
}

let cmuDictionary: Map<string, string[]> | null = null;

function pronunciationsFor(words: string[]): Map<string, string[]> {
  cmuDictionary ??= loadCmuDictionary();
  const found = new Map<string, string[]>();
  for (const word of words) {
    const entries = cmuDictionary.get(word);
    if (entries) found.set(word, entries);
  }
  return found;
}

function loadCmuDictionary(): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const line of readFileSync(cmuDictionaryPath, "utf8").split("\n")) {
    const space = line.indexOf(" ");
    if (space <= 0) continue;
    const word = line.slice(0, space).replace(/\(\d+\)$/, "");
    const list = entries.get(word) ?? [];
    list.push(line);
    entries.set(word, list);
  }
  return entries;
}
