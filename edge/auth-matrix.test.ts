/**
 * Every route of the edge refuses every caller that is not its own: the operator pages and APIs
 * anyone without a live session (no cookie, a forged one, one that was logged out, one of a removed
 * operator, one from before a password change), and the dialer API anyone who is not an allowed
 * address (a remote one, or anyone behind an untrusted proxy). Routes are read from the app itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, signInAsOperator, testOperator } from "./testing/edge-test-kit.ts";
import { addOperator, changeOperatorPassword, removeOperator } from "../shared/accounts/accounts.usecases.ts";
import { addMachineKey, revokeMachineKey } from "./machine-keys/machine-keys.usecases.ts";

let dir: TempDir;
let edge: EdgeTestEnvironment;
let importId: number;
let leadId: number;
const sessions: Record<string, string> = {};

/** Logging out ends only the session whose cookie comes with it, so anyone may call it; the sign-in page shows the favicon. */
const publicRoutes = new Set(["GET /health", "GET /metrics", "GET /login", "POST /operator/api/login", "POST /operator/api/logout", "GET /", "GET /favicon.svg", "GET /favicon.ico"]);
/** A machine's routes take one of the edge's API keys, never an operator's session. */
const machineRoutes = new Set(["GET /api/v1/campaign-packages", "POST /api/v1/campaign-packages", "GET /api/v1/campaign-packages/:id"]);
const remote = { remoteAddress: "192.0.2.10" };
const sameOrigin = { "x-requested-with": "salescontrol" };

async function signIn(username: string, password: string): Promise<string> {
  const response = await edge.app.request("/operator/api/login", { method: "POST", headers: { "content-type": "application/json", ...sameOrigin }, body: JSON.stringify({ username, password }) }, remote);
  expect(response.status).toBe(200);
  return /salescontrol_edge_session=[^;]+/.exec(response.headers.get("set-cookie") ?? "")![0];
}

beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment();
  const generated = await buildTestPackage(dir, "matrix.zip", { leads: 4, audioFiles: 2, campaignId: "MATRIX" });
  leadId = generated.leadIds[0]!;
  importId = (await importPackage(edge, generated.path)).import_id;
  sessions.live = await signInAsOperator(edge);
  const loggedOut = await signIn(testOperator.username, testOperator.password);
  expect((await edge.app.request("/operator/api/logout", { method: "POST", headers: { cookie: loggedOut, ...sameOrigin } }, remote)).status).toBeLessThan(400);
  sessions.loggedOut = loggedOut;
  await addOperator(edge.runtime.operators, "ivan", "another long passphrase");
  sessions.removed = await signIn("ivan", "another long passphrase");
  await removeOperator(edge.runtime.operators, "ivan");
  await addOperator(edge.runtime.operators, "petra", "a third long passphrase");
  sessions.beforePasswordChange = await signIn("petra", "a third long passphrase");
  await changeOperatorPassword(edge.runtime.operators, "petra", "petra's new passphrase");
});
afterAll(async () => {
  await edge.dispose();
  dir.remove();
});

function operatorRoutes(): string[] {
  return allRoutes().filter((route) => !machineRoutes.has(route));
}

function allRoutes(): string[] {
  return [...new Set(edge.app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`))].filter((route) => !publicRoutes.has(route));
}

function send(route: string, headers: Record<string, string>, bindings = remote): Promise<Response> {
  const [method, pattern] = route.split(" ") as [string, string];
  const path = pattern.replace(":importId", String(importId)).replace(":id", "1").replace("*", "greeting/greeting-1.wav");
  const body = method === "POST" ? "{}" : undefined;
  const bodyHeaders: Record<string, string> = body ? { "content-type": "application/json", "content-length": String(body.length) } : {};
  return Promise.resolve(edge.fetch(new Request(`http://127.0.0.1:8001${path}`, { method, body, headers: { ...sameOrigin, ...headers, ...bodyHeaders } }), bindings));
}

const refusedOrSentToLogin = (response: Response) =>
  response.status === 401 || response.status === 403 || (response.status === 303 && (response.headers.get("location") ?? "").startsWith("/login"));

describe("the edge's auth matrix", () => {
  test("every operator route refuses every caller without a live session, and admits a live one", async () => {
    const callers: Record<string, Record<string, string>> = {
      none: {},
      "forged cookie": { cookie: "salescontrol_edge_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      "logged-out session": { cookie: sessions.loggedOut! },
      "removed operator's session": { cookie: sessions.removed! },
      "session from before a password change": { cookie: sessions.beforePasswordChange! },
      "bearer token instead of a session": { authorization: "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    };
    const failures: string[] = [];
    const routes = operatorRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) {
      for (const [name, headers] of Object.entries(callers)) {
        const response = await send(route, headers);
        if (!refusedOrSentToLogin(response)) failures.push(`${route} with ${name}: ${response.status}`);
      }
      // A POST from a live session but another site is refused too (cross-site request forgery).
      if (route.startsWith("POST ")) {
        const crossSite = await send(route, { cookie: sessions.live!, origin: "https://evil.example" });
        if (crossSite.status !== 403) failures.push(`${route} cross-site with a live session: ${crossSite.status}`);
      }
      const live = await send(route, { cookie: sessions.live! });
      if (refusedOrSentToLogin(live)) failures.push(`${route} with a live session was refused: ${live.status}`);
    }
    expect(failures).toEqual([]);
  });

  test("every machine route refuses every caller without a live API key, operators' sessions included, and admits a live key", async () => {
    expect(allRoutes().filter((route) => machineRoutes.has(route)).sort()).toEqual([...machineRoutes].sort());
    const live = (await addMachineKey(edge.runtime.machineKeys, "matrix")).key;
    const revoked = (await addMachineKey(edge.runtime.machineKeys, "matrix-revoked")).key;
    await revokeMachineKey(edge.runtime.machineKeys, "matrix-revoked");
    const callers: Record<string, Record<string, string>> = {
      none: {},
      "forged key": { authorization: `Bearer sce_${"A".repeat(43)}` },
      "revoked key": { authorization: `Bearer ${revoked}` },
      "live key as basic auth": { authorization: `Basic ${btoa(`studio:${live}`)}` },
      "live key in x-api-key": { "x-api-key": live },
      "live operator session": { cookie: sessions.live! },
    };
    const failures: string[] = [];
    for (const route of machineRoutes) {
      for (const [name, headers] of Object.entries(callers)) {
        const response = await send(route, headers);
        if (response.status !== 401) failures.push(`${route} with ${name}: ${response.status}`);
      }
      const admitted = await send(route, { authorization: `Bearer ${live}` });
      if (admitted.status === 401 || admitted.status === 403) failures.push(`${route} with a live key was refused: ${admitted.status}`);
    }
    // A live key opens no operator route.
    for (const route of operatorRoutes()) {
      if (!refusedOrSentToLogin(await send(route, { authorization: `Bearer ${live}` }))) failures.push(`${route} admitted a machine key`);
    }
    expect(failures).toEqual([]);
  });

  test("the dialer API refuses remote clients and anyone behind an untrusted proxy, with or without a session", async () => {
    const paths = [`/api/v1/leads/${leadId}`, `/api/v1/lead?lead_id=${leadId}`, "/api/v1/campaign", `/audio/${importId}/greeting/greeting-1.wav`, "/audio/default.wav"];
    const loopback = { remoteAddress: "127.0.0.1" };
    for (const path of paths) {
      const ask = (headers: Record<string, string>, bindings: { remoteAddress: string }) => Promise.resolve(edge.fetch(new Request(`http://127.0.0.1:8001${path}`, { headers }), bindings));
      expect((await ask({}, remote))!.status).toBe(403);
      expect((await ask({ cookie: sessions.live! }, remote))!.status).toBe(403);
      expect((await ask({ "x-forwarded-for": "127.0.0.1" }, remote))!.status).toBe(403);
      expect((await ask({ "x-forwarded-for": "192.0.2.10" }, loopback))!.status).toBe(403);
      expect((await ask({ forwarded: "for=127.0.0.1" }, loopback))!.status).toBe(403);
      expect((await ask({}, loopback))!.status).toBe(200);
    }
  });
});
