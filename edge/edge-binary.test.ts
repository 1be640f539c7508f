/**
 * The compiled edge, run the way an operator runs it on the VICIdial server: `operator add`,
 * `import`, `campaigns`, `rollback` beside a running `serve`, which picks every switch up by itself.
 * Build it first: npm run build.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { binaryPath } from "../scripts/build.ts";
import { runCommand } from "../shared/runtime/process.ts";
import { processesRunning } from "../shared/testing/linux-processes.ts";
import { type RunningNodeProcess, startNodeProcess } from "../shared/testing/node-process.ts";
import { stagingProcessCommand } from "./importer/package-staging-helper.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { buildTestPackage, testOperator } from "./testing/edge-test-kit.ts";


let dir: TempDir;
let binary: string;
let env: Record<string, string>;
let server: RunningNodeProcess;

beforeAll(async () => {
  const source = binaryPath("edge", "x64");
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
  dir = makeTempDir("salescontrol-edge-binary-");
  binary = dir.join("salescontrol-edge");
  copyFileSync(source, binary);
  mkdirSync(dir.join("tmp"));
  env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8", HOST: "127.0.0.1", PORT: "0" };
  server = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
});
afterAll(async () => {
  if (server) expect(await server.stop("SIGTERM")).toBe(0);
  dir?.remove();
});

/** Processes of the binary started with its hidden staging command. */
const stagingProcesses = (): number[] => processesRunning((argument) => argument === stagingProcessCommand);

const edge = (args: string[]) => runCommand(binary, args, { cwd: dir.path, env });

async function servedCampaign(): Promise<string | null> {
  const response = await fetch(`${server.url}/api/v1/campaign`);
  return response.status === 200 ? ((await response.json()) as { id: string }).id : null;
}

async function waitForCampaign(id: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await servedCampaign()) === id) return;
    await Bun.sleep(25);
  }
  throw new Error(`the running edge never served ${id}`);
}

test("operator add, import, campaigns and rollback from the command line, picked up by the running edge", async () => {
  const added = await runCommand("sh", ["-c", `printf '%s\\n' '${testOperator.password}' | ./salescontrol-edge operator add ${testOperator.username}`], { cwd: dir.path, env });
  expect(added.stdout).toBe("operator olga added; sign in at /login\n");
  expect(added.code).toBe(0);

  const first = await buildTestPackage(dir, "first.zip", { leads: 400, audioFiles: 10, campaignId: "FIRST" });
  const imported = await edge(["import", first.path]);
  expect(imported.code).toBe(0);
  expect(imported.stdout).toStartWith('campaign FIRST "Demo campaign FIRST" deployed: 400 leads, 10 audio files');
  expect(imported.stderr).toContain("import 1: reading");
  await waitForCampaign("FIRST");

  const second = await buildTestPackage(dir, "second.zip", { leads: 50, audioFiles: 3, campaignId: "SECOND", format: "sql" });
  expect((await edge(["import", second.path])).stdout).toContain("replaced   import 1 (kept for: salescontrol-edge rollback)");
  await waitForCampaign("SECOND");

  const broken = await edge(["import", dir.join("first.zip.missing")]);
  expect(broken.code).toBe(2);
  const notZip = dir.join("notes.zip");
  await Bun.write(notZip, "these are not the packages you are looking for");
  const refused = await edge(["import", notZip]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain("package refused: not a zip archive; nothing changed");
  expect(await servedCampaign()).toBe("SECOND");

  const history = await edge(["campaigns"]);
  expect(history.code).toBe(0);
  const rows = history.stdout.trim().split("\n");
  expect(rows[0]).toMatch(/^import +state +campaign +leads +audio +started \(UTC\) +by +file +outcome$/);
  expect(rows.slice(1).map((row) => row.split(/ +/).slice(0, 3))).toEqual([
    ["3", "failed", "-"],
    ["2", "active", "SECOND"],
    ["1", "previous", "FIRST"],
  ]);

  const rolledBack = await edge(["rollback"]);
  expect(rolledBack.stdout).toContain('rolled back: import 1 (campaign FIRST "Demo campaign FIRST", 400 leads) is served again');
  await waitForCampaign("FIRST");

  // The embedded pages and the operator login work in the standalone binary.
  const login = await fetch(`${server.url}/operator/api/login`, { method: "POST", headers: { "content-type": "application/json", "x-requested-with": "salescontrol" }, body: JSON.stringify(testOperator) });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const dashboard = await fetch(`${server.url}/dashboard`, { headers: { cookie } });
  const page = await dashboard.text();
  expect(page).toContain('<a href="/dashboard" aria-current="page">Dashboard</a>');
  expect(page).toContain('<h1 id="campaign-title" tabindex="-1">');
  expect(page).toMatch(/<script type="module" nonce="[^"]+">.+\/operator\/api\/campaign/s);
  expect((await fetch(`${server.url}/favicon.svg`)).headers.get("content-type")).toBe("image/svg+xml");
  const importer = await fetch(`${server.url}/importer`, { headers: { cookie } });
  expect(await importer.text()).toContain("Upload and deploy");
  const health = (await (await fetch(`${server.url}/health`)).json()) as Record<string, any>;
  expect(health).toMatchObject({ status: "ok", campaign: { id: "FIRST", leads: 400, previous_import_id: 2 }, loops: [{ name: "campaign-watcher", consecutiveFailures: 0 }] });

  // An upload to the running binary is staged by the binary itself started with its hidden command,
  // which hands the lead table back as a file; the switch serves every lead of it.
  const uploadedPackage = await buildTestPackage(dir, "uploaded.zip", { leads: 2000, audioFiles: 5, campaignId: "UPLOADED" });
  const upload = await fetch(`${server.url}/operator/api/imports`, {
    method: "POST",
    headers: { cookie, "x-requested-with": "salescontrol", "content-type": "application/zip", "x-file-name": "uploaded.zip" },
    body: Bun.file(uploadedPackage.path),
  });
  expect(upload.status).toBe(202);
  const { status_url } = (await upload.json()) as { status_url: string };
  let state = "running";
  for (let attempt = 0; attempt < 400 && state === "running"; attempt++) {
    await Bun.sleep(50);
    state = ((await (await fetch(`${server.url}${status_url}`, { headers: { cookie } })).json()) as { state: string }).state;
  }
  expect(state).toBe("active");
  expect(await servedCampaign()).toBe("UPLOADED");
  const lastLead = (await (await fetch(`${server.url}/api/v1/leads/${1000 + 2000}`)).json()) as { lead_id: number; campaign: { id: string } };
  expect(lastLead).toMatchObject({ lead_id: 3000, campaign: { id: "UPLOADED" } });
  // It ends once the import has cleaned up after the switch.
  let staging = "";
  for (let attempt = 0; attempt < 100; attempt++) {
    staging = stagingProcesses().join(" ");
    if (staging === "") break;
    await Bun.sleep(50);
  }
  expect(staging).toBe("");
});
