import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { connect } from "node:net";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, loopback, signInAsOperator } from "../testing/edge-test-kit.ts";
import { beginImport } from "./import-lock.ts";

let packages: TempDir;
let goodPackage: Uint8Array;
let brokenPackage: Uint8Array;

beforeAll(async () => {
  packages = makeTempDir();
  goodPackage = new Uint8Array(readFileSync((await buildTestPackage(packages, "good.zip", { leads: 120, audioFiles: 8, campaignId: "UPLOAD" })).path));
  // A package whose manifest promises one lead more than leads.csv holds.
  const entries = unzipSync(new Uint8Array(readFileSync((await buildTestPackage(packages, "short.zip", { leads: 5, audioFiles: 2, campaignId: "SHORT" })).path)));
  entries["manifest.json"] = strToU8(strFromU8(entries["manifest.json"]!).replace('"lead_count": 5', '"lead_count": 6'));
  brokenPackage = zipSync(entries);
});
afterAll(() => packages.remove());

let edge: EdgeTestEnvironment;
let server: RunningHttpServer;
let cookie: string;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
  server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
  cookie = await signInAsOperator(edge);
});
afterEach(async () => {
  await server.stop();
  await edge.dispose();
});

const uploadHeaders = () => ({ cookie, "x-requested-with": "salescontrol", "content-type": "application/zip", "x-file-name": encodeURIComponent("spring campaign.zip") });

async function upload(body: Uint8Array, headers: Record<string, string> = uploadHeaders()) {
  return fetch(`${server.url}/operator/api/imports`, { method: "POST", headers, body });
}

async function waitForImport(id: number): Promise<Record<string, any>> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const response = await fetch(`${server.url}/operator/api/imports/${id}`, { headers: { cookie } });
    const record = (await response.json()) as Record<string, any>;
    if (record.state !== "running") return record;
    await Bun.sleep(25);
  }
  throw new Error(`import ${id} did not finish`);
}

describe("uploading a package", () => {
  test("202 at once, then progress and a report; the campaign is live afterwards and the upload is gone", async () => {
    const response = await upload(goodPackage);
    expect(response.status).toBe(202);
    const started = (await response.json()) as { import_id: number; status_url: string };
    expect(started.status_url).toBe(`/operator/api/imports/${started.import_id}`);
    const record = await waitForImport(started.import_id);
    expect(record).toMatchObject({
      state: "active",
      source: "upload",
      file_name: "spring campaign.zip",
      operator: "olga",
      campaign_id: "UPLOAD",
      lead_count: 120,
      package_bytes: goodPackage.length,
      package_sha256: new Bun.CryptoHasher("sha256").update(goodPackage).digest("hex"),
      report: { outcome: "deployed", leads: { valid: 120 }, operator: "olga" },
      progress: { leads_read: 120, audio_done: 8 },
    });
    const lead = await edge.fetch(new Request("http://127.0.0.1:8001/api/v1/leads/1001"), loopback);
    expect(((await lead!.json()) as { campaign: { id: string } }).campaign.id).toBe("UPLOAD");
    await edge.runtime.background.idle();
    expect(readdirSync(`${edge.config.dataDir}/uploads`)).toEqual([]);
    const history = (await (await fetch(`${server.url}/operator/api/imports`, { headers: { cookie } })).json()) as { imports: Array<Record<string, unknown>> };
    expect(history.imports).toEqual([expect.objectContaining({ id: started.import_id, state: "active", report: null })]);
  });

  test("a refused package: 202, then a failed import whose report says why", async () => {
    const started = (await (await upload(brokenPackage)).json()) as { import_id: number };
    const record = await waitForImport(started.import_id);
    expect(record).toMatchObject({ state: "failed", error_code: "leads.count_mismatch", report: { outcome: "rejected", problems: [{ message: "leads.csv holds 5 leads; manifest.json says lead_count 6" }] } });
    expect(edge.runtime.deployment.served.current().active).toBeNull();
  });

  test("an upload cut short is recorded as failed and leaves no file behind", async () => {
    const socket = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      [
        "POST /operator/api/imports HTTP/1.1",
        "Host: 127.0.0.1",
        `Cookie: ${cookie}`,
        "X-Requested-With: salescontrol",
        "Content-Type: application/zip",
        "Content-Length: 100000",
        "",
        "",
      ].join("\r\n"),
    );
    socket.write(goodPackage.subarray(0, 5000));
    await Bun.sleep(100);
    socket.destroy();
    let history: Array<Record<string, any>> = [];
    for (let attempt = 0; attempt < 100 && history[0]?.state !== "failed"; attempt++) {
      await Bun.sleep(25);
      history = ((await (await fetch(`${server.url}/operator/api/imports`, { headers: { cookie } })).json()) as { imports: Array<Record<string, any>> }).imports;
    }
    expect(history[0]).toMatchObject({ state: "failed", error_code: "import.upload_incomplete", error_message: expect.stringContaining("of 100000 bytes") });
    expect(existsSync(`${edge.config.dataDir}/uploads`) ? readdirSync(`${edge.config.dataDir}/uploads`) : []).toEqual([]);
  });

  test("a stalled upload loses the import lock after UPLOAD_STALL_SECONDS, and the next upload is taken", async () => {
    const stalling = await createEdgeTestEnvironment({ env: { UPLOAD_STALL_SECONDS: "1" } });
    const stallingServer = startHttpServer({ fetch: stalling.fetch, hostname: "127.0.0.1", port: 0 });
    const stallingCookie = await signInAsOperator(stalling);
    const socket = connect(stallingServer.port, "127.0.0.1");
    try {
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const answer = new Promise<string>((resolve) => socket.once("data", (data) => resolve(data.toString())));
      socket.write(
        ["POST /operator/api/imports HTTP/1.1", "Host: 127.0.0.1", `Cookie: ${stallingCookie}`, "X-Requested-With: salescontrol", "Content-Type: application/zip", `Content-Length: ${goodPackage.length}`, "", ""].join("\r\n"),
      );
      socket.write(goodPackage.subarray(0, 5000));
      // The connection stays open and silent: the server, not the client, ends the upload.
      expect(await answer).toContain("408");
      const history = ((await (await fetch(`${stallingServer.url}/operator/api/imports`, { headers: { cookie: stallingCookie } })).json()) as { imports: Array<Record<string, any>> }).imports;
      expect(history[0]).toMatchObject({ state: "failed", error_code: "import.upload_stalled", error_message: expect.stringContaining(`after 5000 of ${goodPackage.length} bytes`) });
      expect(readdirSync(`${stalling.config.dataDir}/uploads`)).toEqual([]);
      const next = await fetch(`${stallingServer.url}/operator/api/imports`, { method: "POST", headers: { ...uploadHeaders(), cookie: stallingCookie }, body: goodPackage });
      expect(next.status).toBe(202);
      await stalling.runtime.background.idle();
    } finally {
      socket.destroy();
      await stallingServer.stop();
      await stalling.dispose();
    }
  });

  test("a second upload while an import runs is refused with the running one named", async () => {
    const running = await beginImport(edge.runtime.importer, { source: "cli", fileName: "other.zip", operator: "root" });
    const response = await upload(goodPackage);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "import.busy", details: { running_import_id: running.id } } });
    running.stop();
  });
});

describe("upload limits and callers", () => {
  test("an upload without Content-Length (chunked) is refused: it would have to be buffered", async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(goodPackage.subarray(0, 1000));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/operator/api/imports`, { method: "POST", headers: uploadHeaders(), body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(411);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("request.length_required");
  });

  test("a package over MAX_PACKAGE_BYTES is refused before it is read", async () => {
    const small = await createEdgeTestEnvironment({ env: { MAX_PACKAGE_BYTES: "4096" } });
    try {
      const smallCookie = await signInAsOperator(small);
      const response = await small.app.request(
        "/operator/api/imports",
        { method: "POST", headers: { ...uploadHeaders(), cookie: smallCookie, "content-length": String(goodPackage.length) }, body: goodPackage },
        { remoteAddress: "192.0.2.10" },
      );
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("request.body_too_large");
    } finally {
      await small.dispose();
    }
  });

  test("only signed-in operators, only from the edge's own pages", async () => {
    const anonymous = await upload(goodPackage, { "x-requested-with": "salescontrol", "content-type": "application/zip" });
    expect(anonymous.status).toBe(401);
    const crossSite = await upload(goodPackage, { cookie, "content-type": "application/zip" });
    expect(crossSite.status).toBe(403);
    expect((await fetch(`${server.url}/operator/api/imports`)).status).toBe(401);
    expect((await fetch(`${server.url}/operator/api/imports/1`)).status).toBe(401);
  });

  test("unknown and malformed import ids", async () => {
    const missing = await fetch(`${server.url}/operator/api/imports/999`, { headers: { cookie } });
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, "import.not_found"]);
    expect((await fetch(`${server.url}/operator/api/imports/abc`, { headers: { cookie } })).status).toBe(400);
    expect((await fetch(`${server.url}/operator/api/imports?limit=100000`, { headers: { cookie } })).status).toBe(400);
  });
});
