import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync } from "fflate";
import { encodePcmWav } from "../../shared/audio/wav-format.ts";
import { runCommand, spawnProcess } from "../../shared/runtime/process.ts";
import { processesRunning, threadCpus, threadNices } from "../../shared/testing/linux-processes.ts";
import { allowedCpus } from "../../shared/runtime/thread-priority.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { defaultSpeechCache } from "../../scripts/campaign-package/generate-campaign-package.ts";
import { createSpeechSynthesizer } from "../../scripts/campaign-package/speech-synthesizer.ts";
import { createCampaignsRepository } from "../campaigns/campaigns.repository.ts";
import { importAudioDirectory, readLeadTableParts } from "../campaigns/campaigns.usecases.ts";
import { buildEdgeDeps } from "../edge-deps.ts";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import {
  buildTestPackage,
  createEdgeTestEnvironment,
  type EdgeTestEnvironment,
  importPackage,
  loopback,
  writeHandmadePackage,
} from "../testing/edge-test-kit.ts";
import { importPackageFile } from "./campaign-import.usecases.ts";
import { beginImport, type ImportProgress, recoverInterruptedImports } from "./import-lock.ts";
import { readLeadTableAside } from "./package-staging-helper.ts";

let files: TempDir;
/** Real speech, as Asterisk plays it, and the same speech in formats it does not. */
let speechWav: Uint8Array;
let stereoWav: Uint8Array;
let mp3: Uint8Array;

beforeAll(async () => {
  files = makeTempDir();
  const speech = createSpeechSynthesizer({ cacheDirectory: defaultSpeechCache });
  speechWav = encodePcmWav(await speech.speak("Hello Maria."));
  writeFileSync(files.join("speech.wav"), speechWav);
  for (const [name, args] of [
    ["stereo.wav", ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le"]],
    ["speech.mp3", ["-ar", "8000", "-ac", "1", "-c:a", "libmp3lame"]],
  ] as const) {
    const converted = await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", files.join("speech.wav"), ...args, files.join(name)]);
    if (converted.code !== 0) throw new Error(converted.stderr);
  }
  stereoWav = new Uint8Array(readFileSync(files.join("stereo.wav")));
  mp3 = new Uint8Array(readFileSync(files.join("speech.mp3")));
});
afterAll(() => files.remove());

let edge: EdgeTestEnvironment;
let dir: TempDir;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
  dir = makeTempDir();
});
afterEach(async () => {
  await edge.dispose();
  dir.remove();
});

/** Child processes of this one running the staging module. */
const stagingProcesses = (): number[] => processesRunning((argument) => argument.endsWith("package-staging.process.ts"), process.pid);

async function lookup(leadId: number) {
  const response = await edge.fetch(new Request(`http://127.0.0.1:8001/api/v1/leads/${leadId}`), loopback);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function campaignDirectories(): string[] {
  return existsSync(edge.config.audioStoragePath) ? readdirSync(edge.config.audioStoragePath).sort() : [];
}

async function storedRows(importId: number): Promise<number> {
  const result = await edge.database.client.execute({ sql: "SELECT (SELECT count(*) FROM campaign_leads WHERE import_id = ?) + (SELECT count(*) FROM campaign_audio_files WHERE import_id = ?) AS n", args: [importId, importId] });
  return Number(result.rows[0]!.n);
}

const goodLeads = "lead_id,phone_number,first_name,audio_greeting\r\n7001,+1 512 555 0100,Maria,greeting/maria\r\n7002,5125550101,James,greeting/maria\r\n";

describe("importing generated packages", () => {
  test.each([
    { leads: 1, audioFiles: 1, format: "csv" as const },
    { leads: 250, audioFiles: 12, format: "csv" as const, ulaw: true, defaultAudio: true },
    { leads: 3000, audioFiles: 40, format: "sql" as const },
  ])("$leads leads, $audioFiles audio files ($format) are deployed and served", async (options) => {
    const generated = await buildTestPackage(dir, "campaign.zip", { ...options, campaignId: `GEN-${options.leads}` });
    const report = await importPackage(edge, generated.path);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ outcome: "deployed", campaign: { id: `GEN-${options.leads}` }, leads: { rows: options.leads, valid: options.leads, declared: options.leads } });
    expect(report.audio.wav_files).toBe(generated.wavFiles);
    expect(report.audio.ulaw_files).toBe(options.ulaw ? generated.wavFiles : 0);

    const served = edge.runtime.deployment.served.current().active!;
    expect(served.importId).toBe(report.import_id);
    expect(served.leads.length).toBe(options.leads);
    for (const leadId of [generated.leadIds[0]!, generated.leadIds.at(-1)!]) {
      const answer = await lookup(leadId);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ lead_id: leadId, campaign: { id: `GEN-${options.leads}`, import_id: report.import_id } });
      const audio = await edge.fetch(new Request(answer.body.audio_url), loopback);
      expect(audio.status).toBe(200);
      expect(audio.headers.get("x-audio-fallback")).toBeNull();
    }
    expect(await storedRows(report.import_id)).toBe(options.leads + report.audio.files);
    expect(campaignDirectories()).toEqual([String(report.import_id)]);
    const record = await edge.runtime.importer.imports.findImport(report.import_id);
    expect(record).toMatchObject({ state: "active", leadCount: options.leads, audioCount: report.audio.files, report: { outcome: "deployed" } });
  });
});

describe("broken and hostile packages are refused and the previous campaign stays served", () => {
  let goodImportId: number;
  beforeEach(async () => {
    const good = await importPackage(edge, writeHandmadePackage(dir, "good.zip", { campaignId: "GOOD", leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav } }));
    expect(good.outcome).toBe("deployed");
    goodImportId = good.import_id;
  });

  const cases: Array<[string, () => string, string, string]> = [
    [
      "a bad checksum",
      () =>
        writeHandmadePackage(dir, "checksum.zip", {
          leads: goodLeads,
          audio: { "audio/greeting/maria.wav": speechWav },
          alterManifest: (manifest) => ({ ...manifest, files: manifest.files.map((file) => (file.path.endsWith(".wav") ? { ...file, sha256: "0".repeat(64) } : file)) }),
        }),
      "package.checksum_mismatch",
      "audio/greeting/maria.wav has SHA-256",
    ],
    [
      "a bad CSV row",
      () => writeHandmadePackage(dir, "row.zip", { leads: `${goodLeads}7003,not a phone,Aisha,greeting/maria\r\n`, audio: { "audio/greeting/maria.wav": speechWav } }),
      "leads.invalid_field",
      'leads.csv row 3 (line 4), column phone_number: phone_number must hold digits (with optional + ( ) - . and spaces), not "not a phone"',
    ],
    [
      "a 44.1 kHz stereo WAV",
      () => writeHandmadePackage(dir, "stereo.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": stereoWav } }),
      "audio.unsupported_format",
      "audio/greeting/maria.wav is 44100 Hz instead of 8000 Hz, stereo instead of mono; Asterisk plays a .wav only as PCM, 8000 Hz, mono, 16-bit",
    ],
    [
      "an MP3 renamed .wav",
      () => writeHandmadePackage(dir, "mp3.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": mp3 } }),
      "audio.not_wav",
      "audio/greeting/maria.wav is an MP3 file, not a RIFF/WAVE file",
    ],
    [
      "a ../ entry",
      () => writeHandmadePackage(dir, "slip.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav, "../../maria.wav": speechWav } }),
      "zip.unsafe_path",
      `entry "../../maria.wav" contains '..'`,
    ],
    [
      "a zip bomb",
      () => writeHandmadePackage(dir, "bomb.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav }, compressed: { "audio/greeting/bomb.wav": new Uint8Array(16 * 1024 * 1024) } }),
      "zip.compression_ratio",
      "more than 100:1 is refused as a zip bomb",
    ],
    [
      "duplicate lead ids",
      () => writeHandmadePackage(dir, "dupes.zip", { leads: `${goodLeads}7001,5125550102,Again,greeting/maria\r\n`, audio: { "audio/greeting/maria.wav": speechWav } }),
      "leads.duplicate_lead_id",
      "leads.csv row 3 (line 4): lead_id 7001 already appears on row 1",
    ],
    [
      "a lead whose audio file is not in the package",
      () => writeHandmadePackage(dir, "missing.zip", { leads: `${goodLeads}7003,5125550102,Aisha,greeting/aisha\r\n`, audio: { "audio/greeting/maria.wav": speechWav } }),
      "leads.missing_audio_file",
      "leads.csv row 3 (line 4), column audio_greeting: audio/greeting/aisha.wav is not in the package",
    ],
    [
      "a file the manifest does not list",
      () => writeHandmadePackage(dir, "unlisted.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav }, unlisted: { "audio/greeting/extra.wav": speechWav } }),
      "package.unlisted_file",
      "audio/greeting/extra.wav is in the zip but not listed in manifest.json",
    ],
    [
      "a lead count that differs from the manifest",
      () => writeHandmadePackage(dir, "count.zip", { leads: goodLeads, leadCount: 3, audio: { "audio/greeting/maria.wav": speechWav } }),
      "leads.count_mismatch",
      "leads.csv holds 2 leads; manifest.json says lead_count 3",
    ],
    [
      "a manifest of another format version",
      () => writeHandmadePackage(dir, "version.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav }, alterManifest: (manifest) => ({ ...manifest, format_version: 2 }) }),
      "manifest.invalid",
      "manifest.json, format_version: format_version must be 1",
    ],
    [
      "a zip without manifest (the folder was zipped instead of its contents)",
      () => {
        const path = dir.join("folder.zip");
        writeFileSync(path, zipSync({ "campaign/manifest.json": new Uint8Array(2), "campaign/leads.csv": new TextEncoder().encode(goodLeads) }));
        return path;
      },
      "package.no_manifest",
      "the package has no manifest.json at its top level (was the folder zipped instead of its contents?)",
    ],
    [
      "a leads.sql with a statement other than INSERT",
      () =>
        writeHandmadePackage(dir, "sql.zip", {
          leadsFile: "leads.sql",
          leadCount: 1,
          leads: "INSERT INTO leads (lead_id, phone_number, audio) VALUES (7001, '5125550100', 'greeting/maria');\nDELETE FROM vicidial_list;\n",
          audio: { "audio/greeting/maria.wav": speechWav },
        }),
      "leads.syntax",
      'leads.sql: line 2: only INSERT statements are read (nothing is executed); found "DELETE"',
    ],
    [
      "a leads.csv saved as Latin-1",
      () =>
        writeHandmadePackage(dir, "latin1.zip", {
          leads: "lead_id,phone_number,first_name,audio_greeting\r\n7001,5125550100,José,greeting/maria\r\n",
          leadsEncoding: "latin1",
          audio: { "audio/greeting/maria.wav": speechWav },
        }),
      "leads.not_utf8",
      "leads.csv line 2 is not UTF-8 text: byte 20 of that line (0xE9), byte 68 of the file",
    ],
    [
      "a quote opened on one line and never closed",
      () =>
        writeHandmadePackage(dir, "quote.zip", {
          leads: `${goodLeads}7003,5125550102,"Aisha,greeting/maria\r\n7004,5125550103,Bo,greeting/maria\r\n7005,5125550104,"Cy",greeting/maria\r\n`,
          leadCount: 5,
          audio: { "audio/greeting/maria.wav": speechWav },
        }),
      "leads.syntax",
      "leads.csv: line 4: a quoted field opens here and is not closed on its line",
    ],
    [
      "a WAV whose RIFF size field says 4",
      () => {
        const damaged = speechWav.slice();
        new DataView(damaged.buffer).setUint32(4, 4, true);
        return writeHandmadePackage(dir, "riff.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": damaged } });
      },
      "audio.not_wav",
      "audio/greeting/maria.wav is a file whose RIFF header declares 12 bytes although the file has",
    ],
  ];

  test.each(cases)("%s", async (_name, build, code, message) => {
    const report = await importPackage(edge, build());
    expect(report.outcome).toBe("rejected");
    expect(report.problems.map((problem) => problem.code)).toContain(code);
    expect(report.problems.find((problem) => problem.code === code)!.message).toContain(message);

    // Still served: the good campaign, in memory and on disk; nothing of the refused one is left.
    expect(edge.runtime.deployment.served.current().active!.importId).toBe(goodImportId);
    const answer = await lookup(7001);
    expect(answer.body.campaign).toEqual({ id: "GOOD", name: "Handmade GOOD", import_id: goodImportId });
    const audio = await edge.fetch(new Request(answer.body.audio_url), loopback);
    expect(audio.status).toBe(200);
    expect(audio.headers.get("x-audio-fallback")).toBeNull();
    expect(campaignDirectories()).toEqual([String(goodImportId)]);
    expect(await storedRows(report.import_id)).toBe(0);
    expect(await edge.runtime.importer.imports.findImport(report.import_id)).toMatchObject({ state: "failed", errorCode: report.problems[0]!.code, errorMessage: expect.stringContaining("nothing changed") });
  });

  test("every problem of a package is reported at once, with row and column", async () => {
    const leads = `lead_id,phone_number,vendor_lead_code,audio_greeting\r\n1,5125550100,V1,greeting/maria\r\nx,5125550101,V2,greeting/maria\r\n3,12,V1,greeting/maria\r\n`;
    const report = await importPackage(edge, writeHandmadePackage(dir, "many.zip", { leads, audio: { "audio/greeting/maria.wav": speechWav } }));
    // The lead id joins a row's problems once it could be read (row 2's is the broken one).
    expect(report.problems.map((problem) => [problem.code, problem.row, problem.column, problem.lead_id])).toEqual([
      ["leads.invalid_field", 2, "lead_id", undefined],
      ["leads.invalid_field", 3, "phone_number", 3],
    ]);
    expect(report.problem_count).toBe(2);
  });
});

describe("deployments, rollback and history", () => {
  const deploy = async (campaignId: string, leads = goodLeads) => {
    const report = await importPackage(edge, writeHandmadePackage(dir, `${campaignId}.zip`, { campaignId, leads, audio: { "audio/greeting/maria.wav": speechWav } }));
    expect(report.outcome).toBe("deployed");
    return report.import_id;
  };

  test("each import keeps the one before for rollback and retires the one before that, files and rows included", async () => {
    const first = await deploy("FIRST");
    const second = await deploy("SECOND");
    expect(edge.runtime.deployment.served.current()).toMatchObject({ active: { importId: second }, previousImportId: first });
    expect(campaignDirectories()).toEqual([String(first), String(second)].sort());
    // Audio URLs handed out just before the switch still play.
    const oldAudio = await edge.fetch(new Request(`http://127.0.0.1:8001/audio/${first}/greeting/maria.wav`), loopback);
    expect(oldAudio.headers.get("x-audio-fallback")).toBeNull();

    const third = await deploy("THIRD");
    expect(campaignDirectories()).toEqual([String(second), String(third)].sort());
    expect(await storedRows(first)).toBe(0);
    expect(await edge.runtime.importer.imports.findImport(first)).toMatchObject({ state: "retired", report: { outcome: "deployed" } });
    const history = await edge.runtime.importer.imports.listImports({ limit: 10 });
    expect(history.map((record) => [record.id, record.state])).toEqual([
      [third, "active"],
      [second, "previous"],
      [first, "retired"],
    ]);
  });

  test("rollback serves the previous campaign again, and can be undone", async () => {
    const first = await deploy("FIRST");
    const second = await deploy("SECOND", "lead_id,phone_number,audio_greeting\n8001,5125550111,greeting/maria\n");
    expect((await lookup(7001)).status).toBe(404);
    expect(await edge.runtime.deployment.rollback()).toMatchObject({ activeImportId: first, previousImportId: second });
    expect((await lookup(7001)).body.campaign.id).toBe("FIRST");
    expect((await lookup(8001)).status).toBe(404);
    await edge.runtime.deployment.rollback();
    expect((await lookup(8001)).body.campaign.id).toBe("SECOND");
  });

  test("rollback without a previous campaign is refused", async () => {
    await expect(edge.runtime.deployment.rollback()).rejects.toMatchObject({ code: "campaign.no_previous", status: 409 });
    await deploy("ONLY");
    await expect(edge.runtime.deployment.rollback()).rejects.toMatchObject({ code: "campaign.no_previous" });
  });

  test("the deployed campaign survives a restart: a new process serves it from the database", async () => {
    const id = await deploy("DURABLE");
    const stopRestarted = new AbortController();
    const restarted = await buildEdgeDeps(edge.config, edge.database, edge.runtime.clock, { logger: edge.runtime.logger, metrics: new MetricsRegistry(), serve: { signal: stopRestarted.signal, callSync: false } });
    stopRestarted.abort();
    expect(restarted.deployment.served.current().active).toMatchObject({ importId: id, campaignId: "DURABLE" });
    const restartedLeads = restarted.deployment.served.current().active!.leads;
    expect(restartedLeads.at(restartedLeads.findLeadId(7002)).fields.first_name).toBe("James");
  });

  test("a campaign switched by another process (edge import) is picked up by the running one", async () => {
    const other = await buildEdgeDeps(edge.config, edge.database, edge.runtime.clock, { logger: edge.runtime.logger, metrics: new MetricsRegistry() });
    const run = await beginImport(other.importer, { source: "cli", fileName: "other.zip", operator: null });
    const report = await importPackageFile(other.importer, run, writeHandmadePackage(dir, "other.zip", { campaignId: "OTHER", leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav } }));
    expect(report).toMatchObject({ outcome: "deployed", replaced_import_id: null });
    // The command only switched the database; the running edge's watcher loads the campaign.
    expect(other.deployment.served.current().active).toBeNull();
    await waitUntil("the running edge to serve OTHER", () => edge.runtime.deployment.served.current().active?.campaignId === "OTHER");
    expect((await lookup(7001)).body.campaign.id).toBe("OTHER");
    expect(await edge.runtime.deployment.reloadIfChanged()).toBe(false);
  });
});

describe("the import lock", () => {
  test("one import at a time: a second is refused while the first runs, and allowed after", async () => {
    const running = await beginImport(edge.runtime.importer, { source: "upload", fileName: "first.zip", operator: "olga" });
    await expect(beginImport(edge.runtime.importer, { source: "cli", fileName: "second.zip", operator: null })).rejects.toMatchObject({
      code: "import.busy",
      status: 409,
      message: expect.stringContaining(`import ${running.id} (upload of first.zip by olga`),
    });
    const report = await importPackageFile(edge.runtime.importer, running, writeHandmadePackage(dir, "first.zip", { leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav } }));
    expect(report.outcome).toBe("deployed");
    const next = await beginImport(edge.runtime.importer, { source: "cli", fileName: "second.zip", operator: null });
    next.stop();
  });

  test("a lock left by a process that died is cleared at start, its staged files and upload removed", async () => {
    const now = Date.now();
    const inserted = await edge.database.client.execute({
      sql: "INSERT INTO campaign_imports (state, phase, source, file_name, started_at, lease_owner, lease_expires_at) VALUES ('running', 'audio', 'cli', 'crashed.zip', ?, 'elsewhere/1/x', ?) RETURNING id",
      args: [now - 120_000, now - 60_000],
    });
    const crashedId = Number(inserted.rows[0]!.id);
    const staged = `${edge.config.audioStoragePath}/${crashedId}/greeting`;
    await Bun.write(`${staged}/half.wav`, "partial");
    await Bun.write(`${edge.runtime.importer.uploadDirectory}/import-${crashedId}.zip`, "half an upload");
    await recoverInterruptedImports(edge.runtime.importer);
    expect(await edge.runtime.importer.imports.findImport(crashedId)).toMatchObject({ state: "failed", errorCode: "import.interrupted" });
    expect(existsSync(staged)).toBe(false);
    expect(readdirSync(edge.runtime.importer.uploadDirectory)).toEqual([]);
    const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "next.zip", operator: null });
    run.stop();
  });

  test("a new import takes over a lock whose holder stopped renewing it", async () => {
    const now = Date.now();
    const stale = await edge.database.client.execute({
      sql: "INSERT INTO campaign_imports (state, phase, source, file_name, started_at, lease_owner, lease_expires_at) VALUES ('running', 'leads', 'upload', 'stuck.zip', ?, 'elsewhere/2/y', ?) RETURNING id",
      args: [now - 300_000, now - 1],
    });
    const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "next.zip", operator: null });
    run.stop();
    expect(await edge.runtime.importer.imports.findImport(Number(stale.rows[0]!.id))).toMatchObject({ state: "failed", errorCode: "import.interrupted" });
    expect(run.id).toBeGreaterThan(Number(stale.rows[0]!.id));
  });

  test("an `edge import` killed mid-import is cleared by the serving edge at once: rows, staging folder and lock, the served campaign untouched", async () => {
    const good = await importPackage(edge, writeHandmadePackage(dir, "good.zip", { campaignId: "GOOD", leads: goodLeads, audio: { "audio/greeting/maria.wav": speechWav } }));
    const generated = await buildTestPackage(dir, "killed.zip", { leads: 4000, audioFiles: 400, campaignId: "KILLED" });
    const child = spawnProcess(process.execPath, [join(import.meta.dir, "../main.ts"), "import", generated.path], {
      env: { PATH: process.env.PATH, HOME: dir.path, TMPDIR: dir.path, DATA_DIR: edge.config.dataDir, DATABASE_URL: edge.database.url, LOG_LEVEL: "error" },
    });
    let killedId = 0;
    try {
      await waitUntil("the command to stage audio", async () => {
        const running = await edge.runtime.importer.imports.findRunningImport();
        if (running?.phase !== "audio" || !existsSync(`${edge.config.audioStoragePath}/${running.id}`)) return false;
        killedId = running.id;
        return true;
      }, 60_000, 5);
    } finally {
      child.kill("SIGKILL");
    }
    expect(await child.exited).toBe(137);
    expect(await storedRows(killedId)).toBeGreaterThan(0);
    // No new import starts: the running edge's watcher finds the holder gone and clears what it left.
    await waitUntil("the killed import to be cleared", async () => (await edge.runtime.importer.imports.findImport(killedId))?.state === "failed");
    expect(await edge.runtime.importer.imports.findImport(killedId)).toMatchObject({ state: "failed", errorCode: "import.interrupted", leaseOwner: null });
    await waitUntil("its staged rows and files to be removed", async () => (await storedRows(killedId)) === 0 && !campaignDirectories().includes(String(killedId)));
    expect(campaignDirectories()).toEqual([String(good.import_id)]);
    expect((await lookup(7001)).body.campaign).toMatchObject({ id: "GOOD", import_id: good.import_id });
  });

  test("an import whose holder elsewhere stopped renewing its lease is cleared by the serving edge once the lease runs out", async () => {
    const now = Date.now();
    const inserted = await edge.database.client.execute({
      sql: "INSERT INTO campaign_imports (state, phase, source, file_name, started_at, lease_owner, lease_expires_at) VALUES ('running', 'audio', 'cli', 'far.zip', ?, 'other-host.example/4242/x', ?) RETURNING id",
      args: [now - 60_000, now + 1500],
    });
    const id = Number(inserted.rows[0]!.id);
    await Bun.write(`${edge.config.audioStoragePath}/${id}/greeting/half.wav`, "partial");
    await Bun.sleep(500);
    // Still within its lease: a holder on another host may be slow, not gone.
    expect(await edge.runtime.importer.imports.findImport(id)).toMatchObject({ state: "running" });
    await waitUntil("the expired import to be cleared", async () => (await edge.runtime.importer.imports.findImport(id))?.state === "failed");
    expect(await edge.runtime.importer.imports.findImport(id)).toMatchObject({ state: "failed", errorCode: "import.interrupted" });
    await waitUntil("its staging folder to be removed", () => !campaignDirectories().includes(String(id)));
  });

  test("an import interrupted by shutdown fails cleanly and changes nothing", async () => {
    const generated = await buildTestPackage(dir, "big.zip", { leads: 2000, audioFiles: 30, campaignId: "BIG" });
    const controller = new AbortController();
    const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "big.zip", operator: null, onProgress: (progress) => progress.phase === "audio" && controller.abort() });
    const report = await importPackageFile(edge.runtime.importer, run, generated.path, controller.signal);
    expect(report).toMatchObject({ outcome: "failed", problems: [{ code: "import.interrupted" }] });
    expect(edge.runtime.deployment.served.current().active).toBeNull();
    expect(campaignDirectories()).toEqual([]);
    expect(await storedRows(run.id)).toBe(0);
  });
});

/** Starts importing a 20,000-lead package and returns once its leads are being staged. */
async function startLargeImport() {
  const generated = await buildTestPackage(dir, "large.zip", { leads: 20_000, audioFiles: 10, campaignId: "LARGE" });
  let progress: ImportProgress | null = null;
  const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "large.zip", operator: null, onProgress: (current) => (progress = { ...current }) });
  const importing = importPackageFile(edge.runtime.importer, run, generated.path);
  await waitUntil("the leads to be staged", () => progress?.phase === "leads" && progress.leads_read > 0);
  return { generated, run, importing };
}

describe("the staging process", () => {
  test("a package is checked and staged in a process of its own: staging goes on while the serving thread is busy", async () => {
    const { importing } = await startLargeImport();
    // This thread now runs nothing but this loop: only another process can still write staged leads.
    // A write moves the WAL's modification time; its size need not change: past 1,000 pages a
    // checkpoint starts the log over from its beginning.
    const wal = `${edge.database.filePath}-wal`;
    const lastWrite = () => statSync(wal, { bigint: true }).mtimeNs;
    const before = lastWrite();
    const deadline = Date.now() + 60_000;
    while (lastWrite() === before && Date.now() < deadline) {
      // busy, as a thread stuck in long work would be
    }
    expect(lastWrite()).toBeGreaterThan(before);
    expect((await importing).outcome).toBe("deployed");
  });

  test("it is a child process whose every thread runs at a lower priority and off the first CPU; it leaves no process and no file behind", async () => {
    const cpus = allowedCpus(process.pid)!;
    const { run, importing } = await startLargeImport();
    const [staging] = stagingProcesses();
    expect(staging).toBeDefined();
    expect(new Set(threadNices(staging!))).toEqual(new Set([Math.max(threadNices(process.pid)[0]!, 10)]));
    expect(threadNices(process.pid)[0]).not.toBe(10);
    // The serving thread woken by a lookup finds a CPU the import never runs on (with one CPU, they share it).
    expect(new Set(threadCpus(staging!).map(String))).toEqual(new Set([String(cpus.length >= 2 ? cpus.slice(1) : cpus)]));
    expect(allowedCpus(process.pid)).toEqual(cpus);
    expect((await importing).outcome).toBe("deployed");
    await waitUntil("the staging process to exit", () => !existsSync(`/proc/${staging}`));
    expect(stagingProcesses()).toEqual([]);
    // The lead table came over as a file in the import's directory, read and removed at the switch.
    expect(readdirSync(importAudioDirectory(edge.runtime.importer.audioStoragePath, run.id)).filter((name) => name.startsWith("."))).toEqual([]);
    expect((await lookup(1001 + 19_999)).status).toBe(200);
  });

  test("a staging process that dies mid-import fails the import with its reason; nothing changes and the next import works", async () => {
    const first = await buildTestPackage(dir, "first.zip", { leads: 30, audioFiles: 3, campaignId: "FIRST" });
    expect((await importPackage(edge, first.path)).outcome).toBe("deployed");
    const { generated, run, importing } = await startLargeImport();
    process.kill(stagingProcesses()[0]!, "SIGKILL");
    const report = await importing;
    expect(report).toMatchObject({ outcome: "failed", problems: [{ code: "import.internal_error" }] });
    expect(report.problems[0]!.message).toContain("the staging process stopped (exit code 137)");
    expect(edge.runtime.deployment.served.current().active?.campaignId).toBe("FIRST");
    expect(await storedRows(run.id)).toBe(0);
    expect((await importPackage(edge, generated.path)).outcome).toBe("deployed");
    expect(edge.runtime.deployment.served.current().active?.campaignId).toBe("LARGE");
  });

  test("on a thread (the carrier under Deno) a package stages the same lead table, handed over by transfer", async () => {
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 3000, audioFiles: 40, campaignId: "SPRING" });
    const onThread = { ...edge.runtime.importer, stagingCarrier: "worker" as const };
    const run = await beginImport(onThread, { source: "cli", fileName: "spring.zip", operator: null });
    expect((await importPackageFile(onThread, run, generated.path)).outcome).toBe("deployed");
    expect(stagingProcesses()).toEqual([]);
    const switched = edge.runtime.deployment.served.current().active!;
    await edge.runtime.deployment.load();
    expect(switched.leads.parts).toEqual(edge.runtime.deployment.served.current().active!.leads.parts);
  });

  test("a reload reads the served campaign's leads in a staging process: the table this thread would read, and no file left behind", async () => {
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 3000, audioFiles: 12, campaignId: "SPRING" });
    const report = await importPackage(edge, generated.path);
    expect(report.outcome).toBe("deployed");
    const aside = await readLeadTableAside(edge.runtime.importer, report.import_id, 3000);
    expect(aside).not.toBeNull();
    const here = await readLeadTableParts({ campaigns: createCampaignsRepository(edge.database.db) }, report.import_id, 0);
    expect(aside!.parts).toEqual(here);
    expect(readdirSync(importAudioDirectory(edge.runtime.importer.audioStoragePath, report.import_id)).filter((name) => name.startsWith("."))).toEqual([]);
    await waitUntil("the staging process to exit", () => stagingProcesses().length === 0);
    // The serving edge's own reload (start, rollback, a switch by `edge import`) goes the same way.
    await edge.runtime.deployment.load();
    expect((await lookup(1001 + 2999)).body).toMatchObject({ lead_id: 1001 + 2999, campaign: { id: "SPRING" } });
  });

  test("when no staging process can read the leads, the serving thread does, and the log says why", async () => {
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 50, audioFiles: 4, campaignId: "SPRING" });
    const report = await importPackage(edge, generated.path);
    writeFileSync(dir.join("not-a-directory"), "");
    const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
    const logger = { ...edge.runtime.importer.logger, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }) };
    const broken = { ...edge.runtime.importer, logger, stagingDatabase: { url: `file:${dir.join("not-a-directory")}/edge.db` } };
    expect(await readLeadTableAside(broken, report.import_id, 50)).toBeNull();
    expect(warnings).toMatchObject([{ msg: "could not read the campaign's leads in a staging process; reading them on the serving thread", fields: { importId: report.import_id } }]);
    expect(String((warnings[0]!.fields!.error as Error).message)).toContain("not-a-directory");
    await waitUntil("the staging process to exit", () => stagingProcesses().length === 0);
  });

    test("the snapshot built from the staged leads is the one the database holds", async () => {
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 3000, audioFiles: 40, campaignId: "SPRING", format: "sql" });
    const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "spring.zip", operator: null });
    expect((await importPackageFile(edge.runtime.importer, run, generated.path)).outcome).toBe("deployed");
    const switched = edge.runtime.deployment.served.current().active!;
    await edge.runtime.deployment.load();
    const reloaded = edge.runtime.deployment.served.current().active!;
    expect(reloaded).not.toBe(switched);
    expect(switched.leads.length).toBe(3000);
    // Built on the staging thread and handed over, or read back here: the same bytes, the same tables.
    expect(switched.leads.parts).toEqual(reloaded.leads.parts);
    expect(switched.audioSlots).toEqual(reloaded.audioSlots);
    const lead = switched.leads.at(2999);
    expect(lead).toEqual(reloaded.leads.at(2999));
    expect(switched.leads.findLeadId(lead.leadId)).toBe(2999);
    expect(Object.isFrozen(lead) && Object.isFrozen(lead.fields) && Object.isFrozen(lead.audio)).toBe(true);
  });

    test("a staging process that cannot open the database fails the import with its reason; nothing changes", async () => {
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 50, audioFiles: 4, campaignId: "SPRING" });
    writeFileSync(dir.join("not-a-directory"), "");
    const importer = { ...edge.runtime.importer, stagingDatabase: { url: `file:${dir.join("not-a-directory")}/edge.db` } };
    const run = await beginImport(importer, { source: "cli", fileName: "spring.zip", operator: null });
    const report = await importPackageFile(importer, run, generated.path);
    expect(report).toMatchObject({ outcome: "failed", problems: [{ code: "import.internal_error" }] });
    expect(report.problems[0]!.message).toContain("not-a-directory");
    expect(await edge.runtime.importer.imports.findImport(run.id)).toMatchObject({ state: "failed", errorCode: "import.internal_error" });
    expect(edge.runtime.deployment.served.current().active).toBeNull();
  });
});
