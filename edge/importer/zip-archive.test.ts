import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { zipSync } from "fflate";
import { ZipStream } from "../../shared/campaign-package/zip-stream.ts";
import { encodePcmWav } from "../../shared/audio/wav-format.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { createEdgeTestEnvironment, importPackage, loopback, writeHandmadePackage } from "../testing/edge-test-kit.ts";
import { PackageRejectedError } from "./import-problem.ts";
import { openZipArchive, type ZipArchive } from "./zip-archive.ts";

const limits = { maxEntries: 1000, maxTotalUncompressedBytes: 64 * 1024 * 1024, maxCompressionRatio: 100, compressionRatioFloorBytes: 1024 * 1024 };

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => dir.remove());

function write(name: string, bytes: Uint8Array): string {
  const path = dir.join(name);
  writeFileSync(path, bytes);
  return path;
}

async function readAll(archive: ZipArchive, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await archive.readEntry(archive.byName.get(name)!, (chunk) => void chunks.push(chunk));
  return Buffer.concat(chunks);
}

async function rejection(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof PackageRejectedError) return { code: error.problem.code, message: error.problem.message };
    throw error;
  }
  throw new Error("accepted");
}

/** Offset of the central directory record of `name`. */
function centralRecord(bytes: Uint8Array, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset + 46 < bytes.length; offset++) {
    if (view.getUint32(offset, true) !== 0x02014b50) continue;
    const length = view.getUint16(offset + 28, true);
    if (new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + length)) === name) return offset;
  }
  throw new Error(`${name} not found`);
}

const text = new TextEncoder().encode("lead_id,phone_number\n1,5550100\n".repeat(50));

describe("openZipArchive", () => {
  test("streams stored and deflated entries back byte for byte", async () => {
    const audio = crypto.getRandomValues(new Uint8Array(300_000));
    const path = write("ok.zip", zipSync({ "leads.csv": [text, { level: 9 }], "audio/a.wav": [audio, { level: 0 }], "audio/": new Uint8Array(0) }));
    const archive = await openZipArchive(path, limits);
    try {
      expect(archive.entries.map((entry) => [entry.name, entry.isDirectory, entry.isDirectory ? "-" : entry.method])).toEqual([
        ["leads.csv", false, 8],
        ["audio/a.wav", false, 0],
        ["audio/", true, "-"],
      ]);
      expect(await readAll(archive, "leads.csv")).toEqual(Buffer.from(text));
      expect(await readAll(archive, "audio/a.wav")).toEqual(Buffer.from(audio));
    } finally {
      await archive.close();
    }
  });

  test("reads archives made by Info-ZIP, including forced zip64", async () => {
    mkdirSync(dir.join("src/audio"), { recursive: true });
    writeFileSync(dir.join("src/leads.csv"), text);
    writeFileSync(dir.join("src/audio/a.wav"), "RIFF");
    for (const flags of [["-r", "-X"], ["-r", "-X", "-fz"]]) {
      const target = dir.join(`info-zip${flags.length}.zip`);
      const zipped = await runCommand("zip", [...flags, target, "leads.csv", "audio"], { cwd: dir.join("src") });
      expect(zipped.code).toBe(0);
      const archive = await openZipArchive(target, limits);
      expect(await readAll(archive, "leads.csv")).toEqual(Buffer.from(text));
      expect([...archive.byName.keys()].sort()).toEqual(["audio", "audio/a.wav", "leads.csv"]);
      await archive.close();
    }
  });

  test.each([
    ["../evil.wav", "contains '..'"],
    ["audio/../../etc/cron.d/x", "contains '..'"],
    ["/etc/passwd", "is absolute"],
    ["audio\\..\\x.wav", "contains a backslash"],
    ["audio//x.wav", 'empty or "." path segment'],
  ])("refuses the path-traversal entry %j before reading any data", async (name, reason) => {
    const path = write("slip.zip", zipSync({ [name]: new Uint8Array([1, 2, 3]) }));
    const refused = await rejection(openZipArchive(path, limits));
    expect(refused.code).toBe("zip.unsafe_path");
    expect(refused.message).toContain(reason);
  });

  test("refuses symbolic links (made with zip --symlinks)", async () => {
    mkdirSync(dir.join("src/audio"), { recursive: true });
    symlinkSync("/etc/passwd", dir.join("src/audio/a.wav"));
    const target = dir.join("symlink.zip");
    expect((await runCommand("zip", ["-y", "-r", target, "audio"], { cwd: dir.join("src") })).code).toBe(0);
    expect(await rejection(openZipArchive(target, limits))).toEqual({ code: "zip.symlink", message: "audio/a.wav is a symbolic link; a package holds only regular files" });
  });

  test("refuses encrypted entries", async () => {
    writeFileSync(dir.join("leads.csv"), text);
    const target = dir.join("secret.zip");
    expect((await runCommand("zip", ["-P", "secret", target, "leads.csv"], { cwd: dir.path })).code).toBe(0);
    expect((await rejection(openZipArchive(target, limits))).code).toBe("zip.encrypted");
  });

  test("refuses a zip bomb by its declared compression ratio, before inflating anything", async () => {
    const path = write("bomb.zip", zipSync({ "audio/bomb.wav": [new Uint8Array(20 * 1024 * 1024), { level: 9 }] }));
    const refused = await rejection(openZipArchive(path, limits));
    expect(refused.code).toBe("zip.compression_ratio");
    expect(refused.message).toMatch(/audio\/bomb\.wav would expand from \d+ to 20971520 bytes \(\d+:1\); more than 100:1 is refused as a zip bomb/);
  });

  test("refuses a package that expands past the configured total", async () => {
    const path = write("big.zip", zipSync({ a: crypto.getRandomValues(new Uint8Array(60_000)), b: crypto.getRandomValues(new Uint8Array(60_000)) }));
    const refused = await rejection(openZipArchive(path, { ...limits, maxTotalUncompressedBytes: 100_000 }));
    expect(refused.code).toBe("zip.too_large");
  });

  test("stops inflating an entry that lies about its size", async () => {
    const bytes = zipSync({ "leads.csv": [new Uint8Array(5 * 1024 * 1024).fill(65), { level: 9 }] });
    // Declare 1,000 bytes: the ratio looks harmless, but the data inflates to 5 MiB.
    new DataView(bytes.buffer).setUint32(centralRecord(bytes, "leads.csv") + 24, 1000, true);
    const archive = await openZipArchive(write("liar.zip", bytes), limits);
    let received = 0;
    const refused = await rejection(archive.readEntry(archive.byName.get("leads.csv")!, (chunk) => void (received += chunk.length)));
    await archive.close();
    expect(refused).toEqual({ code: "zip.size_mismatch", message: "leads.csv inflates to more than the 1000 bytes its header declares (zip bomb?)" });
    expect(received).toBeLessThanOrEqual(1000);
  });

  test("detects damaged data by its CRC-32", async () => {
    const bytes = zipSync({ "audio/a.wav": [new Uint8Array(1000).fill(7), { level: 0 }] });
    bytes[500] = bytes[500]! ^ 0xff;
    const archive = await openZipArchive(write("damaged.zip", bytes), limits);
    try {
      expect(await rejection(archive.readEntry(archive.entries[0]!, () => {}))).toEqual({ code: "zip.crc_mismatch", message: "audio/a.wav fails its CRC-32 check: the archive is damaged" });
    } finally {
      await archive.close();
    }
  });

  test("refuses entries that share data (overlapping-entry bombs)", async () => {
    const bytes = zipSync({ "a.wav": [new Uint8Array(100), { level: 0 }], "b.wav": [new Uint8Array(100), { level: 0 }] });
    const view = new DataView(bytes.buffer);
    view.setUint32(centralRecord(bytes, "b.wav") + 42, view.getUint32(centralRecord(bytes, "a.wav") + 42, true), true);
    expect((await rejection(openZipArchive(write("overlap.zip", bytes), limits))).code).toBe("zip.overlapping_entries");
  });

  test("refuses duplicate names, truncated uploads and files that are not zips", async () => {
    const one = zipSync({ "leads.csv": text });
    const bytes = zipSync({ "leads.csv": text, "leadz.csv": text });
    bytes.set(new TextEncoder().encode("leads.csv"), centralRecord(bytes, "leadz.csv") + 46);
    expect((await rejection(openZipArchive(write("dupe.zip", bytes), limits))).code).toBe("zip.duplicate_entry");
    expect(await rejection(openZipArchive(write("cut.zip", one.subarray(0, one.length - 30)), limits))).toEqual({
      code: "zip.not_a_zip",
      message: "the zip is truncated: its central directory is missing (was the upload cut short?)",
    });
    expect((await rejection(openZipArchive(write("text.zip", new TextEncoder().encode("hello, this is not a zip file at all")), limits))).code).toBe("zip.not_a_zip");
  });

  test("refuses more entries than the limit without reading them all", async () => {
    const files: Record<string, Uint8Array> = {};
    for (let index = 0; index < 20; index++) files[`audio/${index}.wav`] = new Uint8Array(1);
    expect((await rejection(openZipArchive(write("many.zip", zipSync(files)), { ...limits, maxEntries: 10 }))).code).toBe("zip.too_many_entries");
  });
});

test("a zip-slip entry never reaches the disk: nothing outside the target is written by opening", async () => {
  dir = makeTempDir();
  const path = write("slip.zip", zipSync({ "../../outside.txt": new Uint8Array([1]) }));
  await rejection(openZipArchive(path, limits));
  expect(() => readFileSync(dir.join("../outside.txt"))).toThrow();
  dir.remove();
});

/** A zip from the package's own writer: `files` in order, stored, or deflated when named `.csv`. */
function written(files: Record<string, Uint8Array>, options: { forceZip64?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipStream((chunk) => chunks.push(chunk.slice()), { forceZip64: options.forceZip64 });
  for (const [name, bytes] of Object.entries(files)) {
    const entry = zip.openEntry(name, { deflate: name.endsWith(".csv") });
    entry.push(bytes);
    entry.end();
  }
  zip.finish();
  return new Uint8Array(Buffer.concat(chunks));
}

/** Where the end records of a zip64 archive are, to lie in them. */
function zip64Tail(bytes: Uint8Array): { view: DataView; end: number; locator: number; record: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  const locator = end - 20;
  expect(view.getUint32(locator, true)).toBe(0x07064b50);
  return { view, end, locator, record: Number(view.getBigUint64(locator + 8, true)) };
}

describe("zip64", () => {
  const audio = crypto.getRandomValues(new Uint8Array(50_000));
  const files = { "audio/a.wav": audio, "leads.csv": text, "audio/b.wav": audio.subarray(0, 1000) };

  test("an archive with every field in zip64 form reads back byte for byte", async () => {
    const archive = await openZipArchive(write("z64.zip", written(files, { forceZip64: true })), limits);
    try {
      expect(archive.entries.map((entry) => [entry.name, entry.compressedSize === entry.uncompressedSize, entry.uncompressedSize])).toEqual([
        ["audio/a.wav", true, 50_000],
        ["leads.csv", false, text.length],
        ["audio/b.wav", true, 1000],
      ]);
      expect(await readAll(archive, "audio/a.wav")).toEqual(Buffer.from(audio));
      expect(await readAll(archive, "leads.csv")).toEqual(Buffer.from(text));
    } finally {
      await archive.close();
    }
  });

  test("70,000 entries: the count comes from the zip64 end record and every entry is found", async () => {
    const many: Record<string, Uint8Array> = {};
    for (let index = 0; index < 70_000; index++) many[`audio/${index}.wav`] = new Uint8Array([index & 0xff]);
    const archive = await openZipArchive(write("many64.zip", written(many)), { ...limits, maxEntries: 200_000 });
    try {
      expect(archive.entries.length).toBe(70_000);
      expect(await readAll(archive, "audio/69999.wav")).toEqual(Buffer.from([69_999 & 0xff]));
    } finally {
      await archive.close();
    }
    expect((await rejection(openZipArchive(dir.join("many64.zip"), { ...limits, maxEntries: 65_535 }))).code).toBe("zip.too_many_entries");
  });

  test("an entry of more than 4 GiB and an entry past the 4 GiB offset (a sparse file): sizes and offsets come from zip64 fields", async () => {
    // The big entry is zeros left as a hole in the file: 4 GiB + 1 MiB on paper, a few KB on disk.
    const path = dir.join("huge.zip");
    const fd = openSync(path, "w");
    const zeros = new Uint8Array(64 * 1024 * 1024);
    let position = 0;
    const zip = new ZipStream((chunk) => {
      if (chunk !== zeros) writeSync(fd, chunk, 0, chunk.length, position);
      position += chunk.length;
    });
    const huge = zip.openEntry("audio/huge.wav", { deflate: false });
    for (let index = 0; index < 64; index++) huge.push(zeros);
    huge.push(zeros.subarray(0, 1024 * 1024));
    huge.end();
    const after = zip.openEntry("leads.csv", { deflate: true });
    after.push(text);
    after.end();
    zip.finish();
    closeSync(fd);
    expect(statSync(path).size).toBe(position);
    expect(statSync(path).blocks * 512).toBeLessThan(64 * 1024 * 1024);

    const hugeSize = 4 * 1024 ** 3 + 1024 * 1024;
    const archive = await openZipArchive(path, { ...limits, maxTotalUncompressedBytes: 8 * 1024 ** 3 });
    try {
      const [big, leads] = archive.entries;
      expect([big!.uncompressedSize, big!.compressedSize, big!.localHeaderOffset]).toEqual([hugeSize, hugeSize, 0]);
      expect(leads!.localHeaderOffset).toBeGreaterThan(0xffffffff);
      expect(await readAll(archive, "leads.csv")).toEqual(Buffer.from(text));
    } finally {
      await archive.close();
    }
    // Info-ZIP lists the same sizes from the same records.
    const listed = await runCommand("unzip", ["-l", path]);
    expect(listed.stdout).toMatch(new RegExp(`^\\s*${hugeSize}\\s.*audio/huge\\.wav$`, "m"));
    expect(listed.stdout).toContain("2 files");
  });

  test("a classic archive of exactly 65,535 entries (count 0xFFFF, no zip64 record) is read as such", async () => {
    const many: Record<string, Uint8Array> = {};
    for (let index = 0; index < 65_535; index++) many[`${index}`] = new Uint8Array(0);
    const bytes = written(many);
    // The writer turns zip64 at 65,535 entries; rewrite its end as the classic writer did.
    const { view, end, record } = zip64Tail(bytes);
    const classic = new Uint8Array(22);
    classic.set(bytes.subarray(end, end + 22));
    const classicView = new DataView(classic.buffer);
    classicView.setUint32(12, Number(view.getBigUint64(record + 40, true)), true);
    classicView.setUint32(16, Number(view.getBigUint64(record + 48, true)), true);
    const archive = await openZipArchive(write("65535.zip", Buffer.concat([bytes.subarray(0, record), classic])), { ...limits, maxEntries: 200_000 });
    expect(archive.entries.length).toBe(65_535);
    await archive.close();
  });

  type Lie = [string, (bytes: Uint8Array) => Uint8Array, string, string];
  /** Sets 64-bit fields of the zip64 end record (by offset in the record) to lie about the archive. */
  const record64 =
    (...fields: Array<[number, bigint]>) =>
    (bytes: Uint8Array) => {
      const { view, record } = zip64Tail(bytes);
      for (const [offset, value] of fields) view.setBigUint64(record + offset, value, true);
      return bytes;
    };
  /** Rewrites part of the central record of audio/b.wav: `at` counts from its zip64 extra field. */
  const extraOfB = (at: number, write: (view: DataView, offset: number) => void) => (bytes: Uint8Array) => {
    write(new DataView(bytes.buffer, bytes.byteOffset), centralRecord(bytes, "audio/b.wav") + 46 + "audio/b.wav".length + at);
    return bytes;
  };
  /** Rewrites the zip64 locator. */
  const locator64 = (write: (view: DataView, locator: number, length: number) => void) => (bytes: Uint8Array) => {
    const { view, locator } = zip64Tail(bytes);
    write(view, locator, bytes.length);
    return bytes;
  };
  const lies: Lie[] = [
    [
      "end record says zip64, no locator",
      (bytes) => Buffer.concat([bytes.subarray(0, zip64Tail(bytes).locator), bytes.subarray(zip64Tail(bytes).end)]),
      "zip.corrupt",
      "the end record says the zip is zip64 but the zip64 end-of-directory locator is missing",
    ],
    [
      "locator pointing past the end of the file",
      locator64((view, locator, length) => view.setBigUint64(locator + 8, BigInt(length + 1000), true)),
      "zip.corrupt",
      "past where its record can be",
    ],
    ["locator pointing at something that is not a zip64 record", locator64((view, locator) => view.setBigUint64(locator + 8, 0n, true)), "zip.corrupt", "the zip64 end-of-directory record is missing"],
    ["a split archive", locator64((view, locator) => view.setUint32(locator + 16, 3, true)), "zip.unsupported", "split (multi-volume) zip archives are not supported"],
    ["counts on this disk and in all that disagree", record64([24, 2n]), "zip.corrupt", "the zip64 end record counts 2 entries on this disk but 3 in all"],
    [
      "a classic count that disagrees with the zip64 one",
      (bytes) => {
        const { view, end } = zip64Tail(bytes);
        view.setUint16(end + 8, 4, true);
        view.setUint16(end + 10, 4, true);
        return bytes;
      },
      "zip.corrupt",
      "the end records disagree: the classic one declares 4 entries",
    ],
    ["more entries declared than the directory holds", record64([24, 4n], [32, 4n]), "zip.corrupt", "the end record declares 4 entries but the central directory ends after 3"],
    ["fewer entries declared than the directory holds (a hidden entry)", record64([24, 2n], [32, 2n]), "zip.corrupt", "the central directory holds more than the 2 entries its end record declares"],
    ["a directory offset past the end of the file", record64([48, 1n << 40n]), "zip.corrupt", "the central directory overlaps the end records"],
    ["an absurd 64-bit size", record64([40, 1n << 60n]), "zip.corrupt", "a zip64 size or offset is absurdly large"],
    [
      "an entry whose zip64 offset points past the directory",
      // The zip64 extra field holds both sizes, then the local header offset.
      (bytes) => extraOfB(4 + 16, (view, offset) => view.setBigUint64(offset, BigInt(bytes.length + 10), true))(bytes),
      "zip.corrupt",
      "audio/b.wav points into the central directory",
    ],
    ["an entry whose zip64 extra field is cut short", extraOfB(2, (view, offset) => view.setUint16(offset, 8, true)), "zip.corrupt", "audio/b.wav has a short zip64 extra field"],
    ["an entry whose extra field runs past its end", extraOfB(2, (view, offset) => view.setUint16(offset, 200, true)), "zip.corrupt", "audio/b.wav has an extra field that runs past its end"],
    ["an entry that needs a zip64 field and has none", extraOfB(0, (view, offset) => view.setUint16(offset, 0x7075, true)), "zip.corrupt", "audio/b.wav needs a zip64 extra field and has none"],
  ];
  test.each(lies)("refuses %s", async (_, lie, code, message) => {
    const refused = await rejection(openZipArchive(write("lie.zip", lie(written(files, { forceZip64: true }))), limits));
    expect(refused.code).toBe(code);
    expect(refused.message).toContain(message);
  });

  test("a zip bomb in zip64 form is refused by its declared ratio, before inflating anything", async () => {
    const bytes = written({ "leads.csv": new Uint8Array(20 * 1024 * 1024) }, { forceZip64: true });
    const refused = await rejection(openZipArchive(write("bomb64.zip", bytes), limits));
    expect(refused.code).toBe("zip.compression_ratio");
    expect(refused.message).toMatch(/leads\.csv would expand from \d+ to 20971520 bytes/);
  });

  test("a package of more than 65,535 entries is imported by the edge and every lead is served with its own audio", async () => {
    const edge = await createEdgeTestEnvironment();
    try {
      // 65,600 clips, leads.csv and the manifest: 65,602 entries, past what a classic zip holds.
      const leadCount = 65_600;
      const clip = encodePcmWav(new Uint8Array(160));
      const audioFiles: Record<string, Uint8Array> = {};
      let leads = "lead_id,phone_number,audio_greeting\r\n";
      for (let index = 0; index < leadCount; index++) {
        audioFiles[`audio/g/${index}.wav`] = clip;
        leads += `${100_000 + index},5125${String(index).padStart(6, "0")},g/${index}\r\n`;
      }
      const path = writeHandmadePackage(dir, "big.zip", { campaignId: "BIG", leads, audio: audioFiles });
      const report = await importPackage(edge, path);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ outcome: "deployed", leads: { rows: leadCount, valid: leadCount }, audio: { wav_files: leadCount } });
      const last = await edge.fetch(new Request(`http://127.0.0.1:8001/api/v1/leads/${100_000 + leadCount - 1}`), loopback);
      const answer = (await last.json()) as { audio_url: string };
      expect(answer.audio_url).toContain(`g/${leadCount - 1}.wav`);
      const audio = await edge.fetch(new Request(answer.audio_url), loopback);
      expect(audio.status).toBe(200);
      expect(Buffer.compare(new Uint8Array(await audio.arrayBuffer()), clip)).toBe(0);
    } finally {
      await edge.dispose();
    }
  });
});

