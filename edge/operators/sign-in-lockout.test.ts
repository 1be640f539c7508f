/**
 * The sign-in lockout of a running edge, run from source as its own process: a burst of parallel
 * guesses over real sockets, then a restart on the same data directory.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { testOperator } from "../testing/edge-test-kit.ts";

const main = join(import.meta.dir, "../main.ts");
let dir: TempDir;
let env: Record<string, string>;
let edge: RunningNodeProcess | null = null;

beforeAll(async () => {
  dir = makeTempDir("salescontrol-lockout-");
  env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: process.env.TMPDIR ?? "/tmp", DATA_DIR: dir.join("data"), HOST: "127.0.0.1", PORT: "0" };
  const added = await runCommand("sh", ["-c", `printf '%s\\n' '${testOperator.password}' | '${process.execPath}' '${main}' operator add ${testOperator.username}`], { cwd: dir.path, env });
  expect(added.stdout).toBe("operator olga added; sign in at /login\n");
});
afterAll(async () => {
  await edge?.stop();
  dir.remove();
});

const start = () => startNodeProcess(process.execPath, [main, "serve"], { cwd: dir.path, env });

function signIn(url: string, password: string) {
  return fetch(`${url}/operator/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-requested-with": "salescontrol" },
    body: JSON.stringify({ username: testOperator.username, password }),
  });
}

test("300 parallel wrong passwords: five are checked, the rest get 429 with Retry-After, and a restart keeps the lockout", async () => {
  edge = await start();
  const url = edge.url;
  const responses = await Promise.all(Array.from({ length: 300 }, (_, index) => signIn(url, `parallel-guess-${index}`)));
  const statuses = responses.map((response) => response.status);
  expect(statuses.filter((status) => status === 401)).toHaveLength(5);
  expect(statuses.filter((status) => status === 429)).toHaveLength(295);
  const refused = responses.find((response) => response.status === 429)!;
  const retryAfter = Number(refused.headers.get("retry-after"));
  // The lockout began with the fifth check: at most its 30 s remain.
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(30);
  const body = (await refused.json()) as { error: { code: string; details: { retry_after_seconds: number; retry_at: string } } };
  expect(body.error.code).toBe("auth.too_many_attempts");
  expect(body.error.details.retry_after_seconds).toBe(retryAfter);
  expect(Date.parse(body.error.details.retry_at)).toBeGreaterThan(Date.now());
  await Promise.all(responses.filter((response) => response !== refused).map((response) => response.arrayBuffer()));
  // Every password check is counted where it happens: five, however many arrived.
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toContain('operator_sign_ins_total{outcome="refused"} 5\n');
  expect(metrics).toContain('operator_sign_ins_total{outcome="locked_out"} 295\n');
  expect(metrics).not.toContain('outcome="signed_in"');

  // The right password is refused too while the lockout lasts, before and after a restart.
  expect((await signIn(url, testOperator.password)).status).toBe(429);
  expect(await edge.stop()).toBe(0);
  edge = await start();
  const afterRestart = await signIn(edge.url, testOperator.password);
  expect(afterRestart.status).toBe(429);
  expect(Number(afterRestart.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(await (await fetch(`${edge.url}/metrics`)).text()).toContain('operator_sign_ins_total{outcome="locked_out"} 1\n');
});
