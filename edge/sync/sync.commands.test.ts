import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { deliveryLogFieldNames, scanLogFieldNames } from "./sync.usecases.ts";
import { compareCallResults, readCoreCallResults, readVicidialCallResults, useSyncTestbed } from "./sync.testing.ts";

const root = join(import.meta.dir, "../..");
const testbed = useSyncTestbed("salescontrol-sync-cli-", { beforeAll, afterAll });

let runs = 0;
let env: Record<string, string>;
let tenant: { tenantId: string; key: string };
beforeEach(async () => {
  runs++;
  tenant = await testbed.core.newTenant(`cli ${runs}`);
  await testbed.mariadb.query(`TRUNCATE asterisk.vicidial_log; SET SESSION sql_mode = ''`);
  await testbed.mariadb.query(
    `INSERT INTO asterisk.vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, term_reason)
     VALUES ('1768100000.1', 1, 1001, 'OUTBND', NOW() - INTERVAL 5 MINUTE, UNIX_TIMESTAMP() - 300, NULL, 0, 'NA', '1', '4155550101', 'VDAD', ''),
            ('1768100000.2', 2, 1001, 'OUTBND', NOW() - INTERVAL 3 HOUR, UNIX_TIMESTAMP() - 10800, UNIX_TIMESTAMP() - 10700, 100, 'SALE', '1', '4155550102', 'agent1', 'AGENT')`,
  );
  writeFileSync(testbed.dir.join("astguiclient.conf"), `VARDB_server => 127.0.0.1\r\nVARDB_database => asterisk\r\nVARDB_user => cron\r\nVARDB_pass => 1234\r\nVARDB_port => ${testbed.mariadb.port}\r\n`);
  writeFileSync(testbed.dir.join("dids.conf"), `[general]\napi_base_url=${testbed.core.url}\napi_key=${tenant.key}\n`);
  env = testbed.processEnv({ DATA_DIR: testbed.dir.join(`edge-${runs}`), ASTGUICLIENT_CONF: testbed.dir.join("astguiclient.conf"), DIDS_CONF: testbed.dir.join("dids.conf"), LOG_LEVEL: "warn" });
});

const sync = (args: string[], extra: Record<string, string> = {}) => runCommand(process.execPath, [join(root, "edge/main.ts"), "sync", ...args], { cwd: testbed.dir.path, env: { ...env, ...extra } });

describe("edge sync (cron)", () => {
  test("--once reads, sends and summarises; a second run finds nothing new", async () => {
    const first = await sync(["--once"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`read vicidial_log on cron@127.0.0.1:${testbed.mariadb.port}/asterisk (full read from`);
    expect(first.stdout).toMatch(/found 2 call results: 2 new, 0 changed, 0 unchanged, 2 queued/);
    expect(first.stdout).toMatch(new RegExp(`sent 2 to ${testbed.core.url}: 2 created, 0 updated, 0 unchanged, 0 refused`));
    expect(first.stdout).toContain("outbox: 0 waiting for the next run, 0 refused");
    expect(compareCallResults(await readVicidialCallResults(testbed.mariadb), await readCoreCallResults({ databasePath: testbed.core.databasePath, tenantId: tenant.tenantId }))).toEqual([]);

    // The next run reads the last half hour only (the three-hour-old call waits for the next full read).
    const second = await sync([]);
    expect(second.stdout).toContain("(recent read from");
    expect(second.stdout).toMatch(/found 1 call results: 0 new, 0 changed, 1 unchanged, 0 queued/);
    expect(second.stdout).toContain("sent 0 to");
  });

  test("--since re-sends a period; --status shows settings (no secrets) and the outbox", async () => {
    await sync(["--once"]);
    const resend = await sync(["--since", "4h"]);
    expect(resend.code).toBe(0);
    expect(resend.stdout).toMatch(/re-sending every call result since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(resend.stdout).toMatch(/2 unchanged, 2 queued/);
    expect(resend.stdout).toMatch(/sent 2 to .*: 0 created, 0 updated, 2 unchanged/);

    const status = await sync(["--status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`vicidial database: cron@127.0.0.1:${testbed.mariadb.port}/asterisk (host from astguiclient.conf, user from astguiclient.conf, password from astguiclient.conf)`);
    expect(status.stdout).toContain(`did optimizer api: ${testbed.core.url} (from dids.conf), api key set (from dids.conf)`);
    expect(status.stdout).toContain("outbox: 0 waiting, 0 refused by the core");
    expect(status.stdout).not.toContain("1234");
    expect(status.stdout).not.toContain(tenant.key);
  });

  test("--check tests the database and the API key", async () => {
    const good = await sync(["--check"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("vicidial database: ok");
    expect(good.stdout).toContain(`did optimizer api: ok (tenant cli ${runs}`);
    const badKey = await sync(["--check"], { DID_OPTIMIZER_API_KEY: "sc_wrong" });
    expect(badKey.code).toBe(1);
    expect(badKey.stdout).toContain("did optimizer api: FAILED: the core at");
    expect(badKey.stdout).toContain("auth.api_key_invalid");
  });

  test("wrong credentials, a missing key and an unreachable core fail clearly, lose nothing and leak nothing", async () => {
    const wrongPassword = await sync(["--once"], { VICIDIAL_DB_PASS: "not-the-password" });
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stdout).toMatch(/failed: cannot connect to the VICIdial database cron@127\.0\.0\.1:\d+\/asterisk: Access denied for user 'cron'.*check VARDB_user\/VARDB_pass/);
    expect(wrongPassword.stdout + wrongPassword.stderr).not.toContain("not-the-password");

    writeFileSync(testbed.dir.join("no-key.conf"), "[general]\n; api_key not set yet\n");
    const noKey = await sync(["--once"], { DIDS_CONF: testbed.dir.join("no-key.conf") });
    expect(noKey).toMatchObject({ code: 1 });
    expect(noKey.stdout).toContain("no API key: set api_key in");

    const down = await sync(["--once"], { DID_OPTIMIZER_API_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain("failed: cannot reach the core at http://127.0.0.1:9");
    expect(down.stdout).toContain("outbox: 2 waiting for the next run");
    const recovered = await sync(["--once"]);
    expect(recovered.stdout).toMatch(/sent 2 to .*: 2 created/);

    expect((await sync(["--since"])).code).toBe(2);
    expect((await sync(["--sideways"])).code).toBe(2);
    const badSince = await sync(["--since", "last tuesday"]);
    expect(badSince.code).toBe(2);
    expect(badSince.stdout).toContain('--since: "last tuesday" is neither a date');
  });
});

describe("the log of a sync run", () => {
  test("sync --once and the sync inside serve log the same fields, the ones the README names", async () => {
    const fieldsOf = (lines: string[], message: string) => {
      const entry = lines.map((line) => JSON.parse(line)).find((candidate) => candidate.msg === message);
      if (!entry) throw new Error(`no "${message}" line in:\n${lines.join("\n")}`);
      const { ts: _ts, level: _level, msg: _msg, node: _node, ...fields } = entry;
      return Object.keys(fields).sort();
    };
    const once = await sync(["--once"], { LOG_LEVEL: "info" });
    expect(once.code).toBe(0);
    const onceLines = once.stderr.split("\n").filter((line) => line.startsWith("{"));

    await testbed.mariadb.query(
      `INSERT INTO asterisk.vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, length_in_sec, status, phone_code, phone_number, user, term_reason)
       VALUES ('1768100000.3', 3, 1001, 'OUTBND', NOW() - INTERVAL 1 MINUTE, UNIX_TIMESTAMP() - 60, 0, 'NA', '1', '4155550103', 'VDAD', '')`,
    );
    const edge = await startNodeProcess(process.execPath, [join(root, "edge/main.ts"), "serve"], {
      cwd: testbed.dir.path,
      env: { ...env, LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1", CALL_SYNC_INTERVAL_SECONDS: "0.2" },
    });
    try {
      for (let attempt = 0; attempt < 100 && !edge.logLines().some((line) => line.includes('"call results sent"')); attempt++) await Bun.sleep(100);
      for (const [message, names] of [
        ["call sync scan", scanLogFieldNames],
        ["call results sent", deliveryLogFieldNames],
      ] as const) {
        expect(fieldsOf(onceLines, message)).toEqual([...names].sort());
        expect(fieldsOf(edge.logLines(), message)).toEqual([...names].sort());
      }
    } finally {
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
    const readme = readFileSync(join(root, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(`\`call sync scan\`: ${scanLogFieldNames.map((name) => `\`${name}\``).join(", ")})`);
    expect(readme).toContain(`\`call results sent\`: ${deliveryLogFieldNames.map((name) => `\`${name}\``).join(", ")})`);
  });
});

describe("edge serve with a misconfigured VICIdial side", () => {
  test("wrong database credentials: the edge keeps serving and /health says what is wrong", async () => {
    writeFileSync(testbed.dir.join("wrong-astguiclient.conf"), `VARDB_server => 127.0.0.1\nVARDB_user => cron\nVARDB_pass => wrong\nVARDB_port => ${testbed.mariadb.port}\n`);
    const edge = await startNodeProcess(process.execPath, [join(root, "edge/main.ts"), "serve"], {
      cwd: testbed.dir.path,
      env: { ...env, LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1", ASTGUICLIENT_CONF: testbed.dir.join("wrong-astguiclient.conf"), CALL_SYNC_INTERVAL_SECONDS: "0.2", CALL_SYNC_RETRY_MAX_SECONDS: "0.5" },
    });
    try {
      let health: any;
      for (let attempt = 0; attempt < 50; attempt++) {
        health = await (await fetch(`${edge.url}/health`)).json();
        if (health.callSync.lastError) break;
        await Bun.sleep(100);
      }
      expect(health).toMatchObject({ status: "degraded", callSync: { state: "running", lastError: { stage: "scan", message: expect.stringContaining("Access denied for user 'cron'") } } });
      const failures = edge.logLines().filter((line) => line.includes("call-sync-scan failed"));
      expect(failures).toHaveLength(1);
      expect(edge.logLines().join("\n")).not.toContain("wrong");
    } finally {
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
  });

  test("a bad VARDB_port is reported in /health instead of stopping the edge", async () => {
    writeFileSync(testbed.dir.join("bad-port.conf"), "VARDB_port => 33o6\n");
    const edge = await startNodeProcess(process.execPath, [join(root, "edge/main.ts"), "serve"], {
      cwd: testbed.dir.path,
      env: { ...env, LOG_LEVEL: "info", PORT: "0", HOST: "127.0.0.1", ASTGUICLIENT_CONF: testbed.dir.join("bad-port.conf") },
    });
    try {
      const health = (await (await fetch(`${edge.url}/health`)).json()) as any;
      expect(health).toMatchObject({ status: "degraded", callSync: { state: "misconfigured", message: expect.stringContaining('database port "33o6"') } });
    } finally {
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
  });
});
