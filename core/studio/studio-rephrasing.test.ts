/**
 * Rephrasing through the tts stage: the core's analysis chat settings point at a local
 * OpenAI-compatible server that answers each lead's line as the test scripts it. An accepted
 * rephrasing is what is spoken; one that drops the price or changes a name is rejected and asked
 * for again; when every attempt fails the script's own text is spoken, marked `template`. The
 * rejected words are never synthesised.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { createTestCore, type TestCore } from "../testing/core-test-app.ts";
import { type ChatCompletionRequest, type OpenAiCompatibleServer, openAiError, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { generateStudioCampaign, startStudioPipeline } from "../testing/studio-fixture.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { createEspeakSpeechProvider } from "./espeak-speech-provider.ts";
import { createSynthesisCache, type SynthesisCache } from "./synthesis-cache.ts";
import { speechDirectoryOf } from "./tts.stage.ts";

const providerKey = "rephrase-provider-key";
const script = {
  greeting: "Hello {first_name}, this is Anna from Acme. Our fibre plan costs 49 dollars a month.",
  // No placeholder: one line for every lead, never rephrased.
  goodbye: "Thank you for your time.",
};
const templateOf = (name: string) => script.greeting.replace("{first_name}", name);
const leadsCsv = ["lead_id,phone_number,first_name", "6001,+1 512 555 0300,Robert", "6002,+1 512 555 0301,Daniel", "6003,+1 512 555 0302,Thomas"].join("\r\n");

/** What the chat model answers for each lead's greeting, attempt after attempt. */
const answers: Record<string, string[]> = {
  Robert: ["Hi Robert, Anna from Acme here. The fibre plan is just 49 dollars a month."],
  Daniel: [
    // Drops the price.
    "Hi Daniel, Anna from Acme here. Our fibre plan is very affordable.",
    // Changes the lead's name.
    "Hi Danny, Anna from Acme here. Our fibre plan costs 49 dollars a month.",
    // Changes the company's name.
    "Hello Daniel, this is Anna from Globex. Our fibre plan costs 49 dollars a month.",
  ],
  Thomas: [
    // Changes the price.
    "Hi Thomas, Anna from Acme here. Our fibre plan costs 39 dollars a month.",
    "Good day Thomas, it is Anna from Acme. Our fibre plan costs 49 dollars a month.",
  ],
};
const rejected = [...answers.Daniel!, answers.Thomas![0]!];

let dir: TempDir;
let server: OpenAiCompatibleServer;
let core: TestCore;
let reference: SynthesisCache;
const asked: Record<string, ChatCompletionRequest[]> = {};

beforeAll(async () => {
  dir = makeTempDir();
  server = await startOpenAiCompatibleServer({ corpus: ["hello"], apiKey: providerKey });
  server.setChatBehaviour((request) => {
    const line = request.messages.find((message) => message.role === "user")?.content ?? "";
    const name = Object.keys(answers).find((candidate) => line === templateOf(candidate));
    if (!name) return { status: 400, body: openAiError(`unexpected line ${JSON.stringify(line)}`, "invalid_request_error") };
    const attempts = (asked[name] ??= []);
    attempts.push(request);
    return { content: answers[name]![attempts.length - 1] ?? "no more answers scripted" };
  });
  core = await createTestCore({ LLM_BASE_URL: server.baseUrl, LLM_API_KEY: providerKey, LLM_MODEL: "rephrase-model" });
  reference = createSynthesisCache({ directory: dir.join("reference"), provider: createEspeakSpeechProvider() });
});
afterAll(async () => {
  core.dispose();
  await server.stop();
  dir.remove();
});

async function servedAudio(path: string): Promise<Uint8Array> {
  const response = await core.admin(path);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

/** The clip espeak-ng makes of `text`, made here apart from the core. */
async function spoken(text: string): Promise<Uint8Array> {
  return new Uint8Array(readFileSync((await reference.speak({ text, language: "en" })).wavPath));
}

const greetingOf = <Line extends { slot: string }>(lines: Line[]): Line => lines.find((line) => line.slot === "greeting")!;

function clipFilesIn(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".wav"));
}

describe("rephrasing through the tts stage", () => {
  test("an accepted rephrasing is spoken; one that loses the price or a name is retried, and after the last attempt the template is spoken", async () => {
    const pipeline = startStudioPipeline(core);
    try {
      expect(await generateStudioCampaign(core, { id: "REPHRASED", name: "Rephrased greetings", language: "en", csv: leadsCsv, slots: script, rephrase: true })).toBe("ready");
    } finally {
      await pipeline.stop();
    }

    // Robert's first answer passed; Daniel's three failed; Thomas's second passed. The shared line was never sent.
    expect(Object.fromEntries(Object.entries(asked).map(([name, requests]) => [name, requests.length]))).toEqual({ Robert: 1, Daniel: 3, Thomas: 2 });
    for (const request of Object.values(asked).flat()) {
      expect(request.model).toBe("rephrase-model");
      expect(request.messages[0]).toMatchObject({ role: "system" });
    }
    expect(server.requests.every((request) => request.path !== "/v1/chat/completions" || request.authorization === `Bearer ${providerKey}`)).toBe(true);

    const listed = await core.admin("/api/v1/studio/campaigns/REPHRASED/leads");
    expect(listed.status).toBe(200);
    const { leads } = (await listed.json()) as { leads: Array<{ lead_id: number; lines: Array<{ slot: string; text: string; source: string; audio_url: string }> }> };
    const linesOf = (leadId: number) => leads.find((lead) => lead.lead_id === leadId)!.lines;
    const expected: Record<number, { text: string; source: string }> = {
      6001: { text: answers.Robert![0]!, source: "rephrased" },
      6002: { text: templateOf("Daniel"), source: "template" },
      6003: { text: answers.Thomas![1]!, source: "rephrased" },
    };
    for (const [leadId, greeting] of Object.entries(expected)) {
      const lines = linesOf(Number(leadId));
      expect(Object.fromEntries(lines.map(({ slot, text, source }) => [slot, { text, source }]))).toEqual({ greeting, goodbye: { text: script.goodbye, source: "template" } });
      // What is spoken is the synthesis of exactly that text.
      expect(Buffer.compare(await servedAudio(greetingOf(lines).audio_url), await spoken(greeting.text))).toBe(0);
    }
    expect(Buffer.compare(await servedAudio(greetingOf(linesOf(6001)).audio_url), await spoken(templateOf("Robert")))).not.toBe(0);

    // Three greetings and one shared goodbye were synthesised, and no rejected text among them.
    const clips = clipFilesIn(speechDirectoryOf(core.config));
    expect(clips).toHaveLength(4);
    for (const text of rejected) expect(clips.some((clip) => clip.endsWith(`${reference.keyOf({ text, language: "en" })}.wav`))).toBe(false);
    for (const text of Object.values(expected).map((line) => line.text)) expect(clips.some((clip) => clip.endsWith(`${reference.keyOf({ text, language: "en" })}.wav`))).toBe(true);
  }, 120_000);
});
