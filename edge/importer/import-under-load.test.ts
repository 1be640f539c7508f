import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, signInAsOperator } from "../testing/edge-test-kit.ts";

let dir: TempDir;
let edge: EdgeTestEnvironment;
let server: RunningHttpServer;

beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment();
  server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server.stop();
  await edge.dispose();
  dir.remove();
});

interface Answer {
  campaign: string;
  startedAt: number;
  endedAt: number;
}

test("while a large import runs, lookups see no errors and only the old campaign until the switch, then only the new one", async () => {
  const old = await buildTestPackage(dir, "old.zip", { leads: 500, audioFiles: 10, campaignId: "OLD" });
  expect((await importPackage(edge, old.path)).outcome).toBe("deployed");
  const large = new Uint8Array(readFileSync((await buildTestPackage(dir, "new.zip", { leads: 25_000, audioFiles: 200, campaignId: "NEW", format: "sql" })).path));
  const cookie = await signInAsOperator(edge);

  const answers: Answer[][] = [];
  const failures: string[] = [];
  let hammering = true;
  const worker = async (index: number) => {
    const seen: Answer[] = [];
    answers[index] = seen;
    let leadId = 1001 + index;
    while (hammering) {
      leadId = 1001 + ((leadId * 7919) % 500);
      const startedAt = Date.now();
      try {
        const response = await fetch(`${server.url}/api/v1/leads/${leadId}`);
        if (response.status !== 200) failures.push(`lookup ${leadId}: ${response.status} ${await response.text()}`);
        const lead = (await response.json()) as { campaign: { id: string }; audio_url: string };
        const audio = await fetch(lead.audio_url.replace("http://127.0.0.1:8001", server.url));
        if (audio.status !== 200 || audio.headers.get("x-audio-fallback")) failures.push(`audio ${lead.audio_url}: ${audio.status} ${audio.headers.get("x-audio-fallback")}`);
        await audio.arrayBuffer();
        seen.push({ campaign: lead.campaign.id, startedAt, endedAt: Date.now() });
      } catch (error) {
        failures.push(`lookup ${leadId}: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: 6 }, (_, index) => worker(index));

  const uploadStarted = Date.now();
  const started = (await (await fetch(`${server.url}/operator/api/imports`, { method: "POST", headers: { cookie, "x-requested-with": "salescontrol" }, body: large })).json()) as { import_id: number };
  await edge.runtime.background.idle();
  const deployedAt = Date.now();
  const record = (await (await fetch(`${server.url}/operator/api/imports/${started.import_id}`, { headers: { cookie } })).json()) as { state: string; activated_at: string; report: { leads: { valid: number } } };
  expect(record).toMatchObject({ state: "active", report: { leads: { valid: 25_000 } } });
  // activated_at is taken as the switch begins; the database and then the snapshot switch after it, never before.
  const activatedAt = Date.parse(record.activated_at);
  // Keep asking a little longer, so that answers after the switch are seen too.
  const afterSwitch = () => answers.flat().filter((answer) => answer.startedAt > deployedAt).length;
  while (afterSwitch() < 60) await Bun.sleep(5);
  hammering = false;
  await Promise.all(workers);

  expect(failures).toEqual([]);
  const all = answers.flat();
  const duringImport = all.filter((answer) => answer.startedAt > uploadStarted && answer.endedAt < activatedAt);
  expect(duringImport.length).toBeGreaterThan(20);
  expect(new Set(duringImport.map((answer) => answer.campaign))).toEqual(new Set(["OLD"]));
  expect(new Set(all.filter((answer) => answer.startedAt > deployedAt).map((answer) => answer.campaign))).toEqual(new Set(["NEW"]));
  // Never back: once any answer said NEW, no request started afterwards was answered from OLD.
  const firstNewEnd = Math.min(...all.filter((answer) => answer.campaign === "NEW").map((answer) => answer.endedAt));
  expect(all.filter((answer) => answer.campaign === "OLD" && answer.startedAt > firstNewEnd)).toEqual([]);
  for (const seen of answers) {
    const firstNew = seen.findIndex((answer) => answer.campaign === "NEW");
    expect(firstNew).toBeGreaterThan(-1);
    expect(seen.slice(firstNew).every((answer) => answer.campaign === "NEW")).toBe(true);
  }
});
