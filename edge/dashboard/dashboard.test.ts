import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, signInAsOperator } from "../testing/edge-test-kit.ts";

let dir: TempDir;
let edge: EdgeTestEnvironment;
let cookie: string;
let first: number;
let second: number;

const remote = { remoteAddress: "192.0.2.10" };
const get = (path: string, headers: Record<string, string> = { cookie }) => edge.app.request(path, { headers }, remote);

beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment();
  cookie = await signInAsOperator(edge);
  first = (await importPackage(edge, (await buildTestPackage(dir, "first.zip", { leads: 30, audioFiles: 4, campaignId: "FIRST" })).path)).import_id;
  second = (await importPackage(edge, (await buildTestPackage(dir, "second.zip", { leads: 60, audioFiles: 5, campaignId: "SECOND", leadIdStart: 5001, defaultAudio: true })).path)).import_id;
});
afterAll(async () => {
  await edge.dispose();
  dir.remove();
});

describe("dashboard API", () => {
  test("summary of the active campaign, the previous one kept for rollback, and the fallback prompt", async () => {
    const summary = (await (await get("/operator/api/campaign")).json()) as Record<string, any>;
    expect(summary).toMatchObject({
      active: { import_id: second, campaign_id: "SECOND", leads: 60, audio_files: 6, audio_slots: ["greeting", "offer"], default_audio: "audio/default.wav" },
      previous: { import_id: first, campaign_id: "FIRST", lead_count: 30 },
      running: null,
      default_prompt: "built-in: one second of silence",
    });
    expect(summary.active.audio_duration_ms).toBeGreaterThan(5000);
  });

  test("leads: paged in package order, searchable by name, phone, lead id and vendor code", async () => {
    const page = (await (await get("/operator/api/leads?page=2&per_page=25")).json()) as Record<string, any>;
    expect(page).toMatchObject({ total: 60, page: 2, per_page: 25, import_id: second });
    expect(page.leads.map((lead: { lead_id: number }) => lead.lead_id)).toEqual(Array.from({ length: 25 }, (_, index) => 5026 + index));
    expect(page.leads[0].audio).toEqual([
      { slot: "greeting", path: "audio/greeting/greeting-2.wav", url: `/operator/audio/${second}/greeting/greeting-2.wav`, duration_ms: expect.any(Number) },
      { slot: "offer", path: "audio/offer/offer-2.wav", url: `/operator/audio/${second}/offer/offer-2.wav`, duration_ms: expect.any(Number) },
    ]);
    const search = async (q: string) => ((await (await get(`/operator/api/leads?q=${encodeURIComponent(q)}`)).json()) as { total: number; leads: Array<{ lead_id: number }> });
    expect((await search("5010")).leads.map((lead) => lead.lead_id)).toEqual([5010]);
    expect((await search("512-555-0003")).leads.map((lead) => lead.lead_id)).toEqual([5004]);
    expect((await search("V00005007")).leads.map((lead) => lead.lead_id)).toEqual([5007]);
    expect((await search("maria")).total).toBe(30);
    expect((await search("nobody-like-this")).total).toBe(0);
  });

  test("bad paging is refused with the field named", async () => {
    const response = await get("/operator/api/leads?per_page=5000");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("per_page");
  });

  test("audio for the page's players: the same bytes, with ranges, for operators only", async () => {
    const player = await get(`/operator/audio/${second}/greeting/greeting-1.wav`, { cookie, range: "bytes=0-43" });
    expect(player.status).toBe(206);
    expect(Buffer.from(await player.arrayBuffer()).subarray(0, 4).toString()).toBe("RIFF");
    expect((await get(`/operator/audio/${second}/greeting/greeting-1.wav`, {})).status).toBe(401);
  });

  test("rollback: the previous campaign is served again; the button works both ways", async () => {
    const headers = { cookie, "x-requested-with": "salescontrol" };
    const rolled = await edge.app.request("/operator/api/rollback", { method: "POST", headers }, remote);
    expect(await rolled.json()).toEqual({ active_import_id: first, previous_import_id: second, rolled_back_by: "olga" });
    expect(edge.runtime.deployment.served.current().active!.campaignId).toBe("FIRST");
    await edge.app.request("/operator/api/rollback", { method: "POST", headers }, remote);
    expect(edge.runtime.deployment.served.current().active!.campaignId).toBe("SECOND");
    // Both rollbacks join the import history, newest first, with who asked for them.
    const history = (await (await get("/operator/api/imports")).json()) as { rollbacks: Array<Record<string, unknown>> };
    expect(history.rollbacks).toEqual([
      { id: 2, rolled_back_at: expect.any(String), operator: "olga", from_import_id: first, to_import_id: second },
      { id: 1, rolled_back_at: expect.any(String), operator: "olga", from_import_id: second, to_import_id: first },
    ]);
    expect((await get("/operator/api/imports", {})).status).toBe(401);
    const empty = await createEdgeTestEnvironment();
    try {
      const emptyCookie = await signInAsOperator(empty);
      const refused = await empty.app.request("/operator/api/rollback", { method: "POST", headers: { cookie: emptyCookie, "x-requested-with": "salescontrol" } }, remote);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("campaign.no_previous");
    } finally {
      await empty.dispose();
    }
  });
});
