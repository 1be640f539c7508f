import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createEspeakSpeechProvider } from "../studio/espeak-speech-provider.ts";
import { createSynthesisCache, type SynthesisCache } from "../studio/synthesis-cache.ts";
import { encodePcmWav, inspectWavHeader } from "../../shared/audio/wav-format.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { createTelephoneSpeechRecogniser, type TelephoneSpeechRecogniser } from "./telephone-speech-recogniser.ts";

const names = ["Robert", "Jennifer", "Victor", "Margaret"];
const greeting = (name: string) => `Hello, ${name}.`;

let dir: TempDir;
let synthesis: SynthesisCache;
let recogniser: TelephoneSpeechRecogniser;
beforeAll(() => {
  dir = makeTempDir();
  synthesis = createSynthesisCache({ directory: dir.join("speech"), provider: createEspeakSpeechProvider() });
  recogniser = createTelephoneSpeechRecogniser(names.map(greeting));
});
afterAll(() => {
  recogniser.dispose();
  dir.remove();
});

describe("telephone speech recogniser", () => {
  test("hears each name in the studio's 8 kHz clips, and no other name of the corpus", async () => {
    for (const name of names) {
      const clip = await synthesis.speak({ text: greeting(name), language: "en", voice: "en-us+klatt" });
      const bytes = new Uint8Array(await Bun.file(clip.wavPath).arrayBuffer());
      const header = inspectWavHeader(bytes, bytes.length);
      expect(header.status === "ok" && header.format.sampleRate).toBe(8000);
      const heard = (await recogniser.transcribe(clip.wavPath)).split(" ");
      expect(heard).toContain(name.toLowerCase());
      expect(heard.filter((word) => names.some((other) => other !== name && other.toLowerCase() === word))).toEqual([]);
    }
  }, 60_000);

  test("silence is heard as no words", async () => {
    const silence = dir.join("silence.wav");
    writeFileSync(silence, encodePcmWav(new Uint8Array(16_000)));
    expect(await recogniser.transcribe(silence)).toBe("");
  });

  test("a file that is not audio is refused with ffmpeg's reason", async () => {
    const notAudio = dir.join("notes.wav");
    writeFileSync(notAudio, "these are not the clips you are looking for");
    await expect(recogniser.transcribe(notAudio)).rejects.toThrow(/^ffmpeg cannot read notes\.wav: /);
  });
});
