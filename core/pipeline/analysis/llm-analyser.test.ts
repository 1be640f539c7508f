import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { faithfulModel, invalidJsonModel, paraphrasingModel, wrongShapeModel } from "../../testing/chat-behaviours.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../../testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../../testing/sales-corpus.ts";
import { defaultAnalysisSettings } from "./analysis-settings.ts";
import { AnalysisRejected, analyseWithLlm, transcriptFromMessage } from "./llm-analyser.ts";

let server: OpenAiCompatibleServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: "k" });
  client = new OpenAI({ apiKey: "k", baseURL: server.baseUrl });
});
afterAll(() => server.stop());

const transcript = "hello i would like this phone please would you like to buy a phone case as well yes please i will take it";
const options = () => ({ client, model: "upsell-model", settings: defaultAnalysisSettings, timeoutMs: 2000 });

async function rejection(promise: Promise<unknown>): Promise<AnalysisRejected> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AnalysisRejected);
  return error as AnalysisRejected;
}

describe("LLM upsell analysis", () => {
  test("asks with the rubric, the categories and a strict JSON schema, and stores located quotes", async () => {
    server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
    const analysis = await analyseWithLlm(options(), { transcript, language: "en" });
    expect(analysis).toMatchObject({ method: "llm", model: "upsell-model", language: "en", upsellAttempted: true, customerReaction: "accepted" });
    expect(analysis.offers).toHaveLength(1);
    const offer = analysis.offers[0]!;
    expect(offer.category).toBe("accessory");
    expect(transcript.slice(offer.quote.start, offer.quote.end)).toBe(offer.quote.text);
    expect(offer.quote.text).toContain("would you like to buy a phone case");

    const request = server.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }>; response_format: { type: string; json_schema: { strict: boolean; schema: { required: string[] } } }; temperature: number };
    expect(request.temperature).toBe(0);
    expect(request.messages[0]!.content).toContain("+3: the seller offered something");
    expect(request.messages[0]!.content).toContain("warranty (Warranty and insurance)");
    expect(transcriptFromMessage(request.messages[1]!.content)).toBe(transcript);
    expect(request.response_format.type).toBe("json_schema");
    expect(request.response_format.json_schema.strict).toBe(true);
    expect(request.response_format.json_schema.schema.required).toContain("customer_quote");
  });

  test("Russian transcripts get the Russian prompt", async () => {
    server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
    const russian = "Не хотите взять к нему чехол? Давайте.";
    const analysis = await analyseWithLlm(options(), { transcript: russian, language: null });
    expect(analysis.language).toBe("ru");
    expect(analysis.offers[0]!.quote.text).toBe("Не хотите взять к нему чехол");
    const request = server.requests.at(-1)!.body as { messages: Array<{ content: string }> };
    expect(request.messages[0]!.content).toContain("Ты анализируешь расшифровку");
  });

  test("an answer quoting words that are not in the transcript is rejected", async () => {
    server.setChatBehaviour(paraphrasingModel(defaultAnalysisSettings));
    const error = await rejection(analyseWithLlm(options(), { transcript, language: "en" }));
    expect(error.code).toBe("analysis.unverifiable_quote");
    expect(error.message).toContain("Perhaps you might consider");
  });

  test("broken answers are rejected with their reason", async () => {
    server.setChatBehaviour(invalidJsonModel);
    expect((await rejection(analyseWithLlm(options(), { transcript, language: "en" }))).code).toBe("analysis.invalid_json");
    server.setChatBehaviour(wrongShapeModel);
    const shape = await rejection(analyseWithLlm(options(), { transcript, language: "en" }));
    expect(shape.code).toBe("analysis.invalid_shape");
    expect(shape.message).toContain("upsell_attempted");
    server.setChatBehaviour(() => ({ content: JSON.stringify({ language: "en", upsell_attempted: true, offers: [], customer_reaction: "accepted", customer_quote: null, quality_score: 5, quality_rationale: "", summary: "" }) }));
    expect((await rejection(analyseWithLlm(options(), { transcript, language: "en" }))).code).toBe("analysis.inconsistent");
  });

  test("provider failures surface as errors for the job to retry", async () => {
    server.setChatBehaviour(() => ({ status: 500 }));
    await expect(analyseWithLlm(options(), { transcript, language: "en" })).rejects.toMatchObject({ status: 500 });
    server.setChatBehaviour(() => ({ hang: true }));
    await expect(analyseWithLlm({ ...options(), timeoutMs: 300 }, { transcript, language: "en" })).rejects.toThrow(/timed out/i);
  });
});
