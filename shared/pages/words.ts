/**
 * Words of the pages: one dictionary per language, the same keys in each. A phrase with a count
 * has plural forms chosen by Intl.PluralRules; numbers in phrases are formatted by Intl.NumberFormat.
 */
export const pageLanguages = ["en", "ru"] as const;
export type PageLanguage = (typeof pageLanguages)[number];

export type PluralPhrase = { one: string; few?: string; many?: string; other: string };
export type Phrase = string | PluralPhrase;
export type Dictionary = Readonly<Record<string, Phrase>>;
export type PhraseValues = Readonly<Record<string, string | number>>;

/** What the page's script reads from the page: its language, its words and its own data. */
export interface PageData<Data = unknown> {
  language: PageLanguage;
  words: Dictionary;
  data: Data;
}

/** Both languages of one dictionary; the Russian one must have every English key and no other. */
export interface Words<Keys extends string> {
  en: Readonly<Record<Keys, Phrase>>;
  ru: Readonly<Record<Keys, Phrase>>;
}

export function defineWords<const English extends Dictionary>(en: English, ru: Readonly<Record<keyof English & string, Phrase>>): Words<keyof English & string> {
  return { en, ru };
}

export function isPageLanguage(value: unknown): value is PageLanguage {
  return typeof value === "string" && (pageLanguages as readonly string[]).includes(value);
}

/** `{name}` placeholders are replaced by values; numbers are written the language's way. */
export function translate(words: Dictionary, language: PageLanguage, key: string, values: PhraseValues = {}): string {
  const phrase = words[key];
  if (phrase === undefined) return key;
  let text: string;
  if (typeof phrase === "string") text = phrase;
  else {
    const count = Number(values.count ?? 0);
    const form = new Intl.PluralRules(language).select(count) as keyof PluralPhrase;
    text = phrase[form] ?? phrase.other;
  }
  const numbers = new Intl.NumberFormat(language);
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? numbers.format(value) : value;
  });
}

export const languageNames: Record<PageLanguage, string> = { en: "English", ru: "Русский" };
