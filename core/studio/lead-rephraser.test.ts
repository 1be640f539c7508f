import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openAiEndpointOf } from "../pipeline/openai-client.ts";
import { type ChatBehaviour, type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../testing/sales-corpus.ts";
import { createLeadRephraser, type RephraseRequest } from "./lead-rephraser.ts";

let server: OpenAiCompatibleServer;
beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: "llm-key" });
});
afterAll(() => server.stop());

const request: RephraseRequest = {
  template: "Hello {first_name}, this is Anna from Acme Telecom. Our fibre plan costs $49 a month.",
  values: { first_name: "Maria" },
  plainText: "Hello Maria, this is Anna from Acme Telecom. Our fibre plan costs $49 a month.",
  language: "en",
};
const faithful = "Hi Maria, it's Anna at Acme Telecom: our fibre plan is only $49 a month.";
const dropsPrice = "Hi Maria, it's Anna at Acme Telecom: our fibre plan is really affordable.";
const changesName = "Hi Maria, it's Olga at Acme Telecom: our fibre plan is only $49 a month.";

function rephraser(maxAttempts = 3) {
  const endpoint = openAiEndpointOf({ baseUrl: server.baseUrl, apiKey: "llm-key", timeoutSeconds: 5 })!;
  return createLeadRephraser({ llm: { endpoint, model: "script-writer", concurrency: 1 }, maxAttempts });
}

/** Answers each request with the next reply in the list (the last one repeats). */
function replies(...answers: ReturnType<ChatBehaviour>[]): ChatBehaviour {
  let next = 0;
  return () => answers[Math.min(next++, answers.length - 1)]!;
}

describe("lead rephraser against an OpenAI-compatible chat server", () => {
  test("a faithful rephrasing is used, asked for with the model, the key and the plain text", async () => {
    server.requests.length = 0;
    server.setChatBehaviour(replies({ content: faithful }));
    expect(await rephraser().rephrase(request)).toEqual({ source: "rephrased", text: faithful, attempts: 1, rejections: [] });
    const sent = server.requests[0]!;
    expect(sent.authorization).toBe("Bearer llm-key");
    expect(sent.body).toMatchObject({ model: "script-writer", messages: [{ role: "system" }, { role: "user", content: request.plainText }] });
  });

  test("a rephrasing that drops the price is rejected and asked for again; the next, faithful one is used", async () => {
    server.setChatBehaviour(replies({ content: dropsPrice }, { content: faithful }));
    const outcome = await rephraser().rephrase(request);
    expect(outcome).toMatchObject({ source: "rephrased", text: faithful, attempts: 2 });
    expect(outcome.rejections).toEqual([{ code: "rephrase.number_lost", message: "the rephrasing lost the number 49" }]);
  });

  test("a model that keeps changing a name or dropping the price is never spoken: the plain text is, marked", async () => {
    server.setChatBehaviour(replies({ content: changesName }, { content: dropsPrice }, { content: changesName }));
    const outcome = await rephraser(3).rephrase(request);
    expect(outcome).toEqual({
      source: "template",
      text: request.plainText,
      attempts: 3,
      rejections: [
        { code: "rephrase.name_lost", message: "the rephrasing lost the name Anna" },
        { code: "rephrase.number_lost", message: "the rephrasing lost the number 49" },
        { code: "rephrase.name_lost", message: "the rephrasing lost the name Anna" },
      ],
    });
    expect(outcome.text).not.toContain("Olga");
  });

  test("a failing chat server falls back to the plain text with the server's reason", async () => {
    server.setChatBehaviour(replies({ status: 503 }, { content: "" }));
    const outcome = await rephraser(2).rephrase(request);
    expect(outcome.source).toBe("template");
    expect(outcome.text).toBe(request.plainText);
    expect(outcome.rejections.map((rejection) => rejection.code)).toEqual(["rephrase.provider_failed", "rephrase.no_answer"]);
    expect(outcome.rejections[0]!.message).toContain("503");
  });
});
