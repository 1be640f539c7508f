/**
 * The core from source under Deno 2 (`deno run` with the README's permissions) on a fresh data
 * directory: it ingests a chunk, finds its speech with the WASM decoder and VAD, transcribes and
 * analyses the dialogue through an OpenAI-compatible server, and answers the admin and call-results
 * APIs, with their refusals.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { startDenoNode } from "../shared/testing/deno-node.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { driveCoreThroughAnalysis, expectSpeechFound, transcribingCoreEnv, uploadSpeechChunk } from "./testing/core-over-http.ts";
import { startOpenAiCompatibleServer } from "./testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "./testing/sales-corpus.ts";

const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

describe("core under Deno", () => {
  test("ingests a chunk, finds its speech, transcribes and analyses it; admin and call-results APIs with their refusals", async () => {
    const dir = makeTempDir("salescontrol-core-deno-");
    dirs.push(dir);
    mkdirSync(dir.join("tmp"));
    const adminToken = randomUUID();
    const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
    const env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8", DATA_DIR: dir.join("data"), PORT: "0", HOST: "127.0.0.1", ...transcribingCoreEnv(adminToken, provider.baseUrl) };
    const core = await startDenoNode("core", ["serve"], { env, dataDir: dir.join("data"), workDir: dir.path });
    try {
      const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
      const get = async (path: string, headers: Record<string, string> = admin) => fetch(`${core.url}${path}`, { headers });
      expect((await get("/api/v1/admin/dialogues", { authorization: "Bearer not-the-token" })).status).toBe(401);
      await driveCoreThroughAnalysis(core.url, adminToken, dir.join("data/audio"), expect);

      // The call-results API: a tenant and key made through the admin API, a result recorded and read back.
      const tenant = await fetch(`${core.url}/api/v1/admin/tenants`, { method: "POST", headers: admin, body: JSON.stringify({ name: "Acme" }) });
      expect(tenant.status).toBe(201);
      const tenantId = ((await tenant.json()) as { tenant: { id: string } }).tenant.id;
      const keyResponse = await fetch(`${core.url}/api/v1/admin/tenants/${tenantId}/api-keys`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ name: "dialer", scopes: ["call_results", "stats"] }),
      });
      expect(keyResponse.status).toBe(201);
      const key = ((await keyResponse.json()) as { key: string }).key;
      const result = { uniqueid: "1768467600.42", leadId: 1001, campaignId: "OUTBND", phoneNumber: "4155550100", disposition: "SALE", duration: 45, agentId: "agent001", startEpoch: 1_768_467_600 };
      const post = (headers: Record<string, string>, body: unknown) =>
        fetch(`${core.url}/api/v1/call-results`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

      expect((await post({}, result)).status).toBe(401);
      const invalid = await post({ "x-api-key": key }, { ...result, uniqueid: "" });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("request.invalid");
      const recorded = await post({ "x-api-key": key }, result);
      expect(recorded.status).toBe(200);
      expect(await recorded.json()).toMatchObject({ success: true, data: { uniqueid: "1768467600.42", disposition: "SALE", result: "answered", outcome: "created" } });
      const readBack = await get("/api/v1/call-results/1768467600.42", { "x-api-key": key });
      expect(readBack.status).toBe(200);
      expect(await readBack.json()).toMatchObject({ success: true, data: { uniqueid: "1768467600.42", disposition: "SALE", duration: 45 } });

      // The campaign socket upgrades under Deno too: refused without a credential, open with the token,
      // and a malformed message is answered with its error code.
      expect((await fetch(`${core.url}/api/v1/studio/campaigns`, { method: "POST", headers: admin, body: JSON.stringify({ id: "deno-room", name: "Deno room", language: "en" }) })).status).toBe(201);
      expect((await get("/ws/deno-room", { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" })).status).toBe(401);
      const socket = new WebSocket(`${core.url.replace("http:", "ws:")}/ws/deno-room`, { headers: { authorization: `Bearer ${adminToken}` } } as unknown as string[]);
      const received: Array<Record<string, unknown>> = [];
      const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
        socket.addEventListener("open", () => socket.send("not json"));
        socket.addEventListener("message", (event) => {
          received.push(JSON.parse(String(event.data)) as Record<string, unknown>);
          const error = received.find((message) => message.type === "error");
          if (error && received.some((message) => message.type === "playback_queue_updated")) resolve(error);
        });
        socket.addEventListener("error", () => reject(new Error("the campaign socket failed under Deno")));
      });
      socket.close();
      expect(reply).toMatchObject({ type: "error", code: "socket.malformed_json" });
      // The listening room's snapshot comes on connect, under Deno as under Bun.
      expect(received).toContainEqual(expect.objectContaining({ type: "playback_queue_updated", reason: "snapshot", campaign_id: "deno-room" }));
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await provider.stop();
    }
  });

  test("`core worker --role vad` under Deno pulls the chunk's job from a core under Deno and finds its speech", async () => {
    const dir = makeTempDir("salescontrol-core-worker-deno-");
    dirs.push(dir);
    mkdirSync(dir.join("tmp"));
    const adminToken = randomUUID();
    const internalToken = randomUUID();
    const base = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8" };
    const core = await startDenoNode("core", ["serve"], {
      env: { ...base, DATA_DIR: dir.join("data"), PORT: "0", HOST: "127.0.0.1", ADMIN_TOKEN: adminToken, INTERNAL_TOKEN: internalToken, VAD_IN_PROCESS: "false" },
      dataDir: dir.join("data"),
      workDir: dir.path,
    });
    const workerData = dir.join("worker-data");
    const worker = await startDenoNode("core", ["worker", "--role", "vad", "--core-url", core.url], {
      env: { ...base, DATA_DIR: workerData, INTERNAL_TOKEN: internalToken },
      dataDir: workerData,
      workDir: dir.path,
      readyMessage: "worker started",
    });
    try {
      await expectSpeechFound(core.url, adminToken, await uploadSpeechChunk(core.url, adminToken, expect), expect);
    } finally {
      expect(await worker.stop("SIGTERM")).toBe(0);
      expect(await core.stop("SIGTERM")).toBe(0);
    }
  });
});
