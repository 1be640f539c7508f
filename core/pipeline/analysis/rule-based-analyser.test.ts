import { describe, expect, test } from "bun:test";
import { defaultAnalysisSettings } from "./analysis-settings.ts";
import { analyseWithRules } from "./rule-based-analyser.ts";

function quotesHold(transcript: string, analysis: ReturnType<typeof analyseWithRules>) {
  for (const offer of analysis.offers) expect(transcript.slice(offer.quote.start, offer.quote.end)).toBe(offer.quote.text);
  if (analysis.customerQuote) expect(transcript.slice(analysis.customerQuote.start, analysis.customerQuote.end)).toBe(analysis.customerQuote.text);
}

describe("offline upsell analysis", () => {
  test("English: a warranty offer with a benefit, as a question, accepted", () => {
    const transcript =
      "Good morning, I'd like this laptop please. Sure. Would you like to add a two year warranty, so that repairs are covered? Yes, I'll take it. That will be 900 euros.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "en");
    quotesHold(transcript, analysis);
    expect(analysis).toMatchObject({ method: "rules", model: null, language: "en", upsellAttempted: true, customerReaction: "accepted" });
    expect(analysis.offers).toHaveLength(1);
    expect(analysis.offers[0]).toMatchObject({ category: "warranty", product: "warranty" });
    expect(analysis.offers[0]!.quote.text).toBe("Would you like to add a two year warranty, so that repairs are covered?");
    expect(analysis.customerQuote?.text).toBe("Yes, I'll take it.");
    expect(analysis.qualityScore).toBe(9);
    expect(analysis.summary).toBe("The seller offered warranty (Warranty and insurance); the customer accepted.");
    expect(analysis.rubric).toContain("+3");
  });

  test("English: two offers, declined", () => {
    const transcript = "Here is your phone. Do you need a charger with that? We also have a great deal on headphones, ten percent off. No thanks, not today.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings);
    quotesHold(transcript, analysis);
    expect(analysis.language).toBe("en");
    expect(analysis.offers.map((offer) => [offer.category, offer.product])).toEqual([
      ["accessory", "charger"],
      ["accessory", "headphones"],
    ]);
    expect(analysis.customerReaction).toBe("declined");
    expect(analysis.qualityScore).toBe(3 + 2 + 1 + 1);
  });

  test("Russian: offer of a case and a screen protector, customer will think", () => {
    const transcript = "Здравствуйте, мне этот телефон. Хорошо. Не хотите взять к нему чехол? Он защитит экран при падении. Я подумаю.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "ru");
    quotesHold(transcript, analysis);
    expect(analysis.language).toBe("ru");
    expect(analysis.offers).toHaveLength(1);
    expect(analysis.offers[0]).toMatchObject({ category: "accessory", product: "чехол" });
    expect(analysis.offers[0]!.quote.text).toBe("Не хотите взять к нему чехол?");
    expect(analysis.customerReaction).toBe("considering");
    expect(analysis.customerQuote?.text).toBe("Я подумаю.");
    expect(analysis.summary).toBe("Продавец предложил: чехол (Аксессуары); покупатель обещал подумать.");
  });

  test("Russian: warranty with a discount, accepted; language detected from the text", () => {
    const transcript = "Могу предложить расширенную гарантию со скидкой двадцать процентов, чтобы ремонт был бесплатным. Давайте.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, null);
    quotesHold(transcript, analysis);
    expect(analysis.language).toBe("ru");
    expect(analysis.offers[0]).toMatchObject({ category: "warranty", product: "гарантию" });
    expect(analysis.customerReaction).toBe("accepted");
    expect(analysis.qualityScore).toBe(3 + 2 + 2 + 1 + 1);
  });

  test("no offer: nothing attempted, score 0, same record shape", () => {
    const transcript = "Hello. One coffee please. That's three euros. Thank you, have a nice day.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "en");
    expect(analysis).toMatchObject({ upsellAttempted: false, offers: [], customerReaction: "not_applicable", customerQuote: null, qualityScore: 0 });
    expect(analysis.summary).toBe("The seller did not offer anything beyond the purchase.");
  });

  test("an offer without a known product falls into 'other'", () => {
    const transcript = "Can I offer you something else? No.";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "en");
    expect(analysis.offers[0]).toMatchObject({ category: "other", product: null });
    expect(analysis.customerReaction).toBe("declined");
  });

  test("phrases inside other words do not count", () => {
    const analysis = analyseWithRules("Нетбук стоит дорого. Данные сохранены.", defaultAnalysisSettings, "ru");
    expect(analysis.upsellAttempted).toBe(false);
  });
});

describe("offline upsell analysis of unpunctuated recogniser output", () => {
  test("finds the offer and the answer without punctuation", () => {
    const transcript = "hello i would like this phone please would you like to buy a phone case as well yes please i will take it";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "en");
    expect(analysis.offers.map((offer) => offer.quote.text)).toEqual(["would you like to buy a phone case as well"]);
    expect(analysis.customerReaction).toBe("accepted");
    expect(analysis.customerQuote?.text).toBe("yes please i will take it");
    for (const offer of analysis.offers) expect(transcript.slice(offer.quote.start, offer.quote.end)).toBe(offer.quote.text);
  });

  test("Russian without punctuation", () => {
    const transcript = "мне этот телефон не хотите взять к нему чехол нет спасибо";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "ru");
    expect(analysis.offers[0]!.quote.text).toBe("не хотите взять к нему чехол");
    expect(analysis.customerReaction).toBe("declined");
    expect(analysis.customerQuote?.text).toBe("нет спасибо");
  });
});

describe("offline upsell analysis of imperfect recognition", () => {
  test("an offer whose first words were misheard still counts", () => {
    const transcript = "hello i am looking for a new laptop for offer you a warranty for this it covers repairs for two years no thank you not today";
    const analysis = analyseWithRules(transcript, defaultAnalysisSettings, "en");
    expect(analysis.offers.map((offer) => [offer.category, offer.quote.text])).toEqual([["warranty", "offer you a warranty for this it covers repairs for two years"]]);
    expect(analysis.customerReaction).toBe("declined");
    expect(analysis.customerQuote?.text).toBe("no thank you not today");
  });
});
