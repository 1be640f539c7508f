/**
 * What the analysis looks for and how it asks: categories, the scoring rubric and the LLM prompts,
 * in Russian and English. These are the defaults; an operator replaces any of them with a YAML file
 * (ANALYSIS_SETTINGS_FILE, see loadAnalysisSettings).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { analysisLanguages, analysisSettingsSchema } from "../../../shared/contracts/analysis-jobs.ts";
import { ConfigError } from "../../../shared/config/config-loader.ts";
import { describeZodError } from "../../../shared/http/zod-issues.ts";

export { analysisLanguages, analysisSettingsSchema };
export type AnalysisLanguage = (typeof analysisLanguages)[number];
export type AnalysisSettings = z.output<typeof analysisSettingsSchema>;

export const defaultAnalysisSettings: AnalysisSettings = {
  categories: [
    {
      id: "warranty",
      label: { ru: "Гарантия и страховка", en: "Warranty and insurance" },
      keywords: ["warranty", "guarantee", "insurance", "protection plan", "гарантия", "гарантию", "гарантии", "страховка", "страховку", "страхование"],
    },
    {
      id: "accessory",
      label: { ru: "Аксессуары", en: "Accessories" },
      keywords: [
        "case", "cover", "charger", "cable", "headphones", "earphones", "screen protector", "bag", "mouse", "battery", "memory card",
        "чехол", "чехла", "зарядка", "зарядку", "зарядное", "кабель", "наушники", "стекло", "плёнку", "пленку", "сумку", "мышку", "карту памяти",
      ],
    },
    {
      id: "service",
      label: { ru: "Услуги", en: "Services" },
      keywords: ["setup", "installation", "delivery", "cleaning", "настройка", "настройку", "установка", "установку", "доставка", "доставку"],
    },
    {
      id: "upgrade",
      label: { ru: "Более дорогая модель", en: "Upgrade" },
      keywords: ["upgrade", "pro model", "bigger", "more memory", "старшую модель", "побольше", "больше памяти", "версию pro"],
    },
    {
      id: "complementary",
      label: { ru: "Сопутствующие товары", en: "Complementary goods" },
      keywords: ["dessert", "drink", "coffee", "sauce", "batteries", "refill", "десерт", "напиток", "кофе", "соус", "батарейки", "пакет"],
    },
    {
      id: "promotion",
      label: { ru: "Акция или комплект", en: "Promotion or bundle" },
      keywords: ["discount", "bundle", "deal", "second one", "loyalty card", "скидка", "скидку", "акция", "акции", "комплект", "второй", "бонусную карту", "карту лояльности"],
    },
    { id: "other", label: { ru: "Другое", en: "Other" }, keywords: [] },
  ],
  rubric: {
    en: [
      "0: no upsell attempt.",
      "+3: the seller offered something beyond what the customer came for.",
      "+2: the offer names a specific product or service.",
      "+2: the seller gave a reason or benefit (why it helps this customer).",
      "+1: the offer was a question that invites an answer.",
      "+1: a price incentive or bundle, or a second relevant offer.",
      "+1: the customer accepted.",
      "The score is the sum, at most 10.",
    ].join("\n"),
    ru: [
      "0: попытки допродажи не было.",
      "+3: продавец предложил что-то сверх того, за чем пришёл покупатель.",
      "+2: предложение называет конкретный товар или услугу.",
      "+2: продавец объяснил пользу для покупателя.",
      "+1: предложение сделано в форме вопроса.",
      "+1: ценовой стимул или комплект, либо второе уместное предложение.",
      "+1: покупатель согласился.",
      "Оценка — сумма, не более 10.",
    ].join("\n"),
  },
  systemPrompt: {
    en: [
      "You review a transcript of a conversation between a shop seller and a customer, recorded at the till.",
      "Decide whether the seller tried to upsell (offer something more than the customer asked for), list every offer with its category,",
      "the product, and the seller's exact words copied character for character from the transcript, and describe the customer's reaction",
      "with the customer's exact words. Never paraphrase a quote: a quote that is not in the transcript makes the whole answer invalid.",
      "Score the attempt from 0 to 10 by this rubric:",
      "{rubric}",
      "Allowed categories: {categories}.",
      "Write the summary and rationale in English.",
    ].join("\n"),
    ru: [
      "Ты анализируешь расшифровку разговора продавца и покупателя у кассы.",
      "Определи, пытался ли продавец сделать допродажу (предложить больше, чем просил покупатель). Перечисли каждое предложение:",
      "категорию, товар и точные слова продавца, скопированные из расшифровки символ в символ, и опиши реакцию покупателя",
      "его точными словами. Никогда не пересказывай цитаты: цитата, которой нет в расшифровке, делает весь ответ недействительным.",
      "Оцени попытку от 0 до 10 по шкале:",
      "{rubric}",
      "Допустимые категории: {categories}.",
      "Резюме и обоснование пиши по-русски.",
    ].join("\n"),
  },
};

export function analysisLanguageOf(language: string | null | undefined, transcript: string): AnalysisLanguage {
  if (language) {
    const lowered = language.toLowerCase();
    if (lowered.startsWith("ru") || lowered === "russian") return "ru";
    if (lowered.startsWith("en") || lowered === "english") return "en";
  }
  const letters = transcript.match(/\p{L}/gu) ?? [];
  const cyrillic = letters.filter((letter) => /[\u0400-\u04FF]/.test(letter)).length;
  return letters.length > 0 && cyrillic / letters.length > 0.3 ? "ru" : "en";
}

/** The system prompt with the rubric and categories filled in. */
export function systemPromptFor(settings: AnalysisSettings, language: AnalysisLanguage): string {
  const categories = settings.categories.map((category) => `${category.id} (${category.label[language]})`).join(", ");
  return settings.systemPrompt[language].replace("{rubric}", settings.rubric[language]).replace("{categories}", categories);
}

export class AnalysisSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnalysisSettingsError";
  }
}

/**
 * The defaults with a YAML file's keys laid over them: `categories` replaces the whole list,
 * `rubric` and `systemPrompt` (also `system_prompt`) replace the languages they name.
 */
export function loadAnalysisSettings(path: string | undefined): AnalysisSettings {
  if (!path) return defaultAnalysisSettings;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AnalysisSettingsError(`cannot read the analysis settings file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new AnalysisSettingsError(`the analysis settings file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) return defaultAnalysisSettings;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new AnalysisSettingsError(`the analysis settings file ${path} must hold a mapping (categories, rubric, system_prompt)`);
  const { system_prompt: snakePrompt, ...rest } = raw as Record<string, unknown>;
  const overrides: Record<string, unknown> = { ...rest, ...(snakePrompt === undefined ? {} : { systemPrompt: snakePrompt }) };
  const merged = {
    ...defaultAnalysisSettings,
    ...overrides,
    rubric: { ...defaultAnalysisSettings.rubric, ...(overrides.rubric as object | undefined) },
    systemPrompt: { ...defaultAnalysisSettings.systemPrompt, ...(overrides.systemPrompt as object | undefined) },
  };
  const parsed = analysisSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new AnalysisSettingsError(`the analysis settings file ${path} is invalid: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

/** The analysis settings file, read once at start; a bad file stops the node like a bad setting. */
export function loadAnalysisSettingsOrRefuse(path: string | undefined): AnalysisSettings {
  try {
    return loadAnalysisSettings(path);
  } catch (error) {
    if (error instanceof AnalysisSettingsError) throw new ConfigError([`ANALYSIS_SETTINGS_FILE (analysis_settings_file): ${error.message}`]);
    throw error;
  }
}
