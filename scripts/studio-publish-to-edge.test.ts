/**
 * Publishing a studio campaign straight to an edge: a real edge process (`bun edge/main.ts serve`)
 * with an API key made by its own CLI; the core registers the edge, streams the package to its
 * machine import endpoint and answers the edge's import report; the edge then serves the leads.
 * Beside it, every way a publication can fail, each with its own code, against real edges on real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { addOperator } from "../shared/accounts/accounts.usecases.ts";
import { createCoreAccounts } from "../core/operators/operator-accounts.ts";
import { createTestCore, type TestCore, testAdminToken } from "../core/testing/core-test-app.ts";
import { startTestPipeline, startTickingClock, waitFor } from "../core/testing/pipeline-test-kit.ts";
import { clipFilesOf } from "../core/studio/synthesis-cache.ts";
import { speechDirectoryOf } from "../core/studio/tts.stage.ts";
import { beginImport } from "../edge/importer/import-lock.ts";
import { addMachineKey } from "../edge/machine-keys/machine-keys.usecases.ts";
import { createEdgeTestEnvironment, type EdgeTestEnvironment } from "../edge/testing/edge-test-kit.ts";
import { silentLogger } from "../shared/log/logger.ts";
import { runCommand } from "../shared/runtime/process.ts";
import { type RunningHttpServer, startHttpServer } from "../shared/runtime/http-server.ts";
import { type RunningNodeProcess, startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";

const repository = join(import.meta.dir, "..");
const names = ["Maria", "James"];
const leadsCsv = ["lead_id,phone_number,first_name", ...names.map((name, index) => `${5001 + index},+1 512 555 02${index}0,${name}`)].join("\r\n");
const script = { greeting: "Hello {first_name}, this is Anna from Acme.", offer: "Our fibre plan costs forty nine dollars a month." };

let dir: TempDir;
let core: TestCore;
let edgeProcess: RunningNodeProcess;
let edgeKey: string;
let edgeEnv: Record<string, string>;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { ...headers, ...(body === undefined ? {} : { "content-type": typeof body === "string" ? "text/csv" : "application/json" }) } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = headers.cookie === undefined ? await core.admin(path, init) : await core.app.request(path, init, { remoteAddress: "198.51.100.30" });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Publishing polls the edge on the core's clock, which the test moves on while it waits. */
async function publish(campaignId: string, edgeId: number, headers: Record<string, string> = {}) {
  const ticking = startTickingClock(core.clock);
  try {
    return await api("POST", `/api/v1/studio/campaigns/${campaignId}/publish`, { edge_id: edgeId }, headers);
  } finally {
    ticking.stop();
  }
}

async function registerEdge(name: string, url: string, apiKey: string): Promise<number> {
  const added = await api("POST", "/api/v1/studio/edges", { name, url, api_key: apiKey });
  if (added.status !== 201) throw new Error(JSON.stringify(added));
  return added.body.id;
}

beforeAll(async () => {
  dir = makeTempDir();
  core = await createTestCore();
  await api("POST", "/api/v1/studio/campaigns", { id: "PUBLISHED", name: "Campaign PUBLISHED", language: "en", ulaw: true });
  await api("POST", "/api/v1/studio/campaigns", { id: "DRAFT", name: "Campaign DRAFT", language: "en" });
  await api("PUT", "/api/v1/studio/campaigns/PUBLISHED/leads", leadsCsv);
  await api("PUT", "/api/v1/studio/campaigns/PUBLISHED/script", { slots: script });
  await api("POST", "/api/v1/studio/campaigns/PUBLISHED/generate");
  const pipeline = startTestPipeline(core, { vad: false });
  try {
    await waitFor("the campaign to be ready", async () => (await api("GET", "/api/v1/studio/campaigns/PUBLISHED")).body.state === "ready");
  } finally {
    await pipeline.stop();
  }

  edgeEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.path, LANG: "C.UTF-8", DATA_DIR: dir.join("edge-data"), HOST: "127.0.0.1", PORT: "0" };
  const made = await runCommand(process.execPath, ["edge/main.ts", "api-key", "add", "core-studio"], { cwd: repository, env: edgeEnv });
  if (made.code !== 0) throw new Error(made.stderr);
  edgeKey = made.stdout.trim();
  edgeProcess = await startNodeProcess(process.execPath, ["edge/main.ts", "serve"], { cwd: repository, env: edgeEnv, timeoutMs: 60_000 });
}, 180_000);
afterAll(async () => {
  await edgeProcess?.stop();
  core?.dispose();
  dir?.remove();
});

describe("publishing a studio campaign to an edge", () => {
  test("register the edge, publish: the edge process imports the package and serves every lead its greeting; the key is never shown", async () => {
    expect(edgeKey).toMatch(/^sce_/);
    const edgeId = await registerEdge("vici1", `${edgeProcess.url}/`, edgeKey);
    const listed = await api("GET", "/api/v1/studio/edges");
    expect(listed.body).toEqual({ edges: [{ id: edgeId, name: "vici1", url: edgeProcess.url, created_at: expect.any(String) }] });
    expect(JSON.stringify(listed.body)).not.toContain(edgeKey);

    const published = await publish("PUBLISHED", edgeId);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({
      edge_id: edgeId,
      status: "deployed",
      report: { outcome: "deployed", source: "api", operator: "api-key:core-studio", file_name: "PUBLISHED.zip", campaign: { id: "PUBLISHED" }, leads: { valid: 2 }, problems: [] },
    });
    // Two greetings and the shared offer, each with its G.711 µ-law sibling, accepted by the edge.
    expect(published.body.report.audio).toMatchObject({ wav_files: 3, ulaw_files: 3 });
    // Nothing of the package is left on the core.
    expect(readdirSync(join(core.config.dataDir, "studio", "outgoing"))).toEqual([]);

    for (const [index, name] of names.entries()) {
      const lead = (await (await fetch(`${edgeProcess.url}/api/v1/leads/${5001 + index}`)).json()) as { first_name: string; audio: Record<string, { url: string; default_prompt: boolean }> };
      expect(lead.first_name).toBe(name);
      expect(lead.audio.greeting!.default_prompt).toBe(false);
      const audio = await fetch(lead.audio.greeting!.url);
      expect(audio.status).toBe(200);
      expect(new TextDecoder().decode((await audio.arrayBuffer()).slice(0, 4))).toBe("RIFF");
    }
    const history = await runCommand(process.execPath, ["edge/main.ts", "campaigns"], { cwd: repository, env: edgeEnv });
    expect(history.stdout).toMatch(/PUBLISHED .* api \(api-key:core-studio\)/);

    const publications = await core.database.client.execute("select edge_name, status, package_bytes from studio_publications where campaign_id = 'PUBLISHED'");
    expect(publications.rows).toEqual([expect.objectContaining({ edge_name: "vici1", status: "deployed" })]);
  }, 120_000);

  test("a revoked key: 502 studio.edge_key_refused with the edge's own code; nothing is imported", async () => {
    const second = await runCommand(process.execPath, ["edge/main.ts", "api-key", "add", "to-revoke"], { cwd: repository, env: edgeEnv });
    const edgeId = await registerEdge("vici1-revoked", edgeProcess.url, second.stdout.trim());
    expect((await runCommand(process.execPath, ["edge/main.ts", "api-key", "revoke", "to-revoke"], { cwd: repository, env: edgeEnv })).code).toBe(0);
    const refused = await publish("PUBLISHED", edgeId);
    expect(refused.status).toBe(502);
    expect(refused.body.error).toMatchObject({ code: "studio.edge_key_refused", details: { edge_status: 401, edge_error: { code: "auth.api_key_invalid" } } });
    const history = await runCommand(process.execPath, ["edge/main.ts", "campaigns"], { cwd: repository, env: edgeEnv });
    expect(history.stdout).not.toContain("to-revoke");
  }, 60_000);
});

describe("publications that fail, each with its own code", () => {
  let edge: EdgeTestEnvironment;
  let edgeServer: RunningHttpServer;
  let key: string;
  beforeAll(async () => {
    edge = await createEdgeTestEnvironment({ env: { MAX_PACKAGE_UNCOMPRESSED_BYTES: "20000" } });
    edgeServer = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
    key = (await addMachineKey(edge.runtime.machineKeys, "studio")).key;
  });
  afterAll(async () => {
    await edgeServer.stop();
    await edge.dispose();
  });

  test("a campaign not generated (409) is refused before the edge is called; an unknown edge is 404", async () => {
    const unreachable = await registerEdge("nowhere-draft", "http://127.0.0.1:9", key);
    const draft = await publish("DRAFT", unreachable);
    expect([draft.status, draft.body.error.code]).toEqual([409, "studio.campaign_not_ready"]);
    const unknown = await publish("PUBLISHED", 999_999);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "studio.edge_not_found"]);
    const noCampaign = await publish("NOPE", unreachable);
    expect([noCampaign.status, noCampaign.body.error.code]).toEqual([404, "studio.campaign_not_found"]);
  });

  test("an edge that does not answer: 502 studio.edge_unreachable", async () => {
    const edgeId = await registerEdge("nowhere", "http://127.0.0.1:9", key);
    const refused = await publish("PUBLISHED", edgeId);
    expect([refused.status, refused.body.error.code]).toEqual([502, "studio.edge_unreachable"]);
    expect(refused.body.error.message).toContain('edge "nowhere" at http://127.0.0.1:9 cannot be reached');
  });

  test("a server that is not an edge: 502 studio.edge_bad_answer", async () => {
    const stranger = startHttpServer({ fetch: () => new Response("<html>router login</html>", { headers: { "content-type": "text/html" } }), hostname: "127.0.0.1", port: 0 });
    try {
      const edgeId = await registerEdge("stranger", stranger.url, key);
      const refused = await publish("PUBLISHED", edgeId);
      expect([refused.status, refused.body.error.code]).toEqual([502, "studio.edge_bad_answer"]);
    } finally {
      await stranger.stop();
    }
  });

  test("an edge busy with another import refuses with its own code: 502 studio.edge_refused carrying import.busy", async () => {
    const edgeId = await registerEdge("busy", edgeServer.url, key);
    const running = await beginImport(edge.runtime.importer, { source: "cli", fileName: "other.zip", operator: "someone" });
    try {
      const refused = await publish("PUBLISHED", edgeId);
      expect(refused.status).toBe(502);
      expect(refused.body.error).toMatchObject({ code: "studio.edge_refused", details: { edge_status: 409, edge_error: { code: "import.busy" } } });
      expect(refused.body.error.message).toContain("(import.busy)");
    } finally {
      running.stop();
      await edge.runtime.importer.imports.markImportFailed({ id: running.id, errorCode: "test", errorMessage: "test", report: {}, now: Date.now() });
    }
  });

  test("a package the edge's importer refuses: 200 with status rejected and the edge's report, kept with the campaign", async () => {
    const edgeId = await registerEdge("strict", edgeServer.url, key);
    const published = await publish("PUBLISHED", edgeId);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ edge_id: edgeId, status: "rejected", report: { outcome: "rejected", problems: [{ code: expect.stringMatching(/^zip\./) }] } });
    expect(edge.runtime.deployment.served.current().active).toBeNull();
    const kept = await core.database.client.execute("select status from studio_publications where edge_name = 'strict'");
    expect(kept.rows.map((row) => row.status)).toEqual(["rejected"]);
  });

  test("a package larger than the edge accepts is refused on the core: 422 studio.package_too_large_for_edge", async () => {
    // The campaign's clips and their µ-law siblings, as the core keeps them.
    const clips = (await core.database.client.execute("SELECT DISTINCT clip_key FROM studio_lines WHERE campaign_id = 'PUBLISHED'")).rows.map((row) => String(row.clip_key));
    const audioBytes = clips.reduce((sum, clip) => {
      const files = clipFilesOf(speechDirectoryOf(core.config), clip);
      return sum + statSync(files.wavPath).size + statSync(files.ulawPath).size;
    }, 0);
    // Audio alone past the limit: refused before a byte of the package is written. Audio within it but
    // the whole package past it: refused once the package is written, before it is sent.
    for (const [limit, message] of [
      [audioBytes - 1, `the audio of campaign "PUBLISHED" alone is ${audioBytes} bytes`],
      [audioBytes + 1, 'the package of campaign "PUBLISHED" is '],
    ] as const) {
      const small = await createEdgeTestEnvironment({ env: { MAX_PACKAGE_BYTES: String(limit) } });
      const smallServer = startHttpServer({ fetch: small.fetch, hostname: "127.0.0.1", port: 0 });
      try {
        const edgeId = await registerEdge(`small-${limit}`, smallServer.url, (await addMachineKey(small.runtime.machineKeys, "studio")).key);
        const refused = await publish("PUBLISHED", edgeId);
        expect([refused.status, refused.body.error.code]).toEqual([422, "studio.package_too_large_for_edge"]);
        expect(refused.body.error.message).toContain(message);
        expect(await small.runtime.importer.imports.listImports({ limit: 5 })).toEqual([]);
      } finally {
        await smallServer.stop();
        await small.dispose();
      }
    }
  });

  test("edges: bad input is refused with the field named; names are unique; removing one keeps its publications", async () => {
    const bad: Array<[unknown, string]> = [
      [{ name: "x", url: "ftp://edge.example", api_key: key }, "url"],
      [{ name: "x", url: "http://user:pw@edge.example", api_key: key }, "url"],
      [{ name: "x", url: "not a url", api_key: key }, "url"],
      [{ name: "", url: "http://edge.example", api_key: key }, "name"],
      [{ name: "x", url: "http://edge.example", api_key: "short" }, "api_key"],
      [{ name: "x", url: "http://edge.example", api_key: "has spaces in it, sixteen+" }, "api_key"],
      [{ name: "x", url: "http://edge.example" }, "api_key"],
    ];
    for (const [body, field] of bad) {
      const refused = await api("POST", "/api/v1/studio/edges", body);
      expect([refused.status, refused.body.error.code, refused.body.error.message]).toEqual([400, "request.invalid", expect.stringContaining(field)]);
    }
    const edgeId = await registerEdge("to-remove", edgeServer.url, key);
    const duplicate = await api("POST", "/api/v1/studio/edges", { name: "to-remove", url: edgeServer.url, api_key: key });
    expect([duplicate.status, duplicate.body.error.code]).toEqual([409, "studio.edge_exists"]);
    expect((await api("DELETE", `/api/v1/studio/edges/${edgeId}`)).body).toMatchObject({ id: edgeId, name: "to-remove" });
    expect((await api("DELETE", `/api/v1/studio/edges/${edgeId}`)).body.error.code).toBe("studio.edge_not_found");
    expect((await api("DELETE", "/api/v1/studio/edges/abc")).status).toBe(400);
    const badUlaw = await api("POST", "/api/v1/studio/campaigns", { id: "BAD-ULAW", name: "x", language: "en", ulaw: "yes" });
    expect([badUlaw.status, badUlaw.body.error.code, badUlaw.body.error.message]).toEqual([400, "request.invalid", expect.stringContaining("ulaw")]);
    expect((await api("POST", "/api/v1/studio/campaigns/PUBLISHED/publish", {})).status).toBe(400);
    expect((await api("POST", "/api/v1/studio/campaigns/PUBLISHED/publish", { edge_id: "1" })).status).toBe(400);
    expect((await api("GET", "/api/v1/studio/edges")).body.edges.map((edge: { name: string }) => edge.name)).not.toContain("to-remove");
    const strict = (await api("GET", "/api/v1/studio/edges")).body.edges.find((edge: { name: string }) => edge.name === "strict");
    expect((await api("DELETE", `/api/v1/studio/edges/${strict.id}`)).status).toBe(200);
    expect((await core.database.client.execute("select status from studio_publications where edge_name = 'strict'")).rows).toHaveLength(1);
  });

  test("only admins: a viewer's or a point-limited admin's session is refused (403), an admin's session is taken, anonymous callers get 401", async () => {
    const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
    await addOperator(accounts, "viewer-vera", "a long viewer passphrase", { role: "viewer", scope: null });
    await addOperator(accounts, "point-paul", "a long point passphrase", { role: "admin", scope: [randomUUID()] });
    await addOperator(accounts, "admin-anna", "a long admin passphrase", { role: "admin", scope: null });
    const signIn = async (username: string, password: string) => {
      const response = await core.app.request("/operator/api/login", { method: "POST", headers: { "content-type": "application/json", "x-requested-with": "salescontrol" }, body: JSON.stringify({ username, password }) }, { remoteAddress: "198.51.100.30" });
      expect(response.status).toBe(200);
      return { cookie: /salescontrol_core_session=[^;]+/.exec(response.headers.get("set-cookie") ?? "")![0], "x-requested-with": "salescontrol" };
    };
    const edgeId = await registerEdge("sessions", edgeServer.url, key);
    for (const session of [await signIn("viewer-vera", "a long viewer passphrase"), await signIn("point-paul", "a long point passphrase")]) {
      for (const [method, path, body] of [
        ["GET", "/api/v1/studio/edges", undefined],
        ["POST", "/api/v1/studio/edges", { name: "sneaky", url: edgeServer.url, api_key: key }],
        ["DELETE", `/api/v1/studio/edges/${edgeId}`, undefined],
        ["POST", "/api/v1/studio/campaigns/PUBLISHED/publish", { edge_id: edgeId }],
      ] as const) {
        const refused = await api(method, path, body, session);
        expect([method, path, refused.status, refused.body.error.code]).toEqual([method, path, 403, "studio.admin_required"]);
      }
    }
    const admin = await signIn("admin-anna", "a long admin passphrase");
    expect((await api("GET", "/api/v1/studio/edges", undefined, admin)).body.edges.map((edge: { name: string }) => edge.name)).toContain("sessions");
    const anonymous = await core.app.request("/api/v1/studio/edges", {}, { remoteAddress: "198.51.100.31" });
    expect(anonymous.status).toBe(401);
    const forged = await core.app.request(`/api/v1/studio/campaigns/PUBLISHED/publish`, { method: "POST", headers: { authorization: `Bearer ${testAdminToken}x`, "content-type": "application/json" }, body: JSON.stringify({ edge_id: edgeId }) }, { remoteAddress: "198.51.100.32" });
    expect(forged.status).toBe(401);
    expect((await api("GET", "/api/v1/studio/edges")).body.edges.map((edge: { name: string }) => edge.name)).not.toContain("sneaky");
  });
});
