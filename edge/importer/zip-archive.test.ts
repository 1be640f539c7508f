import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { zipSync } from "fflate";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
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
