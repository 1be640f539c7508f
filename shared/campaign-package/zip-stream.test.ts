import { describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { runCommand } from "../runtime/process.ts";
import { makeTempDir } from "../testing/temp-dir.ts";
import { SpillFile } from "./spill-file.ts";
import { ZipStream, ZipStreamError, type ZipStreamOptions } from "./zip-stream.ts";

const modified = new Date(2026, 11, 3, 10, 20, 30);

function archive(write: (zip: ZipStream) => void, options: ZipStreamOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipStream((chunk) => chunks.push(chunk.slice()), { modified, ...options });
  write(zip);
  return new Uint8Array(Buffer.concat(chunks));
}

/** The spill files this process holds open (they are unlinked, so only /proc/self/fd still sees them). */
function openSpillFiles(): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.includes("salescontrol-spill-") ? [target] : [];
    } catch {
      return [];
    }
  });
}

/** Info-ZIP's test of an archive (every entry's CRC-32, through its own zip64 support) and its header as zipinfo reads it. */
async function infoZipTest(bytes: Uint8Array, options: { verbose?: boolean } = {}): Promise<{ code: number; output: string; header: string; verbose: string }> {
  const dir = makeTempDir();
  try {
    writeFileSync(dir.join("archive.zip"), bytes);
    const tested = await runCommand("unzip", ["-tq", dir.join("archive.zip")]);
    const header = await runCommand("zipinfo", ["-h", dir.join("archive.zip")]);
    const verbose = options.verbose ? (await runCommand("zipinfo", ["-v", dir.join("archive.zip")])).stdout : "";
    return { code: tested.code, output: tested.stdout + tested.stderr, header: header.stdout, verbose };
  } finally {
    dir.remove();
  }
}

/** The classic end record's count, directory size and offset, and the zip64 record's, when there is one. */
function endRecords(bytes: Uint8Array): { classic: number[]; zip64: bigint[] | null } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  const classic = [view.getUint16(end + 10, true), view.getUint32(end + 12, true), view.getUint32(end + 16, true)];
  if (end < 20 || view.getUint32(end - 20, true) !== 0x07064b50) return { classic, zip64: null };
  const record = Number(view.getBigUint64(end - 20 + 8, true));
  expect(view.getUint32(record, true)).toBe(0x06064b50);
  return { classic, zip64: [view.getBigUint64(record + 32, true), view.getBigUint64(record + 40, true), view.getBigUint64(record + 48, true)] };
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

  test("refuses an entry while another is open, and writes after the end", () => {
    const zip = new ZipStream(() => {});
    zip.openEntry("a", { deflate: false });
    expect(() => zip.openEntry("b", { deflate: false })).toThrow(ZipStreamError);
    expect(() => zip.finish()).toThrow("the last entry has not ended");
    const done = new ZipStream(() => {});
    done.openEntry("only", { deflate: false }).end();
    done.finish();
    expect(() => done.openEntry("late", { deflate: false })).toThrow("the archive is finished");
    expect(() => done.finish()).toThrow("the archive is finished");
  });

  test("a small archive stays classic, byte for byte the archive the classic writer made", () => {
    const zipped = archive((zip) => {
      for (let index = 0; index < 5000; index++) {
        const entry = zip.openEntry(`audio/speech/${index}.wav`, { deflate: index % 7 === 0 });
        entry.push(new TextEncoder().encode(`clip ${index} `.repeat(index % 50)));
        entry.end();
      }
      zip.finish();
    });
    // Its central directory (~350 KB) went through the spill file and came back unchanged.
    expect(zipped.length).toBe(1_704_626);
    expect(createHash("sha256").update(zipped).digest("hex")).toBe("97d0fb355466f1f351ef6b93456eedbce0035200e6a835853306be8bcdb09041");
    const view = new DataView(zipped.buffer);
    expect(view.getUint32(zipped.length - 22, true)).toBe(0x06054b50);
    expect(view.getUint32(zipped.length - 42, true)).not.toBe(0x07064b50);
  });

  test("65,536 entries: a zip64 end record and locator carry the count, and Info-ZIP reads every entry", async () => {
    const count = 65_536;
    const zipped = archive((zip) => {
      for (let index = 0; index < count; index++) {
        const entry = zip.openEntry(`audio/${index}.wav`, { deflate: false });
        entry.push(new Uint8Array([index & 0xff]));
        entry.end();
      }
      zip.finish();
    });
    const ends = endRecords(zipped);
    expect(ends.classic).toEqual([0xffff, 0xffffffff, 0xffffffff]);
    expect(ends.zip64?.[0]).toBe(BigInt(count));
    const tested = await infoZipTest(zipped);
    expect(tested.output).toContain("No errors detected in compressed data");
    expect(tested.code).toBe(0);
    expect(tested.header).toContain(`number of entries: ${count}`);
  });

  test("forced zip64: every entry carries zip64 fields from its local header on, and Info-ZIP checks them all", async () => {
    const audio = randomBytes(100_000);
    const zipped = archive(
      (zip) => {
        const stored = zip.openEntry("audio/a.wav", { deflate: false });
        stored.push(audio);
        stored.end();
        const deflated = zip.openEntry("leads.csv", { deflate: true });
        deflated.push(new TextEncoder().encode("lead_id,phone_number\r\n".repeat(1000)));
        deflated.end();
        zip.finish();
      },
      { forceZip64: true },
    );
    const tested = await infoZipTest(zipped, { verbose: true });
    expect(tested.output).toContain("No errors detected");
    expect(tested.code).toBe(0);
    expect(endRecords(zipped)).toEqual({ classic: [0xffff, 0xffffffff, 0xffffffff], zip64: [2n, 168n, BigInt(zipped.length - 22 - 20 - 56 - 168)] });
    expect(tested.verbose.match(/subfield with ID 0x0001 \(PKWARE 64-bit sizes\)/g)?.length).toBe(2);
    // The local header of the first entry: version 4.5, sizes 0xFFFFFFFF, a zip64 extra field of two zero sizes.
    const view = new DataView(zipped.buffer);
    expect([view.getUint16(4, true), view.getUint32(18, true), view.getUint32(22, true), view.getUint16(28, true), view.getUint16(30 + 11, true)]).toEqual([45, 0xffffffff, 0xffffffff, 20, 0x0001]);
    expect(Buffer.compare(unzipSync(zipped)["audio/a.wav"]!, audio)).toBe(0);
  });

  test("the central directory spills to an unlinked file that is closed when the archive finishes or is discarded", () => {
    const dir = makeTempDir();
    try {
      const before = openSpillFiles().length;
      const write = (count: number) => {
        const zip = new ZipStream(() => {}, { spillDirectory: dir.path });
        for (let index = 0; index < count; index++) zip.openEntry(`audio/speech/${"x".repeat(60)}${index}.wav`, { deflate: false }).end();
        return zip;
      };
      const finished = write(5000);
      expect(openSpillFiles().length).toBe(before + 1);
      expect(readdirSync(dir.path)).toEqual([]);
      finished.finish();
      expect(openSpillFiles().length).toBe(before);
      const discarded = write(5000);
      expect(openSpillFiles().length).toBe(before + 1);
      discarded.discard();
      expect(openSpillFiles().length).toBe(before);
      expect(() => discarded.openEntry("late", { deflate: false })).toThrow("the archive is finished");
    } finally {
      dir.remove();
    }
  });
});

describe("spill file", () => {
  test("appends across the memory block and the file, and gives the bytes back in order", () => {
    const spill = new SpillFile({ memoryBytes: 64 * 1024 });
    const pieces = [randomBytes(100), randomBytes(300_000), randomBytes(1), randomBytes(600_000)];
    for (const piece of pieces) spill.append(piece);
    const read = [...spill.pieces()];
    expect(spill.length).toBe(900_101);
    expect(Math.max(...read.map((piece) => piece.length))).toBe(64 * 1024);
    expect(Buffer.compare(Buffer.concat(read), Buffer.concat(pieces))).toBe(0);
    spill.close();
    expect(() => spill.append(new Uint8Array(1))).toThrow("the spill file is closed");
    const empty = new SpillFile();
    expect(empty.pieces().next().done).toBe(true);
    empty.close();
  });
});
