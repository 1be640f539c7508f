/**
 * Every route of the core refuses every credential that is not its own: no token, forged ones, the
 * other roles' tokens, a device's token, tenant keys that are revoked or lack the scope, and keys sent
 * in the wrong header. Routes are read from the app itself, so a new route must be classified here.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { createTestCore, type TestCore, type TestDevice, testAdminToken, testInternalToken } from "./testing/core-test-app.ts";

let core: TestCore;
let device: TestDevice;
const keys: Record<"full" | "statsOnly" | "callResultsOnly" | "revoked", string> = { full: "", statsOnly: "", callResultsOnly: "", revoked: "" };

/** Each tenant route's scope (null: any valid key). */
const tenantRouteScopes: Record<string, "call_results" | "dids_next" | "stats" | "manage" | null> = {
  "POST /api/v1/call-results": "call_results",
  "POST /api/v1/call-results/batch": "call_results",
  "GET /api/v1/call-results/:uniqueid": "stats",
  "POST /api/v1/health": null,
  "GET /api/v1/dispositions": "stats",
  "PUT /api/v1/dispositions/:status": "manage",
  "DELETE /api/v1/dispositions/:status": "manage",
  "GET /api/v1/stats/dids": "stats",
  "GET /api/v1/stats/campaigns": "stats",
  "GET /api/v1/stats/hours": "stats",
  "GET /api/v1/dids/next": "dids_next",
  "GET /api/v1/dids": "stats",
  "POST /api/v1/dids": "manage",
  "PATCH /api/v1/dids/:didId": "manage",
  "DELETE /api/v1/dids/:didId": "manage",
};
/**
 * Signing in and out is open to anyone (logging out ends only the session whose cookie comes with it);
 * the pages are shells without data, which their scripts read from the dashboard API.
 */
const publicRoutes = new Set([
  "GET /health", "GET /metrics", "GET /login", "GET /dashboard", "GET /dialogues", "GET /dialogues/:dialogue_id", "GET /what-works", "GET /points", "GET /recorders", "GET /rooms/:campaign_id", "GET /studio", "GET /studio/:campaign_id", "GET /studio/:campaign_id/review", "POST /operator/api/login", "POST /operator/api/logout", "GET /favicon.svg", "GET /favicon.ico",
  // The agent console's shell (it sends a visitor without a session to sign in), and the audio Twilio fetches for <Play>:
  // the queue's music, and a voicemail only under its call's unguessable id while that call is dropping it.
  "GET /dialer/:campaign_id", "GET /api/voice/hold-music.wav", "GET /api/voice/voicemail/:file",
]);

type Role = "admin" | "dashboard" | "internal" | "device" | "tenant" | "operator" | "twilio";
function roleOf(route: string): Role {
  const path = route.split(" ")[1]!;
  if (path.startsWith("/api/v1/admin/")) return "admin";
  if (path.startsWith("/api/v1/analytics/") || path.startsWith("/api/v1/dialogues") || path.startsWith("/api/v1/studio/") || path.startsWith("/ws/") || path.startsWith("/api/campaigns/") || path.startsWith("/api/audio/")) return "dashboard";
  // The Twilio dialer's campaign API is the dashboard's; its webhooks take Twilio's signature and nothing else.
  if (path === "/api/campaign" || path.startsWith("/api/campaign/") || path === "/api/token") return "dashboard";
  if (path.startsWith("/api/voice/")) return "twilio";
  if (path.startsWith("/api/v1/internal/")) return "internal";
  if (path === "/api/v1/chunks") return "device";
  if (path === "/operator/api/session") return "operator";
  if (route in tenantRouteScopes) return "tenant";
  throw new Error(`${route} is not classified in the auth matrix: add it to a role`);
}

beforeAll(async () => {
  // With the dialer on, so that its webhooks answer as they do in production.
  core = await createTestCore({ TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`, TWILIO_AUTH_TOKEN: "0123456789abcdef0123456789abcdef", TWILIO_PHONE_NUMBER: "+15559870002", BASE_URL: "https://dialer.example.com", TWILIO_API_BASE_URL: "http://127.0.0.1:9" });
  device = await core.registerDevice();
  const tenant = (await (await core.admin("/api/v1/admin/tenants", { method: "POST", body: JSON.stringify({ name: "Matrix" }) })).json()) as { tenant: { id: string } };
  const createKey = async (scopes: string[]) =>
    (await (await core.admin(`/api/v1/admin/tenants/${tenant.tenant.id}/api-keys`, { method: "POST", body: JSON.stringify({ name: scopes.join("+"), scopes }) })).json()) as { key: string; apiKey: { id: string } };
  keys.full = (await createKey(["call_results", "dids_next", "stats", "manage"])).key;
  keys.statsOnly = (await createKey(["stats"])).key;
  keys.callResultsOnly = (await createKey(["call_results"])).key;
  const revoked = await createKey(["call_results", "dids_next", "stats", "manage"]);
  keys.revoked = revoked.key;
  expect((await core.admin(`/api/v1/admin/tenants/${tenant.tenant.id}/api-keys/${revoked.apiKey.id}`, { method: "DELETE" })).status).toBe(200);
});
afterAll(() => core.dispose());

function routes(): string[] {
  return [...new Set(core.app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`))].filter((route) => !publicRoutes.has(route));
}

function credentials(): Record<string, Record<string, string>> {
  return {
    none: {},
    "forged bearer": { authorization: "Bearer forged-token-0123456789abcdef" },
    "forged api key": { "x-api-key": "sc_forged_0123456789abcdef" },
    "admin token": { authorization: `Bearer ${testAdminToken}` },
    "admin token, one character more": { authorization: `Bearer ${testAdminToken}x` },
    "admin token as basic auth": { authorization: `Basic ${btoa(`admin:${testAdminToken}`)}` },
    "internal token": { authorization: `Bearer ${testInternalToken}` },
    "device token": { authorization: `Bearer ${device.token}` },
    "admin token as api key": { "x-api-key": testAdminToken },
    "device token as api key": { "x-api-key": device.token },
    "api key as bearer": { authorization: `Bearer ${keys.full}` },
    "revoked api key": { "x-api-key": keys.revoked },
    "stats-only api key": { "x-api-key": keys.statsOnly },
    "call_results-only api key": { "x-api-key": keys.callResultsOnly },
    "full api key": { "x-api-key": keys.full },
  };
}

function accepted(route: string, credential: string): boolean {
  const role = roleOf(route);
  // The dashboard's API takes the admin token (operator sessions with a point scope slot in beside it).
  if (role === "admin" || role === "dashboard") return credential === "admin token";
  if (role === "internal") return credential === "internal token";
  if (role === "device") return credential === "device token";
  // Only an operator's session cookie, or Twilio's signature, which no token here is.
  if (role === "operator" || role === "twilio") return false;
  const scope = tenantRouteScopes[route];
  if (credential === "full api key") return true;
  if (credential === "stats-only api key") return scope === null || scope === "stats";
  if (credential === "call_results-only api key") return scope === null || scope === "call_results";
  return false;
}

let requestCount = 0;
async function send(route: string, headers: Record<string, string>): Promise<Response> {
  const [method, pattern] = route.split(" ") as [string, string];
  const path = pattern.replace(/:stage/, "asr").replace(/:[A-Za-z_]+/g, randomUUID()).replace("*", "x");
  const body = method === "GET" || method === "DELETE" ? undefined : "{}";
  // A new address per request: the throttle of refused credentials must not hide what each route answers.
  requestCount++;
  const remoteAddress = `10.${(requestCount >> 16) & 255}.${(requestCount >> 8) & 255}.${requestCount & 255}`;
  return core.app.request(path, { method, body, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) } }, { remoteAddress });
}

describe("the core's auth matrix", () => {
  test("every route is classified, and the matrix covers them all", () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(40);
    for (const route of all) expect(["admin", "dashboard", "internal", "device", "tenant", "operator", "twilio"]).toContain(roleOf(route));
  });

  test("every route refuses every credential that is not its own, and accepts its own", async () => {
    const failures: string[] = [];
    let refusals = 0;
    for (const route of routes()) {
      for (const [name, headers] of Object.entries(credentials())) {
        const response = await send(route, headers);
        const refused = response.status === 401 || response.status === 403;
        if (accepted(route, name) === refused) failures.push(`${route} with ${name}: ${response.status} ${await response.text()}`);
        if (refused) refusals++;
      }
    }
    expect(failures).toEqual([]);
    expect(refusals).toBeGreaterThan(500);
  });
});
