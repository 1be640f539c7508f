import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { zipSync } from "fflate";
import { campaignPackagesPath } from "../../shared/contracts/campaign-package-push.ts";
import type { CommandOutput } from "../../shared/cli/command-output.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, loopback, signInAsOperator, writeHandmadePackage } from "../testing/edge-test-kit.ts";
import { runMachineKeyCommand } from "../machine-keys/machine-key.commands.ts";

let packages: TempDir;
let goodPackage: Uint8Array;
let bombPackage: Uint8Array;
beforeAll(async () => {
  packages = makeTempDir();
  goodPackage = new Uint8Array(readFileSync((await buildTestPackage(packages, "good.zip", { leads: 40, audioFiles: 4, campaignId: "PUSHED" })).path));
  const leads = "lead_id,phone_number,first_name,audio_greeting\r\n1,5125550100,Maria,audio/greeting/bomb.wav\r\n";
  bombPackage = new Uint8Array(readFileSync(writeHandmadePackage(packages, "bomb.zip", { leads, compressed: { "audio/greeting/bomb.wav": new Uint8Array(16 * 1024 * 1024) } })));
});
afterAll(() => packages.remove());

let edge: EdgeTestEnvironment;
let server: RunningHttpServer;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
  server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await server.stop();
  await edge.dispose();
});

async function keyCommand(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const output: CommandOutput = { out: (text) => (out += text), err: (text) => (err += text), interactive: false };
  const code = await runMachineKeyCommand(edge.runtime.machineKeys, args, output);
  return { code, out, err };
}

async function addKey(name = "studio"): Promise<string> {
  const added = await keyCommand("add", name);
  expect(added.code).toBe(0);
  return added.out.trim();
}

function push(body: Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}${campaignPackagesPath}`, { method: "POST", headers: { "content-type": "application/zip", ...headers }, body });
}

async function finished(key: string, importId: number): Promise<Record<string, any>> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const status = (await (await fetch(`${server.url}${campaignPackagesPath}/${importId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as Record<string, any>;
    if (status.state !== "running") return status;
    await Bun.sleep(25);
  }
  throw new Error(`import ${importId} did not finish`);
}

const errorCodeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;
const imports = async () => edge.runtime.importer.imports.listImports({ limit: 50 });

describe("the machine import endpoint", () => {
  test("a key made on the edge pushes a package: 202, then the import report; the campaign is served and the history names the key", async () => {
    const key = await addKey("core-studio");
    const served = await fetch(`${server.url}${campaignPackagesPath}`, { headers: { authorization: `Bearer ${key}` } });
    expect(await served.json()).toEqual({ campaign: null, max_package_bytes: edge.config.maxPackageBytes });

    const response = await push(goodPackage, { authorization: `Bearer ${key}`, "x-file-name": encodeURIComponent("PUSHED.zip") });
    expect(response.status).toBe(202);
    const started = (await response.json()) as { import_id: number; status_url: string };
    expect(started.status_url).toBe(`${campaignPackagesPath}/${started.import_id}`);
    const status = await finished(key, started.import_id);
    expect(status).toMatchObject({
      import_id: started.import_id,
      state: "active",
      report: { outcome: "deployed", source: "api", operator: "api-key:core-studio", file_name: "PUSHED.zip", campaign: { id: "PUSHED" }, leads: { valid: 40 }, problems: [] },
    });
    expect(status.report.package.sha256).toBe(new Bun.CryptoHasher("sha256").update(goodPackage).digest("hex"));
    const lead = await edge.fetch(new Request("http://127.0.0.1:8001/api/v1/leads/1001"), loopback);
    expect(((await lead!.json()) as { campaign: { id: string } }).campaign.id).toBe("PUSHED");
    expect(await (await fetch(`${server.url}${campaignPackagesPath}`, { headers: { authorization: `Bearer ${key}` } })).json()).toMatchObject({ campaign: { id: "PUSHED", leads: 40 } });
    expect((await keyCommand("list")).out).toMatch(/^core-studio {2}sce_\S+… {2}since \d{4}-\d\d-\d\d {2}last used \d{4}-\d\d-\d\d\n$/);
  });

  test("hostile packages get the importer's own verdicts: a zip bomb and bytes that are no zip are refused, nothing is served", async () => {
    const key = await addKey();
    const bomb = (await (await push(bombPackage, { authorization: `Bearer ${key}` })).json()) as { import_id: number };
    expect(await finished(key, bomb.import_id)).toMatchObject({ state: "failed", report: { outcome: "rejected", problems: [{ code: "zip.compression_ratio" }] } });
    const garbage = (await (await push(new TextEncoder().encode("this is not a zip archive at all\n".repeat(50)), { authorization: `Bearer ${key}` })).json()) as { import_id: number };
    const refused = await finished(key, garbage.import_id);
    expect(refused).toMatchObject({ state: "failed", report: { outcome: "rejected" } });
    expect(refused.report.problems[0].code).toMatch(/^zip\./);
    // A zip that holds no package at all.
    const empty = (await (await push(zipSync({ "readme.txt": new TextEncoder().encode("hello") }), { authorization: `Bearer ${key}` })).json()) as { import_id: number };
    expect(await finished(key, empty.import_id)).toMatchObject({ state: "failed", report: { outcome: "rejected" } });
    expect(edge.runtime.deployment.served.current().active).toBeNull();
  });

  test("a body without Content-Length (411) or over MAX_PACKAGE_BYTES (413) is refused before it is read", async () => {
    const key = await addKey();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(goodPackage.subarray(0, 1000));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}${campaignPackagesPath}`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body, duplex: "half" } as RequestInit);
    expect([chunked.status, await errorCodeOf(chunked)]).toEqual([411, "request.length_required"]);
    const small = await createEdgeTestEnvironment({ env: { MAX_PACKAGE_BYTES: "4096" } });
    try {
      let smallKey = "";
      expect(await runMachineKeyCommand(small.runtime.machineKeys, ["add", "studio"], { out: (text) => (smallKey += text.trim()), err: () => {}, interactive: false })).toBe(0);
      const response = await small.app.request(campaignPackagesPath, { method: "POST", headers: { authorization: `Bearer ${smallKey}`, "content-length": String(goodPackage.length) }, body: goodPackage }, loopback);
      expect([response.status, await errorCodeOf(response)]).toEqual([413, "request.body_too_large"]);
    } finally {
      await small.dispose();
    }
    expect(await imports()).toEqual([]);
  });

  test("no key, a forged key, a revoked key and an operator's session are refused; nothing is imported", async () => {
    const key = await addKey("studio");
    const cookie = await signInAsOperator(edge);
    const callers: Array<[string, Record<string, string>, string]> = [
      ["no key", {}, "auth.api_key_missing"],
      ["forged key", { authorization: `Bearer sce_${"A".repeat(43)}` }, "auth.api_key_invalid"],
      ["key with a character more", { authorization: `Bearer ${key}x` }, "auth.api_key_invalid"],
      ["key in the wrong header", { "x-api-key": key }, "auth.api_key_missing"],
      ["operator session", { cookie, "x-requested-with": "salescontrol" }, "auth.api_key_missing"],
    ];
    for (const [name, headers, code] of callers) {
      const response = await push(goodPackage, headers);
      expect([name, response.status, await errorCodeOf(response)]).toEqual([name, 401, code]);
      const status = await fetch(`${server.url}${campaignPackagesPath}/1`, { headers });
      expect([name, status.status]).toEqual([name, 401]);
    }
    expect((await keyCommand("revoke", "studio")).code).toBe(0);
    const revoked = await push(goodPackage, { authorization: `Bearer ${key}` });
    expect([revoked.status, await errorCodeOf(revoked)]).toEqual([401, "auth.api_key_invalid"]);
    expect((await fetch(`${server.url}${campaignPackagesPath}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect(await imports()).toEqual([]);
    expect((await keyCommand("list")).out).toMatch(/revoked \d{4}-\d\d-\d\d\n$/);
  });

  test("a key sees only pushed imports: an operator's upload is not found, nor is a malformed id", async () => {
    const key = await addKey();
    const cookie = await signInAsOperator(edge);
    const uploaded = await fetch(`${server.url}/operator/api/imports`, { method: "POST", headers: { cookie, "x-requested-with": "salescontrol", "content-type": "application/zip" }, body: goodPackage });
    const { import_id } = (await uploaded.json()) as { import_id: number };
    await edge.runtime.background.idle();
    const hidden = await fetch(`${server.url}${campaignPackagesPath}/${import_id}`, { headers: { authorization: `Bearer ${key}` } });
    expect([hidden.status, await errorCodeOf(hidden)]).toEqual([404, "import.not_found"]);
    expect((await fetch(`${server.url}${campaignPackagesPath}/abc`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(400);
  });
});

describe("salescontrol-edge api-key", () => {
  test("add prints the key once and stores only its digest; names are unique; list never shows a key", async () => {
    const key = await addKey("studio");
    expect(key).toMatch(/^sce_[A-Za-z0-9_-]{43}$/);
    const stored = await edge.database.client.execute("select * from machine_api_keys");
    expect(JSON.stringify(stored.rows)).not.toContain(key);
    expect(stored.rows[0]!.key_hash).toBe(new Bun.CryptoHasher("sha256").update(key).digest("hex"));
    const again = await keyCommand("add", "studio");
    expect(again).toMatchObject({ code: 1, out: "" });
    expect(again.err).toContain('a key named "studio" exists already');
    expect((await keyCommand("list")).out).not.toContain(key);
  });

  test("bad usage exits 2, a bad name or an unknown key exits 1", async () => {
    for (const args of [[], ["add"], ["add", "a", "b"], ["revoke"], ["list", "x"], ["rotate", "studio"]]) expect((await keyCommand(...args)).code).toBe(2);
    const badName = await keyCommand("add", "../etc");
    expect(badName.code).toBe(1);
    expect(badName.err).toContain("1 to 64 letters");
    const unknown = await keyCommand("revoke", "nobody");
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('no key named "nobody"') });
    expect((await keyCommand("list")).out).toBe("no API keys yet: salescontrol-edge api-key add <name>\n");
  });
});
