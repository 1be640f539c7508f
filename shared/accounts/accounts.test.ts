import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { openDatabase } from "../db/open-database.ts";
import { createHttpApp, type HttpApp } from "../http/create-http-app.ts";
import { MetricsRegistry } from "../http/metrics.ts";
import { createLogger } from "../log/logger.ts";
import { createFakeClock, type FakeClock } from "../testing/fake-clock.ts";
import { migrationsForSchema, openTempDatabase, type TempDatabase } from "../testing/temp-database.ts";
import { createAccountsRepository } from "./accounts.repository.ts";
import { registerAccountRoutes } from "./accounts.routes.ts";
import { operatorSessions, operators, signInLockouts } from "./accounts.schema.ts";
import { type AccountsDeps, addOperator, authenticateSession, createAccountsDeps } from "./accounts.usecases.ts";
import { runOperatorCommand } from "./operator.commands.ts";

const schema = { operators, operatorSessions, signInLockouts };
const pointA = "00000000-0000-0000-0000-00000000000a";
const pointB = "00000000-0000-0000-0000-00000000000b";
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuidScope = { parse: (id: string) => (uuidPattern.test(id) ? id : null), description: "a point id is a UUID" };
const password = "correct horse battery";
const json = { "content-type": "application/json", "x-requested-with": "salescontrol" };

let database: TempDatabase<typeof schema>;
let clock: FakeClock;
let logLines: Array<{ msg: string }>;
let deps: AccountsDeps;
let app: HttpApp;
let metrics: MetricsRegistry;

function accountsOver(db: TempDatabase<typeof schema>["db"]): AccountsDeps {
  const logger = createLogger({ node: "core", level: "debug", write: (line) => void logLines.push(JSON.parse(line)) });
  metrics = new MetricsRegistry();
  return createAccountsDeps({ accounts: createAccountsRepository(db), clock, logger, metrics, node: "core", signInPage: "/login", sessionTtlMs: 3_600_000, scopeIds: uuidScope });
}

function appOver(accounts: AccountsDeps): HttpApp {
  const http = createHttpApp({ node: "core", logger: accounts.logger, metrics, health: () => ({ status: "ok" }), maxBodyBytes: 64 * 1024 });
  // The client address comes from the resolver the node passes in; here a test header stands for it.
  registerAccountRoutes(http, { ...accounts, baseUrl: undefined, clientAddress: (c) => c.req.header("x-test-client") ?? "unknown" });
  return http;
}

beforeEach(async () => {
  database = await openTempDatabase(await migrationsForSchema(schema), schema);
  clock = createFakeClock();
  logLines = [];
  deps = accountsOver(database.db);
  app = appOver(deps);
});
afterEach(() => database.dispose());

function signIn(body: { username: string; password: string }, client = "198.51.100.1", target = app) {
  return target.request("/operator/api/login", { method: "POST", headers: { ...json, "x-test-client": client }, body: JSON.stringify(body) });
}

function command(args: string[], typed = password) {
  const lines = { out: "", err: "" };
  const io = { out: (text: string) => void (lines.out += text), err: (text: string) => void (lines.err += text), interactive: false };
  return runOperatorCommand(deps, args, io, { read: async () => typed }).then((code) => ({ code, ...lines }));
}

describe("operator command: roles and scopes", () => {
  test("add with a role and a scope, list them, change them, widen to everything", async () => {
    expect(await command(["add", "olga", "--role", "viewer", "--scope", `${pointB},${pointA},${pointA}`])).toEqual({
      code: 0,
      out: `operator olga added as viewer limited to ${pointA}, ${pointB}; sign in at /login\n`,
      err: "",
    });
    expect(await command(["add", "root"])).toMatchObject({ code: 0, out: "operator root added; sign in at /login\n" });
    const listed = await command(["list"]);
    expect(listed.out).toMatch(new RegExp(`^olga {2}since \\d{4}-\\d{2}-\\d{2} {2}0 active session\\(s\\) {2}viewer limited to ${pointA}, ${pointB}\\nroot {2}since \\d{4}-\\d{2}-\\d{2} {2}0 active session\\(s\\)\\n$`));

    const response = await signIn({ username: "olga", password });
    const token = /salescontrol_core_session=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")![1]!;
    expect(await authenticateSession(deps, token)).toEqual({ username: "olga", role: "viewer", scope: [pointA, pointB] });

    expect(await command(["access", "olga", "--scope", pointB, "--role", "admin"])).toMatchObject({ code: 0, out: `operator olga is now admin limited to ${pointB}\n` });
    expect(await authenticateSession(deps, token)).toEqual({ username: "olga", role: "admin", scope: [pointB] });
    expect(await command(["access", "olga", "--role", "viewer", "--scope", "all"])).toMatchObject({ code: 0, out: "operator olga is now viewer seeing everything\n" });
    expect(await authenticateSession(deps, token)).toEqual({ username: "olga", role: "viewer", scope: null });
  });

  test("refuses unknown roles, ids outside the node's form, empty scopes, unknown accounts and stray options", async () => {
    const refusals: Array<[string[], string]> = [
      [["add", "olga", "--role", "owner"], "--role is one of: admin, viewer"],
      [["add", "olga", "--scope", "shop-1"], 'scope id "shop-1" is not valid: a point id is a UUID'],
      [["add", "olga", "--scope", ","], "a scope names at least one id"],
      [["access", "nobody", "--role", "viewer"], "no operator named nobody"],
      [["access", "Olga Smith", "--role", "viewer"], "a username is 1–64 lowercase letters"],
    ];
    for (const [args, message] of refusals) {
      const result = await command(args);
      expect([result.code, result.out]).toEqual([1, ""]);
      expect(result.err).toContain(message);
    }
    for (const args of [["add", "olga", "--colour", "red"], ["add", "olga", "--role"], ["access", "olga"], ["access", "olga", "--scope", pointA], ["password", "olga", "--role", "admin"], ["list", "olga"], ["rename", "olga"], []]) {
      const result = await command(args);
      expect(result.code).toBe(2);
      expect(result.err).toContain("usage: salescontrol-core operator add <name> [--role admin|viewer]");
    }
    expect(await database.db.select().from(operators)).toEqual([]);
  });
});

describe("sessions", () => {
  test("the database holds only the token's SHA-256; removing an account or expiry ends its sessions", async () => {
    await addOperator(deps, "olga", password);
    const response = await signIn({ username: "olga", password });
    expect(response.status).toBe(200);
    const token = /salescontrol_core_session=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")![1]!;
    const [stored] = await database.db.select().from(operatorSessions);
    expect(stored!.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(await database.db.select().from(operatorSessions))).not.toContain(token);

    const cookie = { cookie: `salescontrol_core_session=${token}` };
    expect((await app.request("/operator/api/session", { headers: cookie })).status).toBe(200);
    await clock.advance(3_600_000);
    expect((await app.request("/operator/api/session", { headers: cookie })).status).toBe(401);

    const again = await signIn({ username: "olga", password });
    const second = { cookie: /salescontrol_core_session=[^;]+/.exec(again.headers.get("set-cookie") ?? "")![0] };
    expect((await app.request("/operator/api/session", { headers: second })).status).toBe(200);
    expect(await command(["remove", "olga"])).toMatchObject({ code: 0 });
    expect((await app.request("/operator/api/session", { headers: second })).status).toBe(401);
    expect(await database.db.select().from(operatorSessions)).toEqual([]);
  });
});

describe("sign-in lockout", () => {
  test("five wrong passwords lock the address: 429 with Retry-After and when to try again; other addresses still sign in", async () => {
    await addOperator(deps, "olga", password);
    for (let attempt = 0; attempt < 5; attempt++) expect((await signIn({ username: "olga", password: `guess-${attempt}-xxxx` })).status).toBe(401);
    const locked = await signIn({ username: "olga", password });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("30");
    expect(await locked.json()).toMatchObject({
      error: { code: "auth.too_many_attempts", details: { retry_after_seconds: 30, retry_at: new Date(clock.now() + 30_000).toISOString() } },
    });
    expect((await signIn({ username: "olga", password }, "198.51.100.2")).status).toBe(200);

    await clock.advance(10_000);
    expect((await signIn({ username: "olga", password })).headers.get("retry-after")).toBe("20");
    // When the lockout ends one more attempt is checked; failing it locks for twice as long.
    await clock.advance(20_000);
    expect((await signIn({ username: "olga", password: "still-a-guess" })).status).toBe(401);
    expect((await signIn({ username: "olga", password })).headers.get("retry-after")).toBe("60");
    await clock.advance(60_000);
    expect((await signIn({ username: "olga", password })).status).toBe(200);
    expect(await database.db.select().from(signInLockouts)).toEqual([]);
  });

  test("300 parallel wrong passwords from one address: exactly five are checked, the rest are refused unchecked", async () => {
    await addOperator(deps, "olga", password);
    const responses = await Promise.all(Array.from({ length: 300 }, (_, index) => signIn({ username: "olga", password: `parallel-guess-${index}` })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(295);
    expect(logLines.filter((line) => line.msg === "operator login failed")).toHaveLength(5);
    const rendered = metrics.render();
    expect(rendered).toContain('operator_sign_ins_total{outcome="refused"} 5\n');
    expect(rendered).toContain('operator_sign_ins_total{outcome="locked_out"} 295\n');
    expect(rendered).not.toContain('outcome="signed_in"');
  });

  test("the lockout is kept in the database: a node opened again on the same file still refuses", async () => {
    await addOperator(deps, "olga", password);
    for (let attempt = 0; attempt < 5; attempt++) await signIn({ username: "olga", password: `guess-${attempt}-xxxx` });
    const reopened = openDatabase({ url: database.url }, schema);
    try {
      const restarted = appOver(accountsOver(reopened.db));
      const locked = await signIn({ username: "olga", password }, "198.51.100.1", restarted);
      expect([locked.status, locked.headers.get("retry-after")]).toEqual([429, "30"]);
    } finally {
      reopened.close();
    }
  });

  test("counts idle for a day are forgotten", async () => {
    await addOperator(deps, "olga", password);
    for (let attempt = 0; attempt < 4; attempt++) await signIn({ username: "olga", password: `guess-${attempt}-xxxx` }, "198.51.100.7");
    await clock.advance(24 * 3_600_000);
    await signIn({ username: "olga", password: "one more guess" }, "198.51.100.8");
    expect((await database.db.select().from(signInLockouts)).map((row) => [row.address, row.failures])).toEqual([["198.51.100.8", 1]]);
  });
});
