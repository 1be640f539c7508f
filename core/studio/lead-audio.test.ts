import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { openAiEndpointOf } from "../pipeline/openai-client.ts";
import { type ChatCompletionRequest, type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { createEspeakSpeechProvider } from "./espeak-speech-provider.ts";
import { prepareLeadLines, speakLeadLines } from "./lead-audio.ts";
import { createLeadRephraser } from "./lead-rephraser.ts";
import type { StudioLead } from "./studio-leads.ts";
import { createSynthesisCache } from "./synthesis-cache.ts";

let dir: TempDir;
let server: OpenAiCompatibleServer;
beforeAll(async () => {
  dir = makeTempDir();
  server = await startOpenAiCompatibleServer({ corpus: ["hello"] });
});
afterAll(async () => {
  await server.stop();
  dir.remove();
});

const lead = (leadId: number, first_name: string): StudioLead => ({ leadId, rowNumber: leadId - 4000, phoneNumber: "5125550100", vendorLeadCode: "", fields: { first_name } });
const script = { greeting: "Hello {first_name}, this is Anna from Acme.", offer: "Our fibre plan costs 49 dollars a month." };

function rephraser() {
  const endpoint = openAiEndpointOf({ baseUrl: server.baseUrl, apiKey: "key", timeoutSeconds: 5 })!;
  return createLeadRephraser({ llm: { endpoint, model: "writer", concurrency: 1 }, maxAttempts: 2 });
}

describe("a lead's lines and audio", () => {
  test("rephrases only the personal slots: a shared line stays one text for every lead", async () => {
    const asked: string[] = [];
    server.setChatBehaviour((request: ChatCompletionRequest) => {
      const text = request.messages.at(-1)!.content;
      asked.push(text);
      return { content: text.replace(/^Hello (\w+), this is Anna from Acme\.$/, "Good day $1, Anna from Acme speaking.") };
    });
    const prepared = await prepareLeadLines({ rephraser: rephraser() }, { script, lead: lead(4001, "Maria"), language: "en", rephrase: true });
    expect(prepared).toEqual({
      ok: true,
      lines: [
        { slot: "greeting", text: "Good day Maria, Anna from Acme speaking.", source: "rephrased", rejections: [] },
        { slot: "offer", text: "Our fibre plan costs 49 dollars a month.", source: "template", rejections: [] },
      ],
    });
    expect(asked).toEqual(["Hello Maria, this is Anna from Acme."]);
  });

  test("a rephrasing that changes the name is never spoken: the plain text is, marked with the reason", async () => {
    server.setChatBehaviour(() => ({ content: "Good day Maria, Olga from Acme speaking." }));
    const prepared = await prepareLeadLines({ rephraser: rephraser() }, { script, lead: lead(4001, "Maria"), language: "en", rephrase: true });
    if (!prepared.ok) throw new Error("not prepared");
    expect(prepared.lines[0]).toEqual({
      slot: "greeting",
      text: "Hello Maria, this is Anna from Acme.",
      source: "template",
      rejections: [
        { code: "rephrase.name_lost", message: "the rephrasing lost the name Anna" },
        { code: "rephrase.name_lost", message: "the rephrasing lost the name Anna" },
      ],
    });
  });

  test("a lead missing a field is reported for every slot that needs it, and nothing is asked of the model", async () => {
    server.requests.length = 0;
    const prepared = await prepareLeadLines({ rephraser: rephraser() }, { script, lead: lead(4002, " "), language: "en", rephrase: true });
    expect(prepared).toEqual({ ok: false, missing: [{ leadId: 4002, slot: "greeting", field: "first_name" }] });
    expect(server.requests.length).toBe(0);
  });

  test("speaks every line, sharing the offer between leads", async () => {
    const synthesis = createSynthesisCache({ directory: dir.join("speech"), provider: createEspeakSpeechProvider() });
    const spoken = [];
    for (const [index, name] of ["Maria", "James"].entries()) {
      const prepared = await prepareLeadLines({ rephraser: null }, { script, lead: lead(4003 + index, name), language: "en", rephrase: true });
      if (!prepared.ok) throw new Error("not prepared");
      spoken.push(await speakLeadLines({ synthesis }, { lines: prepared.lines, voice: { language: "en", voice: "en-gb" }, ulaw: false }));
    }
    expect(spoken[0]!.greeting!.wavPath).not.toBe(spoken[1]!.greeting!.wavPath);
    expect(spoken[0]!.offer!.wavPath).toBe(spoken[1]!.offer!.wavPath);
    expect(spoken[0]!.greeting!.key).toBe(synthesis.keyOf({ text: "Hello Maria, this is Anna from Acme.", language: "en", voice: "en-gb" }));
    expect(synthesis.counts()).toEqual({ synthesized: 3, reused: 1 });
  });
});
