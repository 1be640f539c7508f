import { type AnalysisLanguage, type AnalysisSettings, analysisLanguageOf } from "./analysis-settings.ts";
import type { LocatedQuote } from "./quote-locator.ts";
import type { CustomerReaction, UpsellAnalysis, UpsellOffer } from "./upsell-analysis.ts";

/**
 * The offline analyser: phrases with which sellers offer more, in Russian and English. It needs no
 * model, so a fresh install shows real results; an LLM replaces it when one is configured.
 */
const letter = "\\p{L}";
const phrase = (alternatives: string[]) => new RegExp(`(?<![${letter}])(?:${alternatives.join("|")})(?![${letter}])`, "iu");

const offerPhrases: Record<AnalysisLanguage, RegExp> = {
  en: phrase([
    "would you like", "do you want", "would you want", "(?:can|may|could) i (?:offer|suggest|interest) you", "(?:we |i )?(?:can |could )?offer you", "how about", "what about",
    "would you be interested", "are you interested in", "we also have", "we (?:have|'ve got) (?:a |an )?(?:great |special |good )?(?:deal|offer|discount)",
    "i (?:can|could|would) recommend", "i (?:suggest|recommend)", "you might (?:also )?(?:like|need|want)", "do you need", "don't forget",
    "goes (?:well|great|nicely) with", "(?:shall|should) i add", "add (?:a|an|the) [\\p{L}]+ (?:to|for)", "upgrade to", "get a second",
  ]),
  ru: phrase([
    "не хотите ли", "не хотите", "не желаете", "хотите (?:ли )?(?:добавить|взять|купить|оформить|приобрести|ещё|еще)", "могу предложить",
    "предлагаю", "предложу", "рекомендую", "советую", "посоветую", "возьмите (?:ещё|еще|также|к)", "а (?:ещё|еще) у нас", "у нас (?:сейчас )?(?:есть )?акция",
    "может(?:,)? (?:быть,? )?(?:ещё|еще|также|возьмёте|возьмете)", "к (?:этому|нему|ней) (?:отлично )?(?:подойдёт|подойдет|подойдут)",
    "нужен ли вам", "нужна ли вам", "нужно ли вам", "не нужен ли", "не нужна ли", "не нужно ли", "добавим", "оформим",
  ]),
};

const benefitPhrases: Record<AnalysisLanguage, RegExp> = {
  en: phrase(["because", "so that", "so you", "it (?:will|would) (?:protect|save|keep|help)", "protects", "saves you", "covers", "in case", "you won't have to", "lasts longer"]),
  ru: phrase(["чтобы", "потому что", "так как", "защитит", "защищает", "сэкономите", "сбережёт", "сбережет", "пригодится", "удобно", "на случай", "не придётся", "не придется", "прослужит"]),
};

const incentivePhrases: Record<AnalysisLanguage, RegExp> = {
  en: phrase(["discount", "percent off", "% off", "half price", "free", "deal", "bundle", "save"]),
  ru: phrase(["скидк[\\p{L}]*", "процент[\\p{L}]*", "акци[\\p{L}]*", "бесплатн[\\p{L}]*", "комплект[\\p{L}]*", "выгодн[\\p{L}]*", "дешевле"]),
};

const reactions: Record<AnalysisLanguage, Array<[Exclude<CustomerReaction, "no_reaction" | "not_applicable">, RegExp]>> = {
  en: [
    ["declined", phrase(["no", "nope", "not (?:today|now|interested|needed|this time)", "no thanks?", "no thank you", "i'm (?:fine|good|ok)", "i don't need", "don't need"])],
    ["considering", phrase(["maybe", "i'll think", "let me think", "not sure", "next time", "later", "perhaps"])],
    ["accepted", phrase(["yes", "yeah", "sure", "ok", "okay", "why not", "i'll take", "i will take", "let's do", "sounds good", "go ahead", "please add", "great"])],
  ],
  ru: [
    ["declined", phrase(["нет", "не надо", "не нужно", "не нужен", "не нужна", "не хочу", "не стоит", "откажусь", "спасибо,? не"])],
    ["considering", phrase(["подумаю", "может быть", "в другой раз", "позже", "не знаю", "посмотрим"])],
    ["accepted", phrase(["да", "давайте", "давай", "возьму", "беру", "хорошо", "конечно", "можно", "добавьте", "оформляйте", "отлично"])],
  ],
};

interface Sentence {
  text: string;
  start: number;
  end: number;
}

export function analyseWithRules(transcript: string, settings: AnalysisSettings, language?: string | null): UpsellAnalysis {
  const lang = analysisLanguageOf(language, transcript);
  const sentences = splitClauses(splitSentences(transcript), lang);
  const offers: UpsellOffer[] = [];
  const offerSentences = new Set<number>();
  let questionForm = false;
  let benefit = false;
  let incentive = false;

  const reactionOf = (text: string): Exclude<CustomerReaction, "no_reaction" | "not_applicable"> | null =>
    reactions[lang].find(([, pattern]) => pattern.test(text))?.[0] ?? null;

  sentences.forEach((sentence, index) => {
    if (!offerPhrases[lang].test(sentence.text)) return;
    offerSentences.add(index);
    const { category, product } = categorise(sentence.text, settings);
    offers.push({ category, product, quote: sentenceQuote(sentence) });
    if (sentence.text.trim().endsWith("?") || /^(would|do|can|could|may|shall|хотите|не хотите|не желаете|может|нужен|нужна|нужно)/iu.test(sentence.text.trim())) {
      questionForm = true;
    }
    // The pitch: the offer and what the seller adds before the customer answers or another offer starts.
    const pitch = [sentence];
    for (const next of sentences.slice(index + 1)) {
      if (offerPhrases[lang].test(next.text) || reactionOf(next.text)) break;
      pitch.push(next);
    }
    if (pitch.some((part) => benefitPhrases[lang].test(part.text))) benefit = true;
    if (pitch.some((part) => incentivePhrases[lang].test(part.text))) incentive = true;
  });

  let customerReaction: CustomerReaction = offers.length === 0 ? "not_applicable" : "no_reaction";
  let customerQuote: LocatedQuote | null = null;
  if (offers.length > 0) {
    const lastOffer = Math.max(...offerSentences);
    // The customer's answer: the first of the next few sentences that reads as one.
    for (const reply of sentences.slice(lastOffer + 1, lastOffer + 4)) {
      const reaction = reactionOf(reply.text);
      if (reaction) {
        customerReaction = reaction;
        customerQuote = sentenceQuote(reply);
        break;
      }
    }
  }

  const met: string[] = [];
  let score = 0;
  if (offers.length > 0) {
    score += 3;
    met.push(lang === "ru" ? "было предложение (+3)" : "an offer was made (+3)");
    if (offers.some((offer) => offer.product !== null)) {
      score += 2;
      met.push(lang === "ru" ? "назван конкретный товар (+2)" : "a specific product was named (+2)");
    }
    if (benefit) {
      score += 2;
      met.push(lang === "ru" ? "объяснена польза (+2)" : "a benefit was given (+2)");
    }
    if (questionForm) {
      score += 1;
      met.push(lang === "ru" ? "предложение в форме вопроса (+1)" : "the offer was a question (+1)");
    }
    if (incentive || offers.length > 1) {
      score += 1;
      met.push(lang === "ru" ? "стимул или второе предложение (+1)" : "an incentive or a second offer (+1)");
    }
    if (customerReaction === "accepted") {
      score += 1;
      met.push(lang === "ru" ? "покупатель согласился (+1)" : "the customer accepted (+1)");
    }
  }

  return {
    method: "rules",
    model: null,
    language: lang,
    upsellAttempted: offers.length > 0,
    offers,
    customerReaction,
    customerQuote,
    qualityScore: Math.min(10, score),
    rubric: settings.rubric[lang],
    qualityRationale: met.length > 0 ? met.join("; ") : lang === "ru" ? "попытки допродажи не найдено" : "no upsell attempt found",
    summary: summarise(offers, customerReaction, settings, lang),
  };
}

/** The first configured category (in settings order) any of whose keywords the offer mentions. */
function categorise(text: string, settings: AnalysisSettings): { category: string; product: string | null } {
  const lowered = text.toLocaleLowerCase("ru");
  for (const category of settings.categories) {
    let earliest: { product: string; at: number } | null = null;
    for (const keyword of category.keywords) {
      const match = phrase([escapeRegExp(keyword.toLocaleLowerCase("ru"))]).exec(lowered);
      if (match && (earliest === null || match.index < earliest.at)) earliest = { product: text.slice(match.index, match.index + match[0].length), at: match.index };
    }
    if (earliest) return { category: category.id, product: earliest.product };
  }
  const fallback = settings.categories.find((category) => category.id === "other") ?? settings.categories[settings.categories.length - 1]!;
  return { category: fallback.id, product: null };
}

function summarise(offers: UpsellOffer[], reaction: CustomerReaction, settings: AnalysisSettings, lang: AnalysisLanguage): string {
  if (offers.length === 0) return lang === "ru" ? "Продавец не предлагал дополнительных товаров или услуг." : "The seller did not offer anything beyond the purchase.";
  const labelOf = (id: string) => settings.categories.find((category) => category.id === id)?.label[lang] ?? id;
  const listed = offers.map((offer) => (offer.product ? `${offer.product} (${labelOf(offer.category)})` : labelOf(offer.category))).join(", ");
  const reactionText: Record<AnalysisLanguage, Record<CustomerReaction, string>> = {
    en: { accepted: "the customer accepted", declined: "the customer declined", considering: "the customer will think about it", no_reaction: "the customer did not answer", not_applicable: "" },
    ru: { accepted: "покупатель согласился", declined: "покупатель отказался", considering: "покупатель обещал подумать", no_reaction: "покупатель не ответил", not_applicable: "" },
  };
  return lang === "ru" ? `Продавец предложил: ${listed}; ${reactionText.ru[reaction]}.` : `The seller offered ${listed}; ${reactionText.en[reaction]}.`;
}

function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  const pattern = /[^.!?…\n]+[.!?…]*/gu;
  for (const match of text.matchAll(pattern)) {
    const raw = match[0];
    const leading = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!/\p{L}/u.test(trimmed)) continue;
    const start = match.index! + leading;
    sentences.push({ text: trimmed, start, end: start + trimmed.length });
  }
  return sentences;
}

/**
 * Transcripts from speech recognisers often lack punctuation, so a seller's offer and the
 * customer's answer arrive as one "sentence". An offer phrase starts a new clause, and after an
 * offer, a reaction word a few words on starts the customer's clause.
 */
function splitClauses(sentences: Sentence[], lang: AnalysisLanguage): Sentence[] {
  const clauses: Sentence[] = [];
  const offerAnywhere = new RegExp(offerPhrases[lang].source, "giu");
  for (const sentence of sentences) {
    const cuts = new Set<number>([0]);
    for (const match of sentence.text.matchAll(offerAnywhere)) {
      cuts.add(match.index!);
      const rest = sentence.text.slice(match.index! + match[0].length);
      // The offer itself goes on for a few words ("would you like a case, yes, a leather one") first.
      const minimumGap = /^(?:\s*\S+){1,3}/u.exec(rest)?.[0].length ?? 0;
      for (const [, pattern] of reactions[lang]) {
        const reaction = new RegExp(pattern.source, "giu");
        for (const found of rest.matchAll(reaction)) {
          if (found.index! >= minimumGap) {
            cuts.add(match.index! + match[0].length + found.index!);
            break;
          }
        }
      }
    }
    const ordered = [...cuts].sort((a, b) => a - b);
    ordered.forEach((cut, index) => {
      const end = ordered[index + 1] ?? sentence.text.length;
      const raw = sentence.text.slice(cut, end);
      const text = raw.trim();
      if (!/\p{L}/u.test(text)) return;
      const start = sentence.start + cut + (raw.length - raw.trimStart().length);
      clauses.push({ text, start, end: start + text.length });
    });
  }
  return clauses;
}

function sentenceQuote(sentence: Sentence): LocatedQuote {
  return { text: sentence.text, start: sentence.start, end: sentence.end };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
}
