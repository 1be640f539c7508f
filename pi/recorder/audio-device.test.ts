import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { alsaDeviceName, chooseMicrophone, detectMicrophone, parseArecordList, readProcAsoundCaptureDevices } from "./audio-device.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

// As printed by arecord -l on a Raspberry Pi 4 with a USB microphone and a USB sound card.
const arecordOutput = `**** List of CAPTURE Hardware Devices ****
card 1: Device [USB PnP Sound Device], device 0: USB Audio [USB Audio]
  Subdevices: 1/1
  Subdevice #0: subdevice #0
card 2: Microphone [Yeti Stereo Microphone], device 0: USB Audio [USB Audio]
  Subdevices: 0/1
  Subdevice #0: subdevice #0
`;

/** A /proc/asound tree: the Pi's HDMI outputs (no capture) and one USB microphone. */
function writeProcAsound(root: string): void {
  writeFileSync(
    `${root}/cards`,
    [
      " 0 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0",
      "                      vc4-hdmi-0",
      " 1 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones",
      "                      bcm2835 Headphones",
      " 3 [Device         ]: USB-Audio - USB PnP Sound Device",
      "                      C-Media Electronics Inc. USB PnP Sound Device at usb-0000:01:00.0-1.3, full speed",
      "",
    ].join("\n"),
  );
  for (const entry of ["card0/pcm0p", "card1/pcm0p", "card3/pcm0p", "card3/pcm0c"]) mkdirSync(`${root}/${entry}`, { recursive: true });
}

describe("microphone detection", () => {
  test("arecord -l lines become capture devices with their stable card ids", () => {
    expect(parseArecordList(arecordOutput)).toEqual([
      { card: 1, device: 0, cardId: "Device", name: "USB PnP Sound Device", usb: true },
      { card: 2, device: 0, cardId: "Microphone", name: "Yeti Stereo Microphone", usb: true },
    ]);
    expect(parseArecordList("arecord: device_list:274: no soundcards found...\n")).toEqual([]);
  });

  test("without arecord, /proc/asound lists the cards that can capture", () => {
    dir = makeTempDir();
    writeProcAsound(dir.path);
    expect(readProcAsoundCaptureDevices(dir.path)).toEqual([{ card: 3, device: 0, cardId: "Device", name: "USB PnP Sound Device", usb: true }]);
    expect(readProcAsoundCaptureDevices(dir.join("absent"))).toEqual([]);
  });

  test("a USB microphone is preferred and named by card id, which survives re-plugging", () => {
    const devices = [
      { card: 0, device: 0, cardId: "Codec", name: "Onboard codec", usb: false },
      { card: 2, device: 0, cardId: "Microphone", name: "Yeti", usb: true },
    ];
    expect(chooseMicrophone(devices)?.cardId).toBe("Microphone");
    expect(chooseMicrophone([devices[0]!])?.cardId).toBe("Codec");
    expect(chooseMicrophone([])).toBeNull();
    expect(alsaDeviceName(devices[1]!)).toBe("plughw:CARD=Microphone,DEV=0");
  });

  test("detection uses arecord, falls back to /proc/asound, and reports when there is nothing", async () => {
    dir = makeTempDir();
    writeProcAsound(dir.path);
    const viaArecord = await detectMicrophone({ listWithArecord: async () => arecordOutput, procAsoundRoot: dir.path });
    expect(viaArecord).toMatchObject({ source: "arecord", alsaName: "plughw:CARD=Device,DEV=0" });
    const viaProc = await detectMicrophone({ listWithArecord: async () => null, procAsoundRoot: dir.path });
    expect(viaProc).toMatchObject({ source: "/proc/asound", alsaName: "plughw:CARD=Device,DEV=0" });
    const none = await detectMicrophone({ listWithArecord: async () => null, procAsoundRoot: dir.join("absent") });
    expect(none).toEqual({ chosen: null, alsaName: null, candidates: [], source: "none" });
  });

  // arecord, when installed, answers "no soundcards found" on stderr and exits 0.
  test.skipIf(existsSync("/proc/asound/cards"))("on a machine without sound cards the real arecord and /proc/asound find nothing", async () => {
    expect(await detectMicrophone()).toEqual({ chosen: null, alsaName: null, candidates: [], source: "none" });
  });
});
