import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { campaignPackageManifest } from "../contracts/campaign-package.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { CampaignPackageStream, PackageStreamAborted, packageDownloadStream, packageFileSink } from "./campaign-package-stream.ts";
import { CampaignPackageWriter, csvLine, maxPackageWriterEntries, PackageWriterError } from "./campaign-package-writer.ts";

let dir: TempDir;
beforeAll(() => {
  dir = makeTempDir();
});
afterAll(() => dir.remove());

/** The spill files this process holds open (unlinked, so only /proc/self/fd still sees them). */
function openSpillFiles(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes("salescontrol-spill-");
    } catch {
      return false;
    }
  }).length;
}

const fields = { campaign: { id: "STREAM", name: "Streamed" }, leadCount: 2, createdAt: "2026-12-03T10:00:00Z" };

async function writeSample(stream: CampaignPackageStream, audio: Uint8Array): Promise<void> {
  await stream.addFile("audio/greeting/1.wav", audio);
  const leads = stream.openFile("leads.csv", { compress: true });
  await leads.push(csvLine(["lead_id", "phone_number", "audio_greeting"]));
  await leads.push(csvLine([1, "5551234", "greeting/1"]));
  await leads.push(csvLine([2, "5551235", ""]));
  await leads.end();
  await stream.finish(fields);
}

describe("campaign package stream", () => {
  test("to a file: a package the contract accepts, each file listed with its size and SHA-256, no temp file left", async () => {
    const audio = randomBytes(300_000);
    const path = dir.join("file", "package.zip");
    await writeSample(new CampaignPackageStream(packageFileSink(path)), audio);
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    const manifest = campaignPackageManifest.parse(JSON.parse(strFromU8(files["manifest.json"]!)));
    expect(manifest.files.map((file) => file.path)).toEqual(["audio/greeting/1.wav", "leads.csv"]);
    expect(manifest.files[0]).toEqual({ path: "audio/greeting/1.wav", size: audio.length, sha256: createHash("sha256").update(audio).digest("hex") });
    expect(strFromU8(files["leads.csv"]!)).toBe("lead_id,phone_number,audio_greeting\r\n1,5551234,greeting/1\r\n2,5551235,\r\n");
    expect(readdirSync(dir.join("file"))).toEqual(["package.zip"]);
  });

  test("a download: the writer waits for a slow reader, so what is queued never exceeds the high-water mark plus one piece", async () => {
    const highWaterMarkBytes = 64 * 1024;
    const download = packageDownloadStream({ highWaterMarkBytes });
    const stream = new CampaignPackageStream(download.sink);
    const pieces = Array.from({ length: 40 }, () => randomBytes(50_000));
    let maxQueued = 0;
    const writing = (async () => {
      for (const [index, piece] of pieces.entries()) {
        await stream.addFile(`audio/lead/${index}.wav`, piece);
        maxQueued = Math.max(maxQueued, download.queuedBytes());
      }
      const leads = stream.openFile("leads.csv", { compress: true });
      await leads.push("lead_id,phone_number,audio\r\n1,5551234,lead/0\r\n");
      await leads.end();
      await stream.finish({ ...fields, leadCount: 1 });
    })();
    const received: Uint8Array[] = [];
    const reader = download.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(value);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await writing;
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(highWaterMarkBytes + 50_000 + 1024);
    const files = unzipSync(new Uint8Array(Buffer.concat(received)));
    expect(Object.keys(files).length).toBe(42);
    expect(Buffer.compare(files["audio/lead/39.wav"]!, pieces[39]!)).toBe(0);
  });

  test("a client that stops reading fails the next write with a precise reason", async () => {
    const download = packageDownloadStream({ highWaterMarkBytes: 1024 });
    const stream = new CampaignPackageStream(download.sink);
    await download.body.cancel("socket closed");
    const failure = await stream.addFile("audio/a.wav", randomBytes(4096)).catch((error) => error);
    expect(failure).toBeInstanceOf(PackageStreamAborted);
    expect((failure as PackageStreamAborted).code).toBe("package.stream_aborted");
    expect((failure as Error).message).toContain("socket closed");
  });

  test("an aborted file package leaves nothing behind, not even a temp file", async () => {
    const path = dir.join("aborted", "package.zip");
    const stream = new CampaignPackageStream(packageFileSink(path));
    await stream.addFile("audio/a.wav", randomBytes(10_000));
    expect(readdirSync(dir.join("aborted")).length).toBe(1);
    await stream.abort(new Error("synthesis failed"));
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir.join("aborted"))).toEqual([]);
  });

  test("more files than an edge accepts is refused with a code, and the partial package and its spill files are removed", async () => {
    const path = dir.join("many", "package.zip");
    const stream = new CampaignPackageStream(packageFileSink(path));
    let failure: unknown;
    try {
      for (let index = 0; index <= maxPackageWriterEntries; index++) await stream.addFile(`audio/${index}.wav`, "x");
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(PackageWriterError);
    expect([(failure as PackageWriterError).code, (failure as Error).message]).toEqual(["package.too_many_files", "a package holds at most 199999 files besides its manifest (an edge accepts 200000 entries)"]);
    expect(readdirSync(dir.join("many"))).toEqual([]);
    expect(openSpillFiles()).toBe(0);
  });

  test("a package of 70,000 files: a zip64 archive whose manifest lists every file, written with no spill file left open", async () => {
    const path = dir.join("zip64", "package.zip");
    const stream = new CampaignPackageStream(packageFileSink(path), { spillDirectory: dir.path });
    for (let index = 0; index < 70_000; index++) await stream.addFile(`audio/speech/${index}.wav`, `clip ${index}`);
    expect(openSpillFiles()).toBe(2);
    const leads = stream.openFile("leads.csv", { compress: true });
    await leads.push("lead_id,phone_number,audio_greeting\r\n1,5551234,speech/69999\r\n");
    await leads.end();
    await stream.finish({ ...fields, leadCount: 1 });
    expect(openSpillFiles()).toBe(0);
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    expect(Object.keys(files).length).toBe(70_002);
    const manifest = campaignPackageManifest.parse(JSON.parse(strFromU8(files["manifest.json"]!)));
    expect(manifest.files.length).toBe(70_001);
    expect(manifest.files[69_999]).toEqual({ path: "audio/speech/69999.wav", size: 10, sha256: createHash("sha256").update("clip 69999").digest("hex") });
  });

  test("finishing emits the manifest and the central directory a piece at a time, never the whole of either", () => {
    const steps: number[] = [];
    let emitted = 0;
    const writer = new CampaignPackageWriter((chunk) => void (emitted += chunk.length));
    for (let index = 0; index < 20_000; index++) writer.addFile(`audio/speech/${"0".repeat(40)}${index}.wav`, new Uint8Array(1));
    writer.addFile("leads.csv", "lead_id,phone_number\r\n1,5551234\r\n");
    const before = emitted;
    const finishing = writer.finishing(fields);
    for (let step = finishing.next(); ; step = finishing.next()) {
      steps.push(emitted - before - steps.reduce((sum, bytes) => sum + bytes, 0));
      if (step.done) break;
    }
    const total = emitted - before;
    // ~2 MB of central directory and a file list of ~3 MB before deflating, out in steps of at most a spill piece.
    expect(total).toBeGreaterThan(2_000_000);
    expect(steps.length).toBeGreaterThan(10);
    expect(Math.max(...steps)).toBeLessThanOrEqual(256 * 1024 + 1024);
  });
});
