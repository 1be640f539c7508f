import { encodePcmWav } from "../../shared/audio/wav-format.ts";
import type { TempDir } from "../../shared/testing/temp-dir.ts";
import { defaultSpeechCache } from "../../scripts/campaign-package/generate-campaign-package.ts";
import { createSpeechSynthesizer } from "../../scripts/campaign-package/speech-synthesizer.ts";
import { buildTestPackage, writeHandmadePackage } from "./edge-test-kit.ts";

/** Packages the page tests and the screenshots upload: two sound campaigns and one that is refused. */
export interface PagePackages {
  spring: string;
  summer: string;
  /** Refused: an MP3 where a WAV belongs, a phone number that is not one, a file altered after packing. */
  broken: string;
  /** Sound, but two of its three leads have no audio: they hear the fallback prompt. */
  silent: string;
}

export async function buildPagePackages(dir: TempDir): Promise<PagePackages> {
  const spring = await buildTestPackage(dir, "spring.zip", { leads: 300, audioFiles: 12, campaignId: "SPRING", campaignName: "Spring upgrade" });
  const summer = await buildTestPackage(dir, "summer.zip", { leads: 80, audioFiles: 6, campaignId: "SUMMER", campaignName: "Summer offer", leadIdStart: 5001 });
  const speech = createSpeechSynthesizer({ cacheDirectory: defaultSpeechCache });
  const wav = encodePcmWav(await speech.speak("Hello Maria."));
  const mp3Like = new Uint8Array([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, ...new Uint8Array(400)]);
  const broken = writeHandmadePackage(dir, "broken.zip", {
    campaignId: "BROKEN",
    leads: "lead_id,phone_number,first_name,audio_greeting\r\n1,5125550100,Maria,greeting/a\r\n2,not-a-phone,James,greeting/a\r\n",
    audio: { "audio/greeting/a.wav": mp3Like },
    alterManifest: (manifest) => ({
      ...manifest,
      files: manifest.files.map((file) => (file.path === "leads.csv" ? { ...file, sha256: "0".repeat(64) } : file)),
    }),
  });
  const silent = writeHandmadePackage(dir, "autumn.zip", {
    campaignId: "AUTUMN",
    leads: "lead_id,phone_number,first_name,audio_greeting\r\n1,5125550100,Maria,greeting/a\r\n2,5125550101,James,\r\n3,5125550102,Aisha,\r\n",
    audio: { "audio/greeting/a.wav": wav },
  });
  return { spring: spring.path, summer: summer.path, broken, silent };
}
