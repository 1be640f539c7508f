import { encodePcmWav } from "../../shared/audio/wav-format.ts";

/** A soft four-note phrase (8 kHz, 16-bit, 4 s) that the queue's <Play loop="0"> repeats: audio of our own, fetched from the core. */
export function holdMusicWav(): Uint8Array {
  const sampleRate = 8000;
  const notes = [392, 494, 587, 494];
  const noteSamples = sampleRate;
  const pcm = new Uint8Array(notes.length * noteSamples * 2);
  const view = new DataView(pcm.buffer);
  notes.forEach((frequency, note) => {
    for (let i = 0; i < noteSamples; i++) {
      const envelope = Math.min(1, i / 400) * Math.min(1, (noteSamples - i) / 1600);
      const sample = Math.sin((2 * Math.PI * frequency * i) / sampleRate) * 0.5 + Math.sin((2 * Math.PI * frequency * 2 * i) / sampleRate) * 0.1;
      view.setInt16((note * noteSamples + i) * 2, Math.round(sample * envelope * 6000), true);
    }
  });
  return encodePcmWav(pcm, { sampleRate, channels: 1 });
}
