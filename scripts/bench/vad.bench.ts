/**
 * Speech finding speed on one core: decoding a recorder's 60 s OGG/Opus chunk to 16 kHz PCM
 * (ogg-opus-decoder, WASM) and running libfvad over it, as a multiple of real time, beside
 * ffmpeg's native decoder doing the same decode in the same run; and what an audio bomb (an hour of
 * 2-byte, 120 ms packets declared as a 60 s chunk) costs now, beside decoding it whole as before.
 *   bun run bench vad [chunks]
 */
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { createVoiceActivityDetector } from "../../core/pipeline/vad/fvad.ts";
import { createOpusPcmDecoder, decodeFileInSlices } from "../../core/pipeline/vad/opus-pcm-decoder.ts";
import { audioBoundOf, createSpeechAnalyzer } from "../../core/pipeline/vad/speech-analyzer.ts";
import { frameSamples } from "../../core/pipeline/vad/speech-collector.ts";
import { encodeChunk, mixOverNoise, opusBomb, speakSentence } from "../../core/testing/test-audio.ts";
import { median, printTable } from "./bench-report.ts";

const chunks = Number(process.argv[2] ?? 40);
const chunkSeconds = 60;
const dir = makeTempDir("salescontrol-bench-vad-");

try {
  // A minute at a register: a few sentences over shop noise, encoded like the recorder does.
  const sentences = ["Good afternoon, did you find everything?", "Would you like a bag?", "That will be twelve euros fifty.", "Have a nice day."];
  const voiced = await Promise.all(sentences.map((text, index) => speakSentence(dir, { text, voice: index % 2 ? "en+f3" : "en-us" }, index)));
  const recording = await mixOverNoise(dir, chunkSeconds * 1000, voiced.map((item, index) => ({ path: item.path, startMs: 3000 + index * 14_000 })));
  const bytes = await encodeChunk(dir, recording, 0, chunkSeconds * 1000, "chunk");
  await Bun.write(dir.join("chunk.ogg"), bytes);
  console.log(`chunk: ${chunkSeconds} s OGG/Opus 24 kbps, ${(bytes.length / 1024).toFixed(0)} KB; ${chunks} chunks per measurement, median of 3 rounds\n`);

  const analyzer = await createSpeechAnalyzer();
  const decoder = await createOpusPcmDecoder();
  const detector = await createVoiceActivityDetector(3);
  const decodeOnce = async () => {
    let samples = 0;
    samples += (await decoder.decode(bytes)).length;
    samples += (await decoder.finish()).samples.length;
    return samples;
  };
  const pcm = new Int16Array((await decodeOnce()) + frameSamples);
  const frame = new Int16Array(frameSamples);

  const timeRounds = async (work: () => Promise<void>): Promise<number> => {
    await work();
    const rounds: number[] = [];
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      for (let index = 0; index < chunks; index++) await work();
      rounds.push(performance.now() - started);
    }
    return median(rounds) / chunks;
  };

  const ffmpegMs = await timeRounds(async () => {
    const result = await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-threads", "1", "-i", dir.join("chunk.ogg"), "-ar", "16000", "-ac", "1", "-f", "s16le", "-y", "/dev/null"]);
    if (result.code !== 0) throw new Error(result.stderr);
  });
  const decodeMs = await timeRounds(async () => {
    await decodeOnce();
  });
  const vadMs = await timeRounds(async () => {
    for (let offset = 0; offset + frameSamples <= pcm.length - frameSamples; offset += frameSamples) {
      frame.set(pcm.subarray(offset, offset + frameSamples));
      detector.isSpeech(frame);
    }
  });
  const analyzeMs = await timeRounds(async () => {
    await analyzer.analyze(bytes, chunkSeconds * 1000 + 5000);
  });
  const segments = (await analyzer.analyze(bytes, chunkSeconds * 1000 + 5000)).segments.length;

  const realTime = (ms: number) => (chunkSeconds * 1000) / ms;
  printTable(
    ["step (one core)", "ms per 60 s chunk", "× real time"],
    [
      ["ffmpeg -threads 1 decode to 16 kHz (baseline, incl. process start)", ffmpegMs, Math.round(realTime(ffmpegMs))],
      ["ogg-opus-decoder (WASM) decode to 16 kHz", decodeMs, Math.round(realTime(decodeMs))],
      ["libfvad (WASM) mode 3 over 30 ms frames", vadMs, Math.round(realTime(vadMs))],
      ["decode + VAD + collector, as the core runs it", analyzeMs, Math.round(realTime(analyzeMs))],
    ],
  );
  console.log(`\nspeech segments found per chunk: ${segments} (${sentences.length} sentences spoken)`);
  console.log(`target: decode + VAD ≥ 300× real time on one core → ${Math.round(realTime(analyzeMs))}×, i.e. one core keeps up with ~${Math.floor(realTime(analyzeMs))} recorders`);

  const bomb = opusBomb(bytes, 3600);
  const bound = audioBoundOf({ start_ts: 0, end_ts: chunkSeconds * 1000 });
  const timeOnce = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const wholeBombMs = median([await timeOnce(() => decodeFileInSlices(decoder, bomb, () => {})), await timeOnce(() => decodeFileInSlices(decoder, bomb, () => {}))]);
  const stoppedBombMs = await timeRounds(async () => {
    await decodeFileInSlices(decoder, bomb, () => {}, bound * 16);
  });
  const refusedBombMs = await timeRounds(async () => {
    await analyzer.analyze(bomb, bound).catch(() => undefined);
  });
  console.log(`
audio bomb: 3600 s of 2-byte 120 ms packets (${(bomb.length / 1024).toFixed(0)} KB) declared as a ${chunkSeconds} s chunk`);
  printTable(
    ["what the VAD job does with it", "ms"],
    [
      ["decode it whole (baseline: the core before decoding was bounded)", wholeBombMs],
      ["decode until past the declared span (the bound while decoding)", stoppedBombMs],
      ["refuse it from its packets before decoding (what runs first)", refusedBombMs],
    ],
  );
  analyzer.free();
  decoder.free();
  detector.free();
} finally {
  dir.remove();
}
