/**
 * The local demo's shop: a register whose recorder uploads a few conversations (English speech from
 * espeak-ng over shop noise, encoded as the recorder encodes) into the running core, once per data
 * directory, so that a fresh `npm start` shows dialogues, transcripts and upsell analyses.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { writeFileAtomicSync } from "../../shared/runtime/files.ts";
import { type TestDevice, uploadForm } from "../../core/testing/core-test-app.ts";
import { turnTakingChunk } from "../../core/testing/test-audio.ts";

export interface DeviceIdentity {
  point_id: string;
  register_id: string;
  device_id: string;
}

const demoDevice: DeviceIdentity = {
  point_id: "00000000-0000-4000-8000-00000000de01",
  register_id: "00000000-0000-4000-8000-00000000de02",
  device_id: "00000000-0000-4000-8000-00000000de03",
};

const demoRecorder = (token: string): TestDevice => ({ pointId: demoDevice.point_id, registerId: demoDevice.register_id, deviceId: demoDevice.device_id, token });

/** Seller and customer take turns; every sentence is one the demo's recogniser knows. */
const conversations: string[][] = [
  ["good morning how can i help you", "i would like this phone please", "would you like to buy a phone case as well", "yes please i will take it"],
  ["hello i am looking for a new laptop", "can i offer you a warranty for this", "it covers repairs for two years", "no thank you not today"],
  ["how much is it", "that will be four hundred euros", "can i pay by card", "here is your receipt"],
];

/** After the last sentence the recording goes on long enough to confirm the dialogue's silence gap. */
const trailingSilenceMs = 25_000;

export async function feedDemoShop(options: { coreUrl: string; adminToken: string; stateDir: string; log: (message: string) => void }): Promise<void> {
  const marker = join(options.stateDir, "demo-uploaded");
  if (existsSync(marker)) return;
  const token = await demoDeviceToken(options.coreUrl, options.adminToken, join(options.stateDir, "demo-device-token"));
  let startTs = Date.now() - (conversations.length + 1) * 90_000;
  for (const sentences of conversations) {
    const { bytes, durationMs } = await turnTakingChunk({
      sentences: sentences.map((text, turn) => ({ text, voice: turn % 2 === 0 ? "en-us" : "en+f3" })),
      leadMs: 1000,
      pauseMs: 1200,
      trailingMs: trailingSilenceMs,
    });
    const form = uploadForm(demoRecorder(token), { bytes, startTs, endTs: startTs + durationMs }, Date.now());
    const uploaded = await fetch(`${options.coreUrl}${chunkUploadPath}`, { method: "POST", body: form, headers: { authorization: `Bearer ${token}` } });
    if (!uploaded.ok) throw new Error(`demo upload refused: ${uploaded.status} ${await uploaded.text()}`);
    startTs += 90_000;
  }
  writeFileAtomicSync(marker, `${new Date().toISOString()}\n`);
  options.log(`demo: ${conversations.length} shop conversations uploaded; in a few seconds see their dialogues, transcripts and analyses:`);
  options.log(`  curl -H "Authorization: Bearer $(cat data/core/admin-token)" ${options.coreUrl}/api/v1/admin/dialogues?register_id=${demoDevice.register_id}`);
  options.log(`  curl -H "Authorization: Bearer $(cat data/core/admin-token)" ${options.coreUrl}/api/v1/admin/dialogues/<dialogue_id>/analysis`);
}

/** The demo register's recorder token: registered once, kept beside the demo's state, re-issued if lost. */
async function demoDeviceToken(coreUrl: string, adminToken: string, path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = randomBytes(24).toString("hex");
  if (!(await registerDevice(coreUrl, adminToken, demoDevice, token))) {
    const rotated = await fetch(`${coreUrl}/api/v1/admin/devices/${demoDevice.device_id}/rotate-token`, {
      method: "POST",
      headers: adminHeaders(adminToken),
      body: JSON.stringify({ token_plain: token }),
    });
    if (!rotated.ok) throw new Error(`demo device token rotation refused: ${rotated.status} ${await rotated.text()}`);
  }
  writeFileAtomicSync(path, `${token}\n`);
  return token;
}

/** Registers a device on the core with `token`; false when the core already knows the device. */
export async function registerDevice(coreUrl: string, adminToken: string, device: DeviceIdentity, token: string): Promise<boolean> {
  const response = await fetch(`${coreUrl}/api/v1/admin/devices`, { method: "POST", headers: adminHeaders(adminToken), body: JSON.stringify({ ...device, token_plain: token }) });
  if (response.status === 409) return false;
  if (response.status !== 201) throw new Error(`device ${device.device_id} not registered: ${response.status} ${await response.text()}`);
  return true;
}

function adminHeaders(adminToken: string): Record<string, string> {
  return { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
}
