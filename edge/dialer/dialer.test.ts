import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, relative as relativePath } from "node:path";
import { unzipSync } from "fflate";
import { asteriskWavProblem, inspectWavHeader } from "../../shared/audio/wav-format.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, loopback } from "../testing/edge-test-kit.ts";
import { DefaultPromptError, loadDefaultPrompt } from "./default-prompt.ts";
import { parseRangeHeader } from "../../shared/http/http-representation.ts";

let dir: TempDir;
let edge: EdgeTestEnvironment;
let server: RunningHttpServer;
let importId: number;
let packageFiles: Record<string, Uint8Array>;
let leadIds: number[];
let packagePath: string;

beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment({ baseUrl: "http://127.0.0.1:8001" });
  const generated = await buildTestPackage(dir, "dialer.zip", { leads: 40, audioFiles: 9, ulaw: true, defaultAudio: true, campaignId: "DIAL" });
  leadIds = generated.leadIds;
  packagePath = generated.path;
  packageFiles = unzipSync(new Uint8Array(readFileSync(generated.path)));
  importId = (await importPackage(edge, generated.path)).import_id;
  server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server.stop();
  await edge.dispose();
  dir.remove();
});

const url = (path: string) => `http://127.0.0.1:8001${path}`;
const ask = (path: string, init: RequestInit = {}, remoteAddress = "127.0.0.1") => Promise.resolve(edge.fetch(new Request(url(path), init), { remoteAddress }));

function assertAsteriskWav(bytes: Uint8Array): void {
  const inspected = inspectWavHeader(bytes, bytes.length);
  expect(inspected.status).toBe("ok");
  if (inspected.status === "ok") expect(asteriskWavProblem(inspected.format)).toBeNull();
}

describe("lead lookups", () => {
  test("by lead_id: the lead's fields, its audio URLs and local files, and the campaign", async () => {
    const response = await ask(`/api/v1/leads/${leadIds[4]}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const lead = (await response.json()) as Record<string, any>;
    expect(lead).toMatchObject({
      lead_id: leadIds[4],
      vendor_lead_code: `V${String(leadIds[4]).padStart(8, "0")}`,
      phone_number: "5125550004",
      first_name: "Chen",
      city: "Omaha",
      audio_url: `http://127.0.0.1:8001/audio/${importId}/greeting/greeting-5.wav`,
      campaign: { id: "DIAL", name: "Demo campaign DIAL", import_id: importId },
    });
    expect(lead.audio.greeting).toEqual({
      url: `http://127.0.0.1:8001/audio/${importId}/greeting/greeting-5.wav`,
      ulaw_url: `http://127.0.0.1:8001/audio/${importId}/greeting/greeting-5.ulaw`,
      file: `${edge.config.audioStoragePath}/${importId}/greeting/greeting-5`,
      duration_ms: expect.any(Number),
      default_prompt: false,
    });
    // The local file is what Asterisk's Playback() would open (path without extension).
    expect(readFileSync(`${lead.audio.greeting.file}.wav`)).toEqual(Buffer.from(packageFiles["audio/greeting/greeting-5.wav"]!));
  });

  test("by vendor_lead_code, by phone number in any notation, and by query string", async () => {
    const byVendor = (await (await ask(`/api/v1/leads/by-vendor-code/V${String(leadIds[7]).padStart(8, "0")}`)).json()) as Record<string, unknown>;
    expect(byVendor.lead_id).toBe(leadIds[7]);
    const byPhone = (await (await ask(`/api/v1/leads/by-phone/${encodeURIComponent("(512) 555-0007")}`)).json()) as Record<string, unknown>;
    expect(byPhone).toMatchObject({ lead_id: leadIds[7], matches: 1 });
    const byQuery = (await (await ask(`/api/v1/lead?phone_number=5125550007`)).json()) as Record<string, unknown>;
    expect(byQuery).toEqual(byPhone);
    expect(((await (await ask(`/api/v1/lead?lead_id=${leadIds[7]}`)).json()) as Record<string, unknown>).lead_id).toBe(leadIds[7]);
  });

  test("key=value text for AGI scripts", async () => {
    const response = await ask(`/api/v1/leads/${leadIds[0]}?format=text`);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await response.text();
    const values = Object.fromEntries(text.trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
    expect(values).toMatchObject({
      found: "1",
      lead_id: String(leadIds[0]),
      first_name: "Maria",
      comments: 'Asked for a call back "after 5pm", prefers email',
      audio_greeting_url: `http://127.0.0.1:8001/audio/${importId}/greeting/greeting-1.wav`,
      audio_greeting_file: `${edge.config.audioStoragePath}/${importId}/greeting/greeting-1`,
      audio_offer_url: `http://127.0.0.1:8001/audio/${importId}/offer/offer-1.wav`,
      campaign_id: "DIAL",
      import_id: String(importId),
    });
    const missing = await ask("/api/v1/leads/99999?format=text");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toStartWith("found=0\nerror=lead.not_found\n");
  });

  test.each([
    ["/api/v1/leads/99999", 404, "lead.not_found"],
    ["/api/v1/leads/by-vendor-code/NOPE", 404, "lead.not_found"],
    ["/api/v1/leads/12x", 400, "lead.bad_query"],
    ["/api/v1/leads/by-phone/abc", 400, "lead.bad_query"],
    ["/api/v1/lead?lead_id=1&phone_number=2", 400, "lead.bad_query"],
    ["/api/v1/lead", 400, "lead.bad_query"],
    ["/api/v1/leads/by-vendor-code/%E0%A4%A", 400, "lead.bad_query"],
    ["/api/v1/leads/1001/../../etc/passwd", 404, "route.not_found"],
  ])("%s → %d %s", async (path, status, code) => {
    const response = await ask(path);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  test("the active campaign's summary", async () => {
    expect(await (await ask("/api/v1/campaign")).json()).toMatchObject({ id: "DIAL", import_id: importId, leads: 40, audio_files: 20, audio_slots: ["greeting", "offer"] });
  });

  test("only loopback clients by default; other addresses only when DIALER_ALLOW_FROM names them", async () => {
    for (const path of [`/api/v1/leads/${leadIds[0]}`, `/audio/${importId}/greeting/greeting-1.wav`, "/api/v1/campaign"]) {
      const refused = await ask(path, {}, "203.0.113.5");
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("dialer.forbidden");
    }
    const network = await createEdgeTestEnvironment({ env: { DIALER_ALLOW_FROM: "loopback,10.20.0.0/16" } });
    try {
      expect((await network.fetch(new Request(url("/api/v1/campaign")), { remoteAddress: "10.20.3.4" }))!.status).toBe(404);
      expect((await network.fetch(new Request(url("/api/v1/campaign")), { remoteAddress: "10.21.3.4" }))!.status).toBe(403);
    } finally {
      await network.dispose();
    }
  });

  test("a proxy on this host does not make its clients loopback: forwarded requests are refused unless TRUSTED_PROXIES names the proxy", async () => {
    const paths = [`/api/v1/leads/${leadIds[0]}`, `/audio/${importId}/greeting/greeting-1.wav`, "/api/v1/campaign"];
    for (const path of paths) {
      for (const header of ["x-forwarded-for", "x-real-ip", "forwarded"]) {
        const value = header === "forwarded" ? "for=203.0.113.5" : "203.0.113.5";
        const refused = await ask(path, { headers: { [header]: value } });
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("dialer.forbidden");
      }
      // Claiming to be loopback through an untrusted proxy does not help either.
      expect((await ask(path, { headers: { "x-forwarded-for": "127.0.0.1" } })).status).toBe(403);
      expect((await ask(path)).status).toBe(200);
    }
    const proxied = await createEdgeTestEnvironment({ env: { TRUSTED_PROXIES: "loopback", DIALER_ALLOW_FROM: "loopback,10.20.0.0/16" } });
    try {
      const viaProxy = (client: string) => proxied.fetch(new Request(url("/api/v1/campaign"), { headers: { "x-forwarded-for": client } }), { remoteAddress: "127.0.0.1" });
      expect((await viaProxy("10.20.3.4"))!.status).toBe(404);
      expect((await viaProxy("127.0.0.1"))!.status).toBe(404);
      expect((await viaProxy("203.0.113.5"))!.status).toBe(403);
      // A stranger connecting directly cannot forge the header: it is not from the trusted proxy.
      expect((await proxied.fetch(new Request(url("/api/v1/campaign"), { headers: { "x-forwarded-for": "10.20.3.4" } }), { remoteAddress: "203.0.113.5" }))!.status).toBe(403);
    } finally {
      await proxied.dispose();
    }
  });

  test("a relative AUDIO_STORAGE_PATH still gives Asterisk absolute file paths", async () => {
    const relativeDir = makeTempDir();
    const relative = createEdgeTestEnvironment({ env: { AUDIO_STORAGE_PATH: relativePath(process.cwd(), relativeDir.join("campaigns")) } });
    const environment = await relative;
    try {
      const imported = (await importPackage(environment, packagePath)).import_id;
      const response = await environment.fetch(new Request(url(`/api/v1/leads/${leadIds[4]}?format=text`)), loopback);
      const lines = (await response!.text()).split("\n");
      const file = lines.find((line) => line.startsWith("audio_greeting_file="))!.slice("audio_greeting_file=".length);
      expect(isAbsolute(file)).toBe(true);
      expect(file).toBe(relativeDir.join("campaigns", String(imported), "greeting", "greeting-5"));
    } finally {
      await environment.dispose();
      relativeDir.remove();
    }
  });

  test("methods other than GET and HEAD are refused", async () => {
    const response = await ask(`/api/v1/leads/${leadIds[0]}`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  test("an edge without a campaign says so", async () => {
    const empty = await createEdgeTestEnvironment();
    try {
      const response = await empty.fetch(new Request(url("/api/v1/leads/1001")), loopback);
      expect(response!.status).toBe(404);
      expect(((await response!.json()) as { error: { code: string } }).error.code).toBe("campaign.not_deployed");
    } finally {
      await empty.dispose();
    }
  });
});

describe("audio files (RFC 9110)", () => {
  const path = () => `/audio/${importId}/greeting/greeting-2.wav`;
  const original = () => packageFiles["audio/greeting/greeting-2.wav"]!;

  test("GET: the imported bytes with type, length, strong content-hash ETag and caching headers", async () => {
    const response = await ask(path());
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(body)).toEqual(Buffer.from(original()));
    expect(response.headers.get("content-type")).toBe("audio/wav");
    expect(response.headers.get("content-length")).toBe(String(original().length));
    expect(response.headers.get("etag")).toBe(`"${new Bun.CryptoHasher("sha256").update(original()).digest("hex")}"`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(Date.parse(response.headers.get("last-modified")!)).toBeGreaterThan(0);
  });

  test("HEAD over a real socket: the GET headers and Content-Length, no body", async () => {
    const response = await fetch(`${server.url}${path()}`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(original().length));
    expect(response.headers.get("content-type")).toBe("audio/wav");
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  test("If-None-Match: 304 with the validators, for exact, listed, weak and * tags", async () => {
    const etag = (await ask(path())).headers.get("etag")!;
    for (const header of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const response = await ask(path(), { headers: { "if-none-match": header } });
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("cache-control")).toBe("public, max-age=86400");
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await ask(path(), { headers: { "if-none-match": '"stale"' } })).status).toBe(200);
  });

  test("If-Modified-Since: 304 when not modified since, ignored when If-None-Match is present", async () => {
    const lastModified = (await ask(path())).headers.get("last-modified")!;
    expect((await ask(path(), { headers: { "if-modified-since": lastModified } })).status).toBe(304);
    expect((await ask(path(), { headers: { "if-modified-since": "Thu, 01 Jan 1970 00:00:00 GMT" } })).status).toBe(200);
    expect((await ask(path(), { headers: { "if-modified-since": lastModified, "if-none-match": '"stale"' } })).status).toBe(200);
    expect((await ask(path(), { headers: { "if-modified-since": "not a date" } })).status).toBe(200);
  });

  test("If-Match and If-Unmodified-Since: 412 when they fail", async () => {
    const etag = (await ask(path())).headers.get("etag")!;
    expect((await ask(path(), { headers: { "if-match": '"stale"' } })).status).toBe(412);
    expect((await ask(path(), { headers: { "if-match": `W/${etag}` } })).status).toBe(412);
    expect((await ask(path(), { headers: { "if-match": etag } })).status).toBe(200);
    expect((await ask(path(), { headers: { "if-unmodified-since": "Thu, 01 Jan 1970 00:00:00 GMT" } })).status).toBe(412);
  });

  test("byte ranges: first bytes, a suffix, an open end", async () => {
    const bytes = original();
    const size = bytes.length;
    for (const [range, start, end] of [
      ["bytes=0-99", 0, 99],
      ["bytes=-100", size - 100, size - 1],
      ["bytes=1000-", 1000, size - 1],
      ["bytes=10-999999999", 10, size - 1],
    ] as const) {
      const response = await ask(path(), { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
      expect(response.headers.get("content-type")).toBe("audio/wav");
      expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(bytes.subarray(start, end + 1)));
    }
  });

  test("several ranges come back as multipart/byteranges", async () => {
    const response = await ask(path(), { headers: { range: "bytes=0-9, 20-29" } });
    expect(response.status).toBe(206);
    const type = response.headers.get("content-type")!;
    expect(type).toStartWith("multipart/byteranges; boundary=");
    const boundary = type.split("boundary=")[1]!;
    const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
    const parts = body.split(`--${boundary}`).slice(1, -1);
    expect(parts.length).toBe(2);
    expect(parts[0]).toContain(`Content-Range: bytes 0-9/${original().length}`);
    expect(parts[1]).toContain(`Content-Range: bytes 20-29/${original().length}`);
    expect(parts[1]!.split("\r\n\r\n")[1]!.slice(0, 10)).toBe(Buffer.from(original().subarray(20, 30)).toString("latin1"));
  });

  test("unsatisfiable ranges get 416; malformed ones and stale If-Range get the whole file", async () => {
    const size = original().length;
    const unsatisfiable = await ask(path(), { headers: { range: `bytes=${size}-` } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("content-range")).toBe(`bytes */${size}`);
    for (const range of ["bytes=abc", "items=0-5", "bytes=9-3"]) expect((await ask(path(), { headers: { range } })).status).toBe(200);
    const etag = (await ask(path())).headers.get("etag")!;
    expect((await ask(path(), { headers: { range: "bytes=0-9", "if-range": etag } })).status).toBe(206);
    expect((await ask(path(), { headers: { range: "bytes=0-9", "if-range": '"stale"' } })).status).toBe(200);
    expect((await ask(path(), { method: "HEAD", headers: { range: "bytes=0-9" } })).status).toBe(200);
  });

  test("range parsing follows the grammar", () => {
    expect(parseRangeHeader("bytes=0-0,-1", 10)).toEqual([[0, 0], [9, 9]]);
    expect(parseRangeHeader("bytes= 5 - 6 ", 10)).toEqual([[5, 6]]);
    expect(parseRangeHeader("bytes=-0", 10)).toEqual([]);
    expect(parseRangeHeader(`bytes=${"1-2,".repeat(17)}1-2`, 10)).toBeNull();
  });

  test(".ulaw siblings are served as audio/basic", async () => {
    const response = await ask(`/audio/${importId}/greeting/greeting-2.ulaw`);
    expect(response.headers.get("content-type")).toBe("audio/basic");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(packageFiles["audio/greeting/greeting-2.ulaw"]!));
  });

  test("every audio the dialer can be handed passes Asterisk's format check", async () => {
    const urls = new Set<string>([url("/audio/default.wav"), url(`/audio/${importId}/nothing-here.wav`)]);
    for (const leadId of leadIds) {
      const lead = (await (await ask(`/api/v1/leads/${leadId}`)).json()) as { audio: Record<string, { url: string }> };
      for (const slot of Object.values(lead.audio)) urls.add(slot.url);
    }
    expect(urls.size).toBe(2 + 6 + 3);
    for (const audioUrl of urls) {
      const response = await edge.fetch(new Request(audioUrl), loopback);
      expect(response!.status).toBe(200);
      assertAsteriskWav(new Uint8Array(await response!.arrayBuffer()));
    }
    // And ffprobe agrees about one of them.
    const sample = dir.join("sample.wav");
    writeFileSync(sample, new Uint8Array(await (await ask(`/audio/${importId}/offer/offer-1.wav`)).arrayBuffer()));
    const probe = await runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", sample]);
    expect(probe.stdout.trim()).toBe("pcm_s16le,8000,1");
  });
});

describe("missing audio never means a 404", () => {
  test("unknown files, files deleted or damaged on disk: the campaign's default prompt, marked and not cached", async () => {
    const fresh = await createEdgeTestEnvironment();
    try {
      const freshImport = (await importPackage(fresh, packagePath)).import_id;
      const get = async (path: string) => (await fresh.fetch(new Request(url(path)), loopback))!;
      const prompt = Buffer.from(packageFiles["audio/default.wav"]!);
      const unknown = await get(`/audio/${freshImport}/greeting/not-in-campaign.wav`);
      expect(unknown.status).toBe(200);
      expect(unknown.headers.get("x-audio-fallback")).toBe("unknown_file");
      expect(unknown.headers.get("cache-control")).toBe("no-cache");
      expect(Buffer.from(await unknown.arrayBuffer())).toEqual(prompt);
      expect((await get("/audio/424242/greeting/greeting-1.wav")).headers.get("x-audio-fallback")).toBe("unknown_file");
      expect((await get("/audio/not-an-import.wav")).headers.get("x-audio-fallback")).toBe("unknown_file");

      rmSync(`${fresh.config.audioStoragePath}/${freshImport}/greeting/greeting-6.wav`);
      const deleted = await get(`/audio/${freshImport}/greeting/greeting-6.wav`);
      expect(deleted.status).toBe(200);
      expect(deleted.headers.get("x-audio-fallback")).toBe("missing_file");
      expect(Buffer.from(await deleted.arrayBuffer())).toEqual(prompt);

      const damagedPath = `${fresh.config.audioStoragePath}/${freshImport}/offer/offer-3.wav`;
      const bytes = readFileSync(damagedPath);
      bytes[bytes.length - 1]! ^= 0xff;
      writeFileSync(damagedPath, bytes);
      const damaged = await get(`/audio/${freshImport}/offer/offer-3.wav`);
      expect(damaged.headers.get("x-audio-fallback")).toBe("damaged_file");
      expect(Buffer.from(await damaged.arrayBuffer())).toEqual(prompt);

      const metrics = await (await fresh.app.request("/metrics", {}, loopback)).text();
      expect(metrics).toContain('edge_audio_fallbacks_total{reason="missing_file"} 1');
      expect(metrics).toContain('edge_audio_fallbacks_total{reason="damaged_file"} 1');
    } finally {
      await fresh.dispose();
    }
  });

  test("without a campaign prompt: the configured DEFAULT_PROMPT_PATH, or a second of silence", async () => {
    const promptPath = dir.join("prompt.wav");
    writeFileSync(promptPath, packageFiles["audio/offer/offer-1.wav"]!);
    const configured = await createEdgeTestEnvironment({ env: { DEFAULT_PROMPT_PATH: promptPath } });
    const builtIn = await createEdgeTestEnvironment();
    try {
      const fromConfig = await configured.fetch(new Request(url("/audio/1/x.wav")), loopback);
      expect(Buffer.from(await fromConfig!.arrayBuffer())).toEqual(Buffer.from(packageFiles["audio/offer/offer-1.wav"]!));
      const silence = new Uint8Array(await (await builtIn.fetch(new Request(url("/audio/default.wav")), loopback))!.arrayBuffer());
      assertAsteriskWav(silence);
      expect(silence.length).toBe(44 + 16000);
      const ulaw = await builtIn.fetch(new Request(url("/audio/default.ulaw")), loopback);
      expect(ulaw!.headers.get("content-type")).toBe("audio/basic");
      expect((await ulaw!.arrayBuffer()).byteLength).toBe(8000);
    } finally {
      await configured.dispose();
      await builtIn.dispose();
    }
  });

  test("a DEFAULT_PROMPT_PATH Asterisk cannot play stops the edge at start with the reason", async () => {
    const stereo = dir.join("stereo.wav");
    await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=0.2", "-ar", "44100", "-ac", "2", stereo]);
    await expect(loadDefaultPrompt(stereo)).rejects.toThrow(new DefaultPromptError(`DEFAULT_PROMPT_PATH ${stereo} is 44100 Hz instead of 8000 Hz, stereo instead of mono; convert it with: ffmpeg -i in.wav -ar 8000 -ac 1 -c:a pcm_s16le out.wav`));
    await expect(loadDefaultPrompt(dir.join("absent.wav"))).rejects.toThrow("cannot be read: ENOENT");
  });
});
