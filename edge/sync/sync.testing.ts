import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { callResultInput, callResultOf } from "../../shared/contracts/call-results.ts";
import { openDatabase } from "../../shared/db/open-database.ts";
import { type CommandResult, spawnProcess } from "../../shared/runtime/process.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { type MariaDbServer, startMariaDb } from "../../shared/testing/mariadb-server.ts";
import { type RunningNodeProcess, startNodeProcess, waitForHttpOk } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { createVicidialDatabase } from "../vicidial/testing/vicidial-log.fixture.ts";
import { callResultWireOf, type VicidialLogRow, vicidialLogColumns } from "./call-result-payload.ts";

const root = join(import.meta.dir, "../..");
const adminToken = "sync-tests-admin-token-0123456789";

/** A private MariaDB with VICIdial's vicidial_log and a running core, for the sync's tests. */
export interface SyncTestbed {
  dir: TempDir;
  mariadb: MariaDbServer;
  core: CoreProcess;
  /** An environment for a node process that reaches nothing of the test runner's. */
  processEnv(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

export async function startSyncTestbed(prefix: string): Promise<SyncTestbed> {
  const dir = makeTempDir(prefix);
  const [mariadb, core] = await Promise.all([startMariaDb(), startCoreProcess(dir)]);
  await createVicidialDatabase(mariadb);
  return {
    dir,
    mariadb,
    core,
    processEnv: (extra = {}) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: process.env.TMPDIR ?? "/tmp", ...extra }),
    async stop() {
      await Promise.all([mariadb.stop(), core.stop()]);
      dir.remove();
    },
  };
}

/** bun:test's beforeAll/afterAll, passed in: only test files may import the test runner. */
type FileHook = (run: () => Promise<void>) => void;

/** One testbed for the whole test file: started before its first test, stopped after its last (the file passes its hooks in). */
export function useSyncTestbed(prefix: string, hooks: { beforeAll: FileHook; afterAll: FileHook }): SyncTestbed {
  let started: SyncTestbed | undefined;
  hooks.beforeAll(async () => {
    started = await startSyncTestbed(prefix);
  });
  hooks.afterAll(async () => {
    await started?.stop();
  });
  const current = (): SyncTestbed => {
    if (!started) throw new Error("the sync testbed starts before the file's first test");
    return started;
  };
  return {
    get dir() {
      return current().dir;
    },
    get mariadb() {
      return current().mariadb;
    },
    get core() {
      return current().core;
    },
    processEnv: (extra) => current().processEnv(extra),
    stop: () => current().stop(),
  };
}

/** The real core, run from source as its own process, with one tenant and an API key. */
export interface CoreProcess {
  url: string;
  key: string;
  tenantId: string;
  databasePath: string;
  /** Another tenant with its own key, for tests that want a clean slate. */
  newTenant(name: string): Promise<{ tenantId: string; key: string }>;
  /** Stops the core (SIGTERM); `start` brings it back on the same port and database. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `binary` runs a compiled core (dist/core-linux-x64) instead of the source. */
export async function startCoreProcess(dir: TempDir, options: { binary?: string } = {}): Promise<CoreProcess> {
  const command = options.binary ? [options.binary, "serve"] : [process.execPath, join(root, "core/main.ts"), "serve"];
  const port = await findFreePort();
  const dataDir = dir.join("core-data");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: process.env.TMPDIR ?? "/tmp", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, ADMIN_TOKEN: adminToken };
  const launch = () => startNodeProcess(command[0]!, command.slice(1), { cwd: dir.path, env });
  let running: RunningNodeProcess | null = await launch();
  const url = `http://127.0.0.1:${port}`;
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: "POST", headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as any;
  };
  const newTenant = async (name: string) => {
    const tenant = await admin("/api/v1/admin/tenants", { name });
    const key = await admin(`/api/v1/admin/tenants/${tenant.tenant.id}/api-keys`, { name: "edge", scopes: ["call_results"] });
    return { tenantId: String(tenant.tenant.id), key: String(key.key) };
  };
  const first = await newTenant("Call centre");
  return {
    url,
    key: first.key,
    tenantId: first.tenantId,
    newTenant,
    databasePath: join(dataDir, "core.db"),
    async stop() {
      if (!running) return;
      const code = await running.stop("SIGTERM");
      running = null;
      if (code !== 0) throw new Error(`core exited ${code}`);
    },
    async start() {
      running ??= await launch();
    },
  };
}

/** Every call result the core holds for the tenant, in the wire form, keyed by uniqueid. */
export async function readCoreCallResults(core: Pick<CoreProcess, "databasePath" | "tenantId">): Promise<Map<string, Record<string, unknown>>> {
  const database = openDatabase({ url: `file:${core.databasePath}` });
  try {
    const result = await database.client.execute({
      sql: `SELECT uniqueid, lead_id AS leadId, list_id AS listId, campaign_id AS campaignId, phone_number AS phoneNumber, phone_code AS phoneCode,
              disposition, duration, agent_id AS agentId, user_group AS userGroup, term_reason AS termReason, comments, alt_dial AS altDial,
              called_count AS calledCount, call_date AS callDate, start_epoch AS startEpoch, end_epoch AS endEpoch
            FROM call_results WHERE tenant_id = ?`,
      args: [core.tenantId],
    });
    return new Map(result.rows.map((row) => [String(row.uniqueid), Object.fromEntries(Object.entries(row))]));
  } finally {
    database.close();
  }
}

/** vicidial_log as it stands, in the form the core should hold it. */
export async function readVicidialCallResults(server: MariaDbServer, database = "asterisk"): Promise<Map<string, Record<string, unknown>>> {
  const connection = await server.connect({ database });
  try {
    const [rows] = await connection.query({ sql: `SELECT ${vicidialLogColumns} FROM vicidial_log`, dateStrings: true });
    return new Map(
      (rows as VicidialLogRow[]).map((row) => {
        const expected = callResultOf(callResultInput.parse(callResultWireOf(row)));
        return [row.uniqueid, expected as Record<string, unknown>];
      }),
    );
  } finally {
    await connection.end();
  }
}

/** Differences between what VICIdial has and what the core holds (empty when they agree exactly). */
export function compareCallResults(expected: Map<string, Record<string, unknown>>, actual: Map<string, Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [uniqueid, row] of expected) {
    const stored = actual.get(uniqueid);
    if (!stored) {
      problems.push(`${uniqueid}: missing`);
      continue;
    }
    for (const [field, value] of Object.entries(row)) {
      if (stored[field] !== value) problems.push(`${uniqueid}.${field}: core has ${JSON.stringify(stored[field])}, VICIdial ${JSON.stringify(value)}`);
    }
  }
  for (const uniqueid of actual.keys()) if (!expected.has(uniqueid)) problems.push(`${uniqueid}: in the core only`);
  return problems;
}

/** nginx in front of the core with a small client_max_body_size, as a reverse proxy may have. */
export async function startLimitingProxy(dir: TempDir, upstream: string, maxBodyBytes: number): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await findFreePort();
  const prefix = dir.join("nginx");
  const conf = join(prefix, "nginx.conf");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(prefix, "temp"), { recursive: true });
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? "user root;\n" : ""}worker_processes 1;
error_log ${join(prefix, "error.log")};
pid ${join(prefix, "nginx.pid")};
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, "temp")}; proxy_temp_path ${join(prefix, "temp")};
  fastcgi_temp_path ${join(prefix, "temp")}; uwsgi_temp_path ${join(prefix, "temp")}; scgi_temp_path ${join(prefix, "temp")};
  server {
    listen 127.0.0.1:${port};
    client_max_body_size ${maxBodyBytes};
    location / { proxy_pass ${upstream}; }
  }
}
`,
  );
  const child = spawnProcess("/usr/sbin/nginx", ["-p", prefix, "-c", conf, "-g", "daemon off;"], { stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${url}/health`, 10_000).catch(async (error) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

/**
 * The sync as a dialer host runs it: two calls in vicidial_log go to the core with one
 * `sync --once`, a changed disposition with the next, and the core then holds exactly what VICIdial
 * holds. `runSync` runs `edge sync --once` (a binary, or the source under Deno) with the settings
 * it is given, which point at config files written into `dir`.
 */
export async function expectSyncShipsVicidialCalls(options: {
  mariadb: MariaDbServer;
  core: CoreProcess;
  dir: TempDir;
  runSync: (settings: Record<string, string>) => Promise<CommandResult>;
  expect: typeof import("bun:test").expect;
}): Promise<void> {
  const { mariadb, core, dir, expect } = options;
  await createVicidialDatabase(mariadb);
  await mariadb.query("SET SESSION sql_mode = ''");
  await mariadb.query(
    `INSERT INTO asterisk.vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, user_group, term_reason, comments)
     VALUES ('1768200000.1', 1, 1001, 'OUTBND', NOW(), UNIX_TIMESTAMP(), NULL, 0, 'NA', '1', '4155550101', 'VDAD', NULL, '', NULL),
            ('1768200000.2', 2, 1001, 'OUTBND', NOW(), UNIX_TIMESTAMP(), UNIX_TIMESTAMP(), 61, 'SALE', '1', '4155550102', 'agent1', 'AGENTS', 'AGENT', 'prêt à signer')`,
  );
  writeFileSync(dir.join("astguiclient.conf"), `VARDB_server => 127.0.0.1\nVARDB_user => cron\nVARDB_pass => 1234\nVARDB_port => ${mariadb.port}\n`);
  writeFileSync(dir.join("dids.conf"), `[general]\r\napi_base_url=${core.url}\r\napi_key=${core.key}\r\n`);
  const settings = { ASTGUICLIENT_CONF: dir.join("astguiclient.conf"), DIDS_CONF: dir.join("dids.conf") };
  const first = await options.runSync(settings);
  expect(first.stdout).toContain("sent 2 to");
  expect(first.code).toBe(0);
  await mariadb.query("UPDATE asterisk.vicidial_log SET status = 'CALLBK' WHERE uniqueid = '1768200000.2'");
  const second = await options.runSync(settings);
  expect(second.stdout).toMatch(/sent 1 to .*: 0 created, 1 updated/);
  expect(compareCallResults(await readVicidialCallResults(mariadb), await readCoreCallResults(core))).toEqual([]);
}
