import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { runCommand } from "../runtime/process.ts";
import { makeTempDir } from "../testing/temp-dir.ts";
import { GrowingBytes } from "./growing-bytes.ts";
import { ZipStream, ZipStreamError, zipLimits } from "./zip-stream.ts";

function archive(write: (zip: ZipStream) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipStream((chunk) => chunks.push(chunk.slice()), new Date(2026, 11, 3, 10, 20, 30));
  write(zip);
  return new Uint8Array(Buffer.concat(chunks));
}

describe("zip stream", () => {
  const audio = randomBytes(700_000);
  const text = new TextEncoder().encode("lead_id,phone_number\r\n".repeat(20_000));
  const zipped = archive((zip) => {
    const stored = zip.openEntry("audio/greeting/Мария.wav", { deflate: false });
    for (let offset = 0; offset < audio.length; offset += 65_536) stored.push(audio.subarray(offset, offset + 65_536));
    stored.end();
    const deflated = zip.openEntry("leads.csv", { deflate: true });
    deflated.push(text.subarray(0, 1000));
    deflated.push(text.subarray(1000));
    deflated.end();
    zip.openEntry("empty.txt", { deflate: true }).end();
    zip.finish();
  });

  test("entries pushed in pieces read back whole, stored and deflated, with UTF-8 names, through another zip reader", () => {
    const files = unzipSync(zipped);
    expect(Object.keys(files)).toEqual(["audio/greeting/Мария.wav", "leads.csv", "empty.txt"]);
    expect(Buffer.compare(files["audio/greeting/Мария.wav"]!, audio)).toBe(0);
    expect(Buffer.compare(files["leads.csv"]!, text)).toBe(0);
    expect(files["empty.txt"]!.length).toBe(0);
    // The leads text is deflated, the audio stored as is.
    expect(zipped.length).toBeLessThan(audio.length + text.length / 10);
  });

  test("Info-ZIP's unzip checks every entry's CRC-32 and finds no error", async () => {
    const dir = makeTempDir();
    try {
      writeFileSync(dir.join("stream.zip"), zipped);
      const tested = await runCommand("unzip", ["-t", dir.join("stream.zip")]);
      expect(tested.code).toBe(0);
      expect(tested.stdout).toContain("No errors detected");
      const listed = await runCommand("zipinfo", ["-T", dir.join("stream.zip")]);
      expect(listed.stdout).toContain("20261203.102030");
    } finally {
      dir.remove();
    }
  });

  test("refuses an entry while another is open, entries past the classic limit, and writes after the end", () => {
    const zip = new ZipStream(() => {});
    zip.openEntry("a", { deflate: false });
    expect(() => zip.openEntry("b", { deflate: false })).toThrow(ZipStreamError);
    expect(() => zip.finish()).toThrow("the last entry has not ended");
    const full = new ZipStream(() => {});
    for (let index = 0; index < zipLimits.maxEntries; index++) full.openEntry(`${index}`, { deflate: false }).end();
    const refused = (() => {
      try {
        full.openEntry("one more", { deflate: false });
      } catch (error) {
        return error as ZipStreamError;
      }
    })();
    expect(refused?.code).toBe("zip.too_many_entries");
    full.finish();
    expect(() => full.openEntry("late", { deflate: false })).toThrow("the archive is finished");
  });
});

describe("growing bytes", () => {
  test("appends across block boundaries and gives the bytes back in order", () => {
    const bytes = new GrowingBytes();
    const pieces = [randomBytes(100), randomBytes(300_000), randomBytes(1), randomBytes(600_000)];
    for (const piece of pieces) bytes.append(piece);
    const joined = Buffer.concat([...bytes.pieces()]);
    expect(bytes.length).toBe(900_101);
    expect(Buffer.compare(joined, Buffer.concat(pieces))).toBe(0);
    expect(new GrowingBytes().pieces().next().done).toBe(true);
  });
});
