import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { acousticModelPath, writeSpeechLanguageModel } from "./speech-language-model.ts";

/**
 * Hears what a telephone clip (the 8 kHz audio Asterisk plays) says, with Debian's pocketsphinx and
 * its 16 kHz English model, limited to the words of `corpus` (a bigram model and dictionary of it).
 *
 * What makes band-limited espeak-ng speech recognisable, found by trying the alternatives:
 * - the clip is resampled to 16 kHz for the model as it is. Decoding 8 kHz directly needs a feature
 *   file of our own (the model's feat.params sets -upperf 6800, above 4 kHz, and overrides the
 *   command line), and with -samprate 8000 -nfft 256 -upperf 3500/3800 it hears almost nothing;
 * - `pocketsphinx_batch` decodes the whole clip as one utterance. `pocketsphinx_continuous` cuts it
 *   at the comma's pause and decodes the pieces apart, which loses the name after "Hello";
 * - dither (with a fixed seed, so the result never changes) gives the empty band above 4 kHz and the
 *   digital silence a noise floor, instead of the log of zero;
 * - espeak-ng's Klatt voices (`en-us+klatt`) are heard far better than its default voice through
 *   the telephone band: 9 names of 9 in "Hello, {name}." against 2 to 5 of 9 with `en-us`.
 */
export interface TelephoneSpeechRecogniser {
  /** The words heard in a WAV file (any rate ffmpeg reads), lower case, separated by spaces. */
  transcribe(wavPath: string): Promise<string>;
  dispose(): void;
}

export function createTelephoneSpeechRecogniser(corpus: readonly string[]): TelephoneSpeechRecogniser {
  const directory = mkdtempSync(join(tmpdir(), "salescontrol-recogniser-"));
  const { lmPath, dictionaryPath } = writeSpeechLanguageModel(directory, corpus);
  let sequence = 0;
  return {
    async transcribe(wavPath) {
      const id = `clip-${++sequence}`;
      const wideband = join(directory, `${id}.wav`);
      const control = join(directory, `${id}.ctl`);
      const hypothesis = join(directory, `${id}.hyp`);
      try {
        const converted = await runCommand("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", wavPath, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "wav", wideband]);
        if (converted.code !== 0) throw new Error(`ffmpeg cannot read ${basename(wavPath)}: ${converted.stderr.trim()}`);
        writeFileSync(control, `${id}\n`);
        const decoded = await runCommand("pocketsphinx_batch", [
          "-hmm", acousticModelPath, "-lm", lmPath, "-dict", dictionaryPath,
          "-adcin", "yes", "-adchdr", "44", "-cepdir", directory, "-cepext", ".wav", "-ctl", control,
          "-dither", "yes", "-seed", "1", "-hyp", hypothesis, "-logfn", "/dev/null",
        ]);
        if (decoded.code !== 0) throw new Error(`pocketsphinx_batch exited with ${decoded.code}: ${decoded.stderr.trim().slice(-300)}`);
        // One line per clip: "the words (id score)".
        const line = readFileSync(hypothesis, "utf8").trim();
        const match = /^(.*?)\s*\((\S+) -?\d+\)$/.exec(line);
        if (!match || match[2] !== id) throw new Error(`pocketsphinx_batch wrote no hypothesis for ${basename(wavPath)}: ${JSON.stringify(line)}`);
        return match[1]!.split(/\s+/).filter((word) => word !== "" && !word.startsWith("<") && !word.startsWith("[")).map((word) => word.replace(/\(\d+\)$/, "")).join(" ");
      } finally {
        for (const path of [wideband, control, hypothesis]) rmSync(path, { force: true });
      }
    },
    dispose() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
