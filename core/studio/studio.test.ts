import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { strFromU8, unzipSync } from "fflate";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { createTestCore, type TestCore, testAdminToken, testInternalToken } from "../testing/core-test-app.ts";
import { startTestPipeline, startTickingClock, startWorkerProcess, waitFor } from "../testing/pipeline-test-kit.ts";

const leadsCsv = "lead_id,vendor_lead_code,phone_number,first_name,city\r\n3001,A-1,+1 512 555 0100,Maria,Austin\r\n3002,A-2,+1 512 555 0101,James,Dallas\r\n";
const script = { greeting: "Hello {first_name}.", offer: "Fibre costs forty nine dollars." };

let core: TestCore;
beforeEach(async () => {
  core = await createTestCore();
});
afterEach(() => core.dispose());

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as any });
const call = (method: string, path: string, body?: unknown) => core.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then(json);
const putLeads = (id: string, csv: string, type = "text/csv") => core.admin(`/api/v1/studio/campaigns/${id}/leads`, { method: "PUT", body: csv, headers: { "content-type": type } }).then(json);
const anonymous = async (method: string, path: string, headers: Record<string, string> = {}) => json(await core.app.request(path, { method, headers }, { remoteAddress: "198.51.100.20" }));

async function preparedCampaign(id = "SPRING") {
  expect((await call("POST", "/api/v1/studio/campaigns", { id, name: "Spring offer", language: "en" })).status).toBe(201);
  expect(await putLeads(id, leadsCsv)).toEqual({ status: 200, body: { leads: 2, columns: ["lead_id", "vendor_lead_code", "phone_number", "first_name", "city"] } });
  expect((await call("PUT", `/api/v1/studio/campaigns/${id}/script`, { slots: script })).status).toBe(200);
}

describe("studio API", () => {
  test("creates a campaign, takes leads and a script, generates with espeak-ng and downloads the package", async () => {
    await preparedCampaign();
    const queued = await call("POST", "/api/v1/studio/campaigns/SPRING/generate");
    expect(queued).toMatchObject({ status: 202, body: { state: "generating", progress: { leads_total: 2, leads_done: 0, leads_failed: 0 } } });
    expect((await call("GET", "/api/v1/studio/campaigns/SPRING/package")).body.error.code).toBe("studio.campaign_not_ready");

    const pipeline = startTestPipeline(core, { vad: false });
    try {
      const ready = await waitFor("the campaign to be ready", async () => {
        const { body } = await call("GET", "/api/v1/studio/campaigns/SPRING");
        return body.state === "ready" ? body : null;
      });
      expect(ready).toMatchObject({ id: "SPRING", language: "en", slots: script, progress: { leads_total: 2, leads_done: 2, leads_failed: 0, failures: [] } });
    } finally {
      await pipeline.stop();
    }

    const download = await core.admin("/api/v1/studio/campaigns/SPRING/package");
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await download.arrayBuffer()));
    // Two personal greetings and one offer shared by both leads.
    expect(Object.keys(files).filter((name) => name.endsWith(".wav"))).toHaveLength(3);
    const rows = strFromU8(files["leads.csv"]!).trim().split("\r\n");
    expect(rows[0]).toBe("lead_id,phone_number,vendor_lead_code,first_name,city,audio_greeting,audio_offer");
    expect(rows.slice(1).map((row) => row.split(",").slice(0, 4))).toEqual([
      ["3001", "15125550100", "A-1", "Maria"],
      ["3002", "15125550101", "A-2", "James"],
    ]);
    expect(JSON.parse(strFromU8(files["manifest.json"]!))).toMatchObject({ campaign: { id: "SPRING", name: "Spring offer" }, lead_count: 2 });
  }, 120_000);

  test("`core worker --role tts` on another host speaks the leads; the core keeps the clips it sends back", async () => {
    await preparedCampaign("REMOTE");
    const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    try {
      const worker = await startWorkerProcess({ coreUrl: server.url, token: testInternalToken, roles: "tts" });
      try {
        await call("POST", "/api/v1/studio/campaigns/REMOTE/generate");
        const ready = await waitFor("the campaign to be ready", async () => {
          const { body } = await call("GET", "/api/v1/studio/campaigns/REMOTE");
          return body.state === "ready" ? body : null;
        });
        expect(ready.progress).toMatchObject({ leads_total: 2, leads_done: 2, leads_failed: 0 });
      } finally {
        expect(await worker.stop()).toBe(0);
      }
    } finally {
      server.forceStop();
    }
    const download = await core.admin("/api/v1/studio/campaigns/REMOTE/package");
    expect(download.status).toBe(200);
    const files = unzipSync(new Uint8Array(await download.arrayBuffer()));
    const clips = Object.entries(files).filter(([name]) => name.endsWith(".wav"));
    expect(clips).toHaveLength(3);
    for (const [, wav] of clips) expect(strFromU8(wav.subarray(0, 4))).toBe("RIFF");
  }, 120_000);

  test("a lead missing a field the script needs fails with the reason; the campaign ends failed and exports nothing", async () => {
    await call("POST", "/api/v1/studio/campaigns", { id: "GAPS", name: "Gaps", language: "en" });
    await putLeads("GAPS", "lead_id,phone_number,first_name\r\n1,5125550100,Maria\r\n2,5125550101,\r\n");
    await call("PUT", "/api/v1/studio/campaigns/GAPS/script", { slots: { greeting: "Hello {first_name}." } });
    await call("POST", "/api/v1/studio/campaigns/GAPS/generate");
    const pipeline = startTestPipeline(core, { vad: false });
    try {
      const failed = await waitFor("the campaign to settle", async () => {
        const { body } = await call("GET", "/api/v1/studio/campaigns/GAPS");
        return body.state === "failed" ? body : null;
      });
      expect(failed.progress).toMatchObject({ leads_total: 2, leads_done: 1, leads_failed: 1 });
      expect(failed.progress.failures).toHaveLength(1);
      expect(failed.progress.failures[0].lead_id).toBe(2);
      expect(failed.progress.failures[0].reason).toContain("first_name");
    } finally {
      await pipeline.stop();
    }
    expect((await call("GET", "/api/v1/studio/campaigns/GAPS/package")).body.error.code).toBe("studio.campaign_not_ready");
  }, 120_000);

  test("a speech server that keeps failing: retried with backoff, then the lead is dead with the reason", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("overloaded", { status: 503 }) });
    core.dispose();
    core = await createTestCore({ TTS_BASE_URL: `http://127.0.0.1:${server.port}/v1`, TTS_TIMEOUT_SECONDS: "5" });
    const ticking = startTickingClock(core.clock, 50);
    try {
      await call("POST", "/api/v1/studio/campaigns", { id: "DOWN", name: "Down", language: "en" });
      await putLeads("DOWN", "lead_id,phone_number,first_name\r\n1,5125550100,Maria\r\n");
      await call("PUT", "/api/v1/studio/campaigns/DOWN/script", { slots: { greeting: "Hello {first_name}." } });
      await call("POST", "/api/v1/studio/campaigns/DOWN/generate");
      const pipeline = startTestPipeline(core, { vad: false });
      try {
        const failed = await waitFor("the lead to be dead", async () => {
          const { body } = await call("GET", "/api/v1/studio/campaigns/DOWN");
          return body.state === "failed" ? body : null;
        });
        expect(failed.progress.failures[0].reason).toStartWith("tts.server_error");
        const dead = await core.deps.stages.find((stage) => stage.queue === "tts")!.createQueue(core.deps.db, core.clock).listDead("tts");
        expect(dead).toHaveLength(1);
        expect(dead[0]!.attempts).toBe(5);
      } finally {
        await pipeline.stop();
      }
    } finally {
      ticking.stop();
      server.stop(true);
    }
  }, 120_000);

  test("refuses bad input with precise codes and keeps what it had", async () => {
    expect((await call("POST", "/api/v1/studio/campaigns", { id: "../x", name: "X", language: "en" })).body.error.code).toBe("request.invalid");
    expect((await call("POST", "/api/v1/studio/campaigns", { id: "X", name: "X", language: "de" })).body.error.code).toBe("request.invalid");
    await preparedCampaign("KEEP");
    expect(await call("POST", "/api/v1/studio/campaigns", { id: "KEEP", name: "Again", language: "en" })).toMatchObject({ status: 409, body: { error: { code: "studio.campaign_exists" } } });
    expect((await call("GET", "/api/v1/studio/campaigns/NOPE")).body.error.code).toBe("studio.campaign_not_found");
    expect((await putLeads("NOPE", leadsCsv)).body.error.code).toBe("studio.campaign_not_found");

    const bad = await putLeads("KEEP", "lead_id,phone_number,first_name\r\n1,5125550100,Ann\r\nx,5125550101,Bob\r\n");
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("studio.leads_invalid");
    expect(bad.body.error.details.problems[0]).toMatchObject({ row: 2, column: "lead_id" });
    expect((await putLeads("KEEP", leadsCsv, "application/json")).status).toBe(415);
    // Nothing half-imported: the two earlier leads remain.
    expect((await call("GET", "/api/v1/studio/campaigns/KEEP")).body.progress.leads_total).toBe(2);

    const typo = await call("PUT", "/api/v1/studio/campaigns/KEEP/script", { slots: { greeting: "Hello {frist_name}" } });
    expect(typo).toMatchObject({ status: 422, body: { error: { code: "studio.script_invalid" } } });
    expect(typo.body.error.details.problems[0]).toMatchObject({ code: "script.unknown_field", field: "frist_name" });
    expect((await call("GET", "/api/v1/studio/campaigns/KEEP")).body.slots).toEqual(script);

    await call("POST", "/api/v1/studio/campaigns", { id: "EMPTY", name: "Empty", language: "ru" });
    expect((await call("POST", "/api/v1/studio/campaigns/EMPTY/generate")).body.error.code).toBe("studio.no_script");
    await call("PUT", "/api/v1/studio/campaigns/EMPTY/script", { slots: { greeting: "Здравствуйте!" } });
    expect((await call("POST", "/api/v1/studio/campaigns/EMPTY/generate")).body.error.code).toBe("studio.no_leads");
    expect((await call("GET", "/api/v1/studio/campaigns/EMPTY")).body.state).toBe("draft");

    expect((await call("POST", "/api/v1/studio/campaigns/KEEP/generate")).status).toBe(202);
    expect((await putLeads("KEEP", leadsCsv)).body.error.code).toBe("studio.campaign_generating");
    expect((await call("PUT", "/api/v1/studio/campaigns/KEEP/script", { slots: script })).body.error.code).toBe("studio.campaign_generating");
  });

  test("refuses callers without the admin token or a session", async () => {
    await preparedCampaign("SAFE");
    const paths: Array<[string, string]> = [
      ["POST", "/api/v1/studio/campaigns"],
      ["GET", "/api/v1/studio/campaigns/SAFE"],
      ["PUT", "/api/v1/studio/campaigns/SAFE/leads"],
      ["PUT", "/api/v1/studio/campaigns/SAFE/script"],
      ["POST", "/api/v1/studio/campaigns/SAFE/generate"],
      ["GET", "/api/v1/studio/campaigns/SAFE/package"],
    ];
    for (const [method, path] of paths) {
      expect((await anonymous(method, path)).body.error.code).toBe("auth.missing_token");
      expect((await anonymous(method, path, { authorization: `Bearer ${testAdminToken}x` })).body.error.code).toBe("auth.invalid_token");
      expect((await anonymous(method, path, { cookie: "salescontrol_core_session=forged" })).status).toBe(method === "GET" ? 401 : 403);
    }
    expect((await call("GET", "/api/v1/studio/campaigns/SAFE")).body.state).toBe("draft");
  });
});
