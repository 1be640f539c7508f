/**
 * The edge from source under Deno 2 (`deno run` with the README's permissions) on a fresh data
 * directory: an operator added from the command line uploads a campaign package over HTTP, and the
 * dialer's lead lookups and audio requests are answered from it; `sync --once` ships VICIdial's
 * call results from a private MariaDB to a core.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { asteriskWav, inspectWavHeader } from "../shared/audio/wav-format.ts";
import { runCommand } from "../shared/runtime/process.ts";
import { denoEnv, denoExecutable, denoNodeArgs, startDenoNode } from "../shared/testing/deno-node.ts";
import type { RunningNodeProcess } from "../shared/testing/node-process.ts";
import { startMariaDb } from "../shared/testing/mariadb-server.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { expectSyncShipsVicidialCalls, startCoreProcess } from "./sync/sync.testing.ts";
import { buildTestPackage, testOperator } from "./testing/edge-test-kit.ts";

let dir: TempDir;
let edge: RunningNodeProcess;
let env: Record<string, string>;
let paths: { dataDir: string; workDir: string };

beforeAll(async () => {
  dir = makeTempDir("salescontrol-edge-deno-");
  mkdirSync(dir.join("tmp"));
  paths = { dataDir: dir.join("data"), workDir: dir.path };
  env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8", HOST: "127.0.0.1", PORT: "0", DATA_DIR: paths.dataDir };
});
afterAll(async () => {
  if (edge) edge.child.kill("SIGKILL");
  dir?.remove();
});

const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

describe("edge under Deno", () => {
  test("operator add from the command line, then a package uploaded, its leads and audio served; SIGTERM exits 0", async () => {
    const command = [denoExecutable, ...denoNodeArgs("edge", ["operator", "add", testOperator.username], paths)].map(shellQuote).join(" ");
    const added = await runCommand("sh", ["-c", `printf '%s\\n' ${shellQuote(testOperator.password)} | ${command}`], { cwd: dir.path, env: denoEnv(env) });
    expect(added.stdout).toBe("operator olga added; sign in at /login\n");
    expect(added.code).toBe(0);

    edge = await startDenoNode("edge", ["serve"], { env, ...paths });
    const generated = await buildTestPackage(dir, "spring.zip", { leads: 120, audioFiles: 8, campaignId: "DENO" });
    const packageBytes = new Uint8Array(readFileSync(generated.path));

    const login = await fetch(`${edge.url}/operator/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-with": "salescontrol" },
      body: JSON.stringify(testOperator),
    });
    expect(login.status).toBe(200);
    const cookie = /salescontrol_edge_session=[^;]+/.exec(login.headers.get("set-cookie") ?? "")![0];
    const uploadHeaders = { cookie, "x-requested-with": "salescontrol", "content-type": "application/zip", "x-file-name": "spring.zip" };

    // Security first: no session, no upload; nothing is imported.
    const anonymous = await fetch(`${edge.url}/operator/api/imports`, { method: "POST", headers: { ...uploadHeaders, cookie: "" }, body: packageBytes });
    expect(anonymous.status).toBe(401);

    const uploaded = await fetch(`${edge.url}/operator/api/imports`, { method: "POST", headers: uploadHeaders, body: packageBytes });
    expect(uploaded.status).toBe(202);
    const { import_id } = (await uploaded.json()) as { import_id: number };
    let record: Record<string, any> = {};
    for (let attempt = 0; attempt < 600 && record.state !== "active" && record.state !== "failed"; attempt++) {
      await Bun.sleep(50);
      record = (await (await fetch(`${edge.url}/operator/api/imports/${import_id}`, { headers: { cookie } })).json()) as Record<string, any>;
    }
    expect(record).toMatchObject({ state: "active", campaign_id: "DENO", lead_count: 120, package_bytes: packageBytes.length, report: { outcome: "deployed" } });

    const leadId = generated.leadIds[7]!;
    const lead = await fetch(`${edge.url}/api/v1/leads/${leadId}`);
    expect(lead.status).toBe(200);
    const answer = (await lead.json()) as Record<string, unknown>;
    const audioUrl = String(answer.audio_url);
    expect(answer).toMatchObject({ lead_id: leadId, campaign: { id: "DENO", import_id } });
    expect(audioUrl).toStartWith(`${edge.url}/audio/${import_id}/`);

    const audio = await fetch(audioUrl);
    expect(audio.status).toBe(200);
    expect(audio.headers.get("content-type")).toBe("audio/wav");
    const wav = new Uint8Array(await audio.arrayBuffer());
    expect(inspectWavHeader(wav, wav.length)).toMatchObject({ status: "ok", format: asteriskWav });

    const missing = await fetch(`${edge.url}/api/v1/leads/999999999`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("lead.not_found");

    expect(await edge.stop("SIGTERM")).toBe(0);
    expect(edge.logLines().some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });

  test("sync --once reads vicidial_log through mysql2 and the core stores every call, a changed one updated", async () => {
    const mariadb = await startMariaDb();
    const syncDir = makeTempDir("salescontrol-edge-sync-deno-");
    const core = await startCoreProcess(syncDir);
    try {
      const dataDir = syncDir.join("edge-data");
      const runSync = (settings: Record<string, string>) =>
        runCommand(denoExecutable, denoNodeArgs("edge", ["sync", "--once"], { dataDir, workDir: syncDir.path }), { cwd: syncDir.path, env: denoEnv({ ...env, DATA_DIR: dataDir, ...settings }) });
      await expectSyncShipsVicidialCalls({ mariadb, core, dir: syncDir, runSync, expect });
    } finally {
      await core.stop();
      await mariadb.stop();
      syncDir.remove();
    }
  });
});
