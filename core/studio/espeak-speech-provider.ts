import { rm, writeFile } from "node:fs/promises";
import { runCommand } from "../../shared/runtime/process.ts";
import { type SpeechLanguage, type SpeechProvider, SpeechSynthesisError } from "./speech-provider.ts";

/** Debian's espeak-ng voices for the studio's languages. */
export const espeakDefaultVoices: Record<SpeechLanguage, string> = { ru: "ru", en: "en-us" };

/** An espeak-ng voice name, optionally with a variant (`en-us`, `ru+f3`). */
export const espeakVoicePattern = /^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,2}(?:\+[a-z0-9]{1,16})?$/;

/**
 * Offline speech: espeak-ng runs as a separate program for each text, which it reads from a file
 * (never from the command line, where a text starting with "-" would be an option).
 */
export function createEspeakSpeechProvider(options: { wordsPerMinute?: number; amplitude?: number; command?: string } = {}): SpeechProvider {
  const speed = options.wordsPerMinute ?? 160;
  /** espeak-ng's amplitude, 0–200 (100 by default). */
  const amplitude = options.amplitude ?? 100;
  const command = options.command ?? "espeak-ng";
  return {
    id: `espeak-ng:${speed}:${amplitude}`,
    voiceFor: (request) => request.voice ?? espeakDefaultVoices[request.language],
    async synthesize(request, outPath) {
      if (!espeakVoicePattern.test(request.voice)) throw new SpeechSynthesisError("tts.unknown_voice", `${JSON.stringify(request.voice)} is not an espeak-ng voice name (e.g. en-us, ru, ru+f3)`, false);
      const textPath = `${outPath}.txt`;
      await writeFile(textPath, request.text);
      try {
        let result: Awaited<ReturnType<typeof runCommand>>;
        try {
          result = await runCommand(command, ["-b", "1", "-v", request.voice, "-s", String(speed), "-a", String(amplitude), "-w", outPath, "-f", textPath]);
        } catch (error) {
          throw new SpeechSynthesisError("tts.engine_missing", `${command} cannot be started (${(error as Error).message}); install Debian's espeak-ng package`, false);
        }
        if (result.code !== 0) {
          const reason = result.stderr.trim().slice(0, 300);
          if (/voice does not exist/i.test(reason)) throw new SpeechSynthesisError("tts.unknown_voice", `espeak-ng has no voice ${request.voice}`, false);
          throw new SpeechSynthesisError("tts.engine_failed", `espeak-ng exited with ${result.code}: ${reason}`, false);
        }
      } finally {
        await rm(textPath, { force: true });
      }
    },
  };
}
