import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createEdgeTestEnvironment, type EdgeTestEnvironment, signInAsOperator, testOperator } from "../testing/edge-test-kit.ts";
import { defaultLockoutPolicy } from "../../shared/accounts/accounts.repository.ts";
import { addOperator } from "../../shared/accounts/accounts.usecases.ts";
import { runOperatorCommand } from "../../shared/accounts/operator.commands.ts";
import { hashPassword, verifyPassword } from "../../shared/accounts/password-hash.ts";

let edge: EdgeTestEnvironment;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
});
afterEach(() => edge.dispose());

const remote = { remoteAddress: "192.0.2.44" };
const json = { "content-type": "application/json", "x-requested-with": "salescontrol" };

function login(body: unknown, headers: Record<string, string> = json, bindings = remote) {
  return edge.app.request("/operator/api/login", { method: "POST", headers, body: JSON.stringify(body) }, bindings);
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe("operator login", () => {
  test("signs in with the right password: an HttpOnly, SameSite=Strict session cookie that opens the pages", async () => {
    await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
    const response = await login(testOperator);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ operator: { username: "olga" } });
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^salescontrol_edge_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const session = cookie.split(";")[0]!;
    expect(await (await edge.app.request("/operator/api/session", { headers: { cookie: session } }, remote)).json()).toEqual({ operator: { username: "olga" } });
    const page = await edge.app.request("/dashboard", { headers: { cookie: session } }, remote);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'nonce-");
    expect(await page.text()).toContain("<title>Dashboard · SalesControl edge</title>");
  });

  test("the cookie is Secure when the edge is reached over HTTPS", async () => {
    const secure = await createEdgeTestEnvironment({ env: { BASE_URL: "https://edge.example.com" } });
    try {
      await addOperator(secure.runtime.operators, testOperator.username, testOperator.password);
      const response = await secure.app.request("/operator/api/login", { method: "POST", headers: json, body: JSON.stringify(testOperator) }, remote);
      expect(response.headers.get("set-cookie")).toEndWith("; Secure");
    } finally {
      await secure.dispose();
    }
  });

  test("wrong passwords and unknown users get the same answer; no operator yet says how to add one", async () => {
    const none = await login(testOperator);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain("salescontrol-edge operator add <name>");
    await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
    const wrong = await login({ ...testOperator, password: "wrong password!" }, json, { remoteAddress: "192.0.2.45" });
    const unknown = await login({ username: "mallory", password: "wrong password!" }, json, { remoteAddress: "192.0.2.46" });
    expect([wrong.status, await errorCode(wrong)]).toEqual([401, "auth.invalid_credentials"]);
    expect([unknown.status, await errorCode(unknown)]).toEqual([401, "auth.invalid_credentials"]);
    expect((await login({ username: "" })).status).toBe(400);
  });

  test("a body that is not JSON, or lacks a field, is refused with the code that says which", async () => {
    const malformed = await edge.app.request("/operator/api/login", { method: "POST", headers: json, body: '{"username": "olga",' }, remote);
    expect([malformed.status, await errorCode(malformed)]).toEqual([400, "request.malformed_json"]);
    const incomplete = await login({ username: testOperator.username });
    expect([incomplete.status, await errorCode(incomplete)]).toEqual([400, "request.invalid"]);
  });

  test("repeated failures from one address are throttled, even with the right password", async () => {
    await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
    for (let attempt = 0; attempt < 5; attempt++) expect((await login({ ...testOperator, password: `guess-${attempt}-xxxx` })).status).toBe(401);
    const blocked = await login(testOperator);
    expect(blocked.status).toBe(429);
    expect(await errorCode(blocked)).toBe("auth.too_many_attempts");
    expect((await login(testOperator, json, { remoteAddress: "192.0.2.99" })).status).toBe(200);
  });

  test("behind a trusted proxy the lockout counts the forwarded client, not the proxy", async () => {
    const proxied = await createEdgeTestEnvironment({ env: { TRUSTED_PROXIES: "loopback" } });
    try {
      await addOperator(proxied.runtime.operators, testOperator.username, testOperator.password);
      const viaProxy = (client: string, password: string) =>
        proxied.app.request("/operator/api/login", { method: "POST", headers: { ...json, "x-forwarded-for": client }, body: JSON.stringify({ ...testOperator, password }) }, { remoteAddress: "127.0.0.1" });
      for (let attempt = 0; attempt < 5; attempt++) expect((await viaProxy("198.51.100.1", `guess-${attempt}-xxxx`)).status).toBe(401);
      expect((await viaProxy("198.51.100.1", testOperator.password)).status).toBe(429);
      expect((await viaProxy("198.51.100.2", testOperator.password)).status).toBe(200);
    } finally {
      await proxied.dispose();
    }
  });

  test("the throttle doubles the lockout and forgets after a success", async () => {
    const { accounts } = edge.runtime.operators;
    const policy = { ...defaultLockoutPolicy, freeAttempts: 2 };
    expect(await accounts.reserveSignInAttempt("a", 0, policy)).toEqual({ allowed: true });
    expect(await accounts.reserveSignInAttempt("a", 0, policy)).toEqual({ allowed: true });
    expect(await accounts.reserveSignInAttempt("a", 0, policy)).toEqual({ allowed: false, blockedUntil: 30_000 });
    expect(await accounts.reserveSignInAttempt("a", 30_000, policy)).toEqual({ allowed: true });
    expect(await accounts.reserveSignInAttempt("a", 30_000, policy)).toEqual({ allowed: false, blockedUntil: 90_000 });
    await accounts.clearSignInFailures("a");
    expect(await accounts.reserveSignInAttempt("a", 30_000, policy)).toEqual({ allowed: true });
  });

  test("requests from other sites are refused (CSRF): no custom header, or a foreign Origin", async () => {
    await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
    const noHeader = await login(testOperator, { "content-type": "application/json" });
    expect([noHeader.status, await errorCode(noHeader)]).toEqual([403, "auth.csrf"]);
    const foreign = await login(testOperator, { ...json, origin: "https://evil.example", host: "edge.local:8001" });
    expect([foreign.status, await errorCode(foreign)]).toEqual([403, "auth.csrf"]);
    const cookie = await signInAsOperator(edge);
    const rollback = await edge.app.request("/operator/api/rollback", { method: "POST", headers: { cookie } }, remote);
    expect([rollback.status, await errorCode(rollback)]).toEqual([403, "auth.csrf"]);
  });

  test("signing out ends the session", async () => {
    const cookie = await signInAsOperator(edge);
    const out = await edge.app.request("/operator/api/logout", { method: "POST", headers: { cookie, "x-requested-with": "salescontrol" } }, remote);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    const after = await edge.app.request("/operator/api/session", { headers: { cookie } }, remote);
    expect([after.status, await errorCode(after)]).toEqual([401, "auth.required"]);
  });

  test("pages redirect to the login page; APIs answer 401; forged and expired cookies count as none", async () => {
    for (const page of ["/dashboard", "/importer"]) {
      const response = await edge.app.request(page, {}, remote);
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(`/login?next=${page}`);
    }
    for (const path of ["/operator/api/campaign", "/operator/api/leads", "/operator/api/imports", "/operator/audio/1/greeting/a.wav"]) {
      expect((await edge.app.request(path, { headers: { cookie: "salescontrol_edge_session=forged" } }, remote)).status).toBe(401);
    }
    const login = await edge.app.request("/login", {}, remote);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('id="login"');
  });
});

describe("operator accounts", () => {
  const output = () => {
    const lines = { out: "", err: "" };
    return { lines, io: { out: (text: string) => void (lines.out += text), err: (text: string) => void (lines.err += text), interactive: false } };
  };
  const password = (value: string) => ({ read: async () => value });
  const deps = () => edge.runtime.operators;

  test("edge operator add | list | password | remove", async () => {
    const first = output();
    expect(await runOperatorCommand(deps(), ["add", "olga"], first.io, password("correct horse battery"))).toBe(0);
    expect(first.lines.out).toBe("operator olga added; sign in at /login\n");
    const cookie = await signInAsOperator(edge);

    const listed = output();
    expect(await runOperatorCommand(deps(), ["list"], listed.io, password(""))).toBe(0);
    expect(listed.lines.out).toMatch(/^olga {2}since \d{4}-\d{2}-\d{2} {2}1 active session\(s\)\n$/);

    const changed = output();
    expect(await runOperatorCommand(deps(), ["password", "olga"], changed.io, password("another long password"))).toBe(0);
    expect((await edge.app.request("/operator/api/session", { headers: { cookie } }, remote)).status).toBe(401);

    const removed = output();
    expect(await runOperatorCommand(deps(), ["remove", "olga"], removed.io, password(""))).toBe(0);
    expect((await login(testOperator)).status).toBe(401);
  });

  test("refuses weak passwords, bad names, duplicates and unknown accounts", async () => {
    const cases: Array<[string[], string, string]> = [
      [["add", "olga"], "short", "a password needs at least 10 characters"],
      [["add", "Olga Smith"], "correct horse battery", "a username is 1–64 lowercase letters"],
      [["password", "nobody"], "correct horse battery", "no operator named nobody"],
      [["remove", "nobody"], "", "no operator named nobody"],
    ];
    for (const [args, value, message] of cases) {
      const result = output();
      expect(await runOperatorCommand(deps(), args, result.io, password(value))).toBe(1);
      expect(result.lines.err).toContain(message);
    }
    await runOperatorCommand(deps(), ["add", "olga"], output().io, password("correct horse battery"));
    const duplicate = output();
    expect(await runOperatorCommand(deps(), ["add", "olga"], duplicate.io, password("correct horse battery"))).toBe(1);
    expect(duplicate.lines.err).toContain("already exists");
    const usage = output();
    expect(await runOperatorCommand(deps(), ["add"], usage.io, password(""))).toBe(2);
  });

  test("passwords are stored as salted scrypt hashes", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await hashPassword("correct horse battery")).not.toBe(hash);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterz", hash)).toBe(false);
    await addOperator(edge.runtime.operators, "olga", "correct horse battery");
    const stored = await edge.database.client.execute("SELECT password_hash FROM operators");
    expect(String(stored.rows[0]!.password_hash)).not.toContain("correct horse");
  });
});
