import type { NodeCommand } from "../shared/cli/node-definition.ts";
import type { PiConfigSpec } from "./config.ts";
import type * as schema from "./db/schema.ts";
import { buildPiDeps } from "./pi-deps.ts";
import { alsaDeviceName, detectMicrophone } from "./recorder/audio-device.ts";

type PiCommand = NodeCommand<PiConfigSpec, typeof schema>;

/** `salescontrol-pi devices`: what the recorder would record from, for the person installing it. */
const devices: PiCommand = {
  usage: "devices",
  summary: "list ALSA capture devices and the one the recorder picks when audio_device is empty",
  database: false,
  async run({ config, output }) {
    const detection = await detectMicrophone();
    if (detection.candidates.length === 0) {
      output.out("no capture device found (arecord -l and /proc/asound list none): plug in the USB microphone\n");
      return 1;
    }
    for (const device of detection.candidates) {
      const chosen = device === detection.chosen ? "  <- picked" : "";
      output.out(`card ${device.card} device ${device.device}  ${alsaDeviceName(device)}  ${device.name}${device.usb ? " (USB)" : ""}${chosen}\n`);
    }
    if (config.audioInput || config.audioDevice) output.out(`configured: ${config.audioInput ?? config.audioDevice} (used instead of the pick)\n`);
    return 0;
  },
};

/** `salescontrol-pi requeue`: after fixing what made the core reject chunks, send them again. */
const requeue: PiCommand = {
  usage: "requeue",
  summary: "put chunks the core rejected back into the upload queue (they go with the next upload)",
  async run({ config, database, clock, logger, output }) {
    const count = await buildPiDeps(config, database.db, clock, { logger }).spool.repository.requeueRejected();
    output.out(`${count} rejected chunk(s) queued for upload again\n`);
    return 0;
  },
};

export const piCommands: Record<string, PiCommand> = { devices, requeue };
