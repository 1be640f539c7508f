import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";

/** An ALSA capture device, as `arecord -l` or /proc/asound describe it. */
export interface CaptureDevice {
  card: number;
  device: number;
  /** The card's stable id (`Device`, `Microphone`): unlike the index it survives re-plugging. */
  cardId: string;
  name: string;
  usb: boolean;
}

export interface MicrophoneDetection {
  /** The device to record from, or null when there is none. */
  chosen: CaptureDevice | null;
  /** The ffmpeg ALSA name of the chosen device. */
  alsaName: string | null;
  candidates: CaptureDevice[];
  /** Where the list came from. */
  source: "arecord" | "/proc/asound" | "none";
}

/** `card 1: Device [USB Audio Device], device 0: USB Audio [USB Audio]` lines. */
export function parseArecordList(text: string): CaptureDevice[] {
  const devices: CaptureDevice[] = [];
  for (const line of text.split("\n")) {
    const match = /^card (\d+): (\S+) \[(.*?)\], device (\d+): (.*?) \[(.*?)\]/.exec(line.trim());
    if (!match) continue;
    const [, card, cardId, cardName, device, deviceId, deviceName] = match as unknown as string[];
    const description = `${cardName} ${deviceId} ${deviceName}`;
    devices.push({ card: Number(card), device: Number(device), cardId: cardId!, name: cardName!, usb: /usb/i.test(description) });
  }
  return devices;
}

/**
 * The same from /proc/asound when alsa-utils is missing: cards come from `cards`
 * (` 1 [Device         ]: USB-Audio - USB Audio Device`), capture devices are `cardN/pcmDc`.
 */
export function readProcAsoundCaptureDevices(root = "/proc/asound"): CaptureDevice[] {
  const cardsFile = join(root, "cards");
  if (!existsSync(cardsFile)) return [];
  const devices: CaptureDevice[] = [];
  for (const line of readFileSync(cardsFile, "utf8").split("\n")) {
    const match = /^\s*(\d+) \[(\S+)\s*\]: (\S+) - (.*)$/.exec(line);
    if (!match) continue;
    const [, card, cardId, driver, name] = match as unknown as string[];
    const cardDir = join(root, `card${card}`);
    if (!existsSync(cardDir)) continue;
    const captures = readdirSync(cardDir)
      .map((entry) => /^pcm(\d+)c$/.exec(entry)?.[1])
      .filter((device): device is string => device !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const device of captures) {
      devices.push({ card: Number(card), device, cardId: cardId!, name: name!.trim(), usb: /usb/i.test(`${driver} ${name}`) });
    }
  }
  return devices;
}

/** A USB microphone first; otherwise any capture device (lowest card number). */
export function chooseMicrophone(devices: CaptureDevice[]): CaptureDevice | null {
  const sorted = [...devices].sort((a, b) => a.card - b.card || a.device - b.device);
  return sorted.find((device) => device.usb) ?? sorted[0] ?? null;
}

export function alsaDeviceName(device: CaptureDevice): string {
  return `plughw:CARD=${device.cardId},DEV=${device.device}`;
}

export interface DetectMicrophoneOptions {
  /** Runs `arecord -l`; null when arecord is not installed. */
  listWithArecord?: () => Promise<string | null>;
  procAsoundRoot?: string;
}

export async function detectMicrophone(options: DetectMicrophoneOptions = {}): Promise<MicrophoneDetection> {
  const listWithArecord = options.listWithArecord ?? runArecordList;
  const listed = await listWithArecord();
  let candidates = listed === null ? [] : parseArecordList(listed);
  let source: MicrophoneDetection["source"] = candidates.length > 0 ? "arecord" : "none";
  if (candidates.length === 0) {
    candidates = readProcAsoundCaptureDevices(options.procAsoundRoot);
    if (candidates.length > 0) source = "/proc/asound";
  }
  const chosen = chooseMicrophone(candidates);
  return { chosen, alsaName: chosen ? alsaDeviceName(chosen) : null, candidates, source };
}

async function runArecordList(): Promise<string | null> {
  try {
    const result = await runCommand("arecord", ["-l"]);
    return result.code === 0 ? result.stdout : null;
  } catch {
    return null;
  }
}
