/**
 * Call results from MariaDB to the core, end to end: 100,000 vicidial_log rows read by the edge
 * (`edge sync --once`, batches to the core) beside a baseline measured in the same run that does
 * what the original cron script did (the `end_epoch > checkpoint … LIMIT 500` query, one POST per
 * row). While each runs, a dialer imitation updates vicidial_log and records how long its writes
 * waited for the MyISAM table; every sync query is timed too.
 *   bun run bench call-sync [calls] [baseline seconds]
 * Uses the compiled x64 binaries when dist/ has them (npm run build), the sources otherwise.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "mysql2/promise";
import { createVicidialDatabase } from "../../edge/vicidial/testing/vicidial-log.fixture.ts";
import { readCoreCallResults, startCoreProcess } from "../../edge/sync/sync.testing.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { startMariaDb } from "../../shared/testing/mariadb-server.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { binaryPath } from "../build.ts";
import { printTable } from "./bench-report.ts";

const calls = Number(process.argv[2] ?? 100_000);
const baselineBudgetSeconds = Number(process.argv[3] ?? 45);
const root = join(import.meta.dir, "../..");

const dir = makeTempDir("salescontrol-bench-sync-");
const mariadb = await startMariaDb();
try {
  await createVicidialDatabase(mariadb);
  const dialer = await mariadb.connect({ database: "asterisk" });
  await dialer.query("SET SESSION sql_mode = ''");
  console.log(`inserting ${calls} calls into vicidial_log (the last 5 hours, several per second, half of them zero-length)…`);
  await fillVicidialLog(dialer, calls);

  const coreBinary = binaryPath("core", "x64");
  const edgeBinary = binaryPath("edge", "x64");
  const compiled = existsSync(coreBinary) && existsSync(edgeBinary);
  const core = await startCoreProcess(dir, compiled ? { binary: coreBinary } : {});
  let edgeCommand: string[];
  if (compiled) {
    mkdirSync(dir.join("bin"), { recursive: true });
    copyFileSync(edgeBinary, dir.join("bin/edge"));
    edgeCommand = [dir.join("bin/edge")];
  } else {
    edgeCommand = [process.execPath, join(root, "edge/main.ts")];
  }
  writeFileSync(dir.join("astguiclient.conf"), `VARDB_server => 127.0.0.1\nVARDB_database => asterisk\nVARDB_user => cron\nVARDB_pass => 1234\nVARDB_port => ${mariadb.port}\n`);

  // How long the dialer's writes wait with no sync at all: the machine's own noise.
  const idle = startDialerWrites(dialer, calls);
  await Bun.sleep(5000);
  const idleWrites = await idle.stop();

  // The edge: one `sync --once`, timed from exec to exit, with the dialer writing alongside.
  const ours = await core.newTenant("edge sync");
  writeFileSync(dir.join("dids.conf"), `[general]\napi_base_url=${core.url}\napi_key=${ours.key}\n`);
  const writes = startDialerWrites(dialer, calls);
  const started = performance.now();
  const run = await runCommand(edgeCommand[0]!, [...edgeCommand.slice(1), "sync", "--once"], {
    cwd: dir.path,
    env: { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.path, DATA_DIR: dir.join("edge"), ASTGUICLIENT_CONF: dir.join("astguiclient.conf"), DIDS_CONF: dir.join("dids.conf"), LOG_LEVEL: "warn" },
  });
  const oursSeconds = (performance.now() - started) / 1000;
  const oursWrites = await writes.stop();
  if (run.code !== 0) throw new Error(`edge sync failed:\n${run.stdout}\n${run.stderr}`);
  const slowestQueryMs = Number(/slowest ([\d.]+) ms/.exec(run.stdout)?.[1]);
  const queries = Number(/\((\d+) queries/.exec(run.stdout)?.[1]);
  const delivered = (await readCoreCallResults({ databasePath: core.databasePath, tenantId: ours.tenantId })).size;

  // The original: its query, then one POST per row, for at most the budget.
  const original = await core.newTenant("one POST per row");
  const baselineWrites = startDialerWrites(dialer, calls);
  const baseline = await runOriginalSync(mariadb.port, core.url, original.key, baselineBudgetSeconds);
  const baselineDialer = await baselineWrites.stop();
  const [[{ eligible }]] = (await dialer.query(
    "SELECT count(*) AS eligible FROM vicidial_log WHERE end_epoch IS NOT NULL AND status != '' AND status IS NOT NULL AND length_in_sec > 0",
  )) as unknown as [[{ eligible: number }]];

  await dialer.end();
  await core.stop();

  const perMinute = (rows: number, seconds: number) => Math.round((rows / seconds) * 60);
  console.log(`\n${calls} calls in vicidial_log; ${compiled ? "compiled binaries" : "from source"}; 127.0.0.1; the machine is shared, so figures vary between runs\n`);
  printTable(
    ["sync", "rows in core", "seconds", "rows/min", "× base", "slowest query ms", "dialer write wait max ms"],
    [
      [
        "edge sync --once (read by call_date pages, batches of 500)",
        delivered,
        oursSeconds,
        perMinute(delivered, oursSeconds),
        (perMinute(delivered, oursSeconds) / perMinute(baseline.rows, baseline.seconds)).toFixed(0),
        slowestQueryMs,
        oursWrites.slowestMs,
      ],
      ["original: end_epoch query, one POST per row (baseline)", baseline.rows, baseline.seconds, perMinute(baseline.rows, baseline.seconds), "1", baseline.slowestQueryMs, baselineDialer.slowestMs],
      ["no sync running (5 s, the machine's own noise)", "-", 5, "-", "-", "-", idleWrites.slowestMs],
    ],
  );
  console.log(`
edge sync --once said:\n${run.stdout.trimEnd().replace(/^/gm, "  ")}`);
  console.log(
    `\nedge: ${queries} vicidial_log queries. baseline: ${baseline.queries} queries${baseline.rows < eligible ? `, stopped after ${baselineBudgetSeconds}s` : ""}; its filter (length_in_sec > 0, end_epoch set) never sends ${calls - eligible} of the ${calls} calls, and each run's LIMIT 500 caps it at 500 rows per cron minute.`,
  );
  console.log("targets: over 100,000 rows per minute; no sync query holding the table longer than 50 ms");
} finally {
  await mariadb.stop();
  dir.remove();
}

async function fillVicidialLog(connection: Connection, count: number): Promise<void> {
  const statuses = ["NA", "NA", "NA", "AB", "ADC", "AA", "AL", "SALE", "NI", "CALLBK", "DROP", "DNC"];
  const spanSeconds = 5 * 3600;
  for (let start = 0; start < count; start += 5000) {
    const rows = [];
    for (let index = start; index < Math.min(count, start + 5000); index++) {
      const status = statuses[index % statuses.length]!;
      const answered = !["NA", "AB", "ADC", "AA"].includes(status);
      const secondsAgo = spanSeconds - Math.floor((index / count) * spanSeconds);
      const length = answered ? 20 + (index % 300) : 0;
      rows.push([`${1_768_000_000 + Math.floor(index / 6)}.${index}`, 100_000 + index, 1001, ["OUTBND", "SURVEY2", "RETENT"][index % 3], secondsAgo, secondsAgo, answered ? secondsAgo - length : index % 3 === 0 ? null : secondsAgo, length, status, `415555${String(index % 10_000).padStart(4, "0")}`, answered ? `agent${index % 40}` : "VDAD", answered ? "AGENTS" : null, answered ? "AGENT" : index % 2 === 0 ? "" : "NONE", answered && index % 5 === 0 ? "wants a call back on Friday" : null]);
    }
    await connection.query(
      `INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, user_group, term_reason, alt_dial, called_count, comments)
       VALUES ${rows.map(() => "(?, ?, ?, ?, NOW() - INTERVAL ? SECOND, UNIX_TIMESTAMP() - ?, IF(? IS NULL, NULL, UNIX_TIMESTAMP() - ?), ?, ?, '1', ?, ?, ?, ?, 'MAIN', 1, ?)").join(", ")}`,
      rows.flatMap((row) => [row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13]]),
    );
  }
}

/** The dialer's own traffic during a sync: a status update every few milliseconds, each timed. */
function startDialerWrites(connection: Connection, count: number) {
  let stopped = false;
  let slowestMs = 0;
  let writes = 0;
  const running = (async () => {
    while (!stopped) {
      const index = Math.floor(Math.random() * count);
      const before = performance.now();
      await connection.query("UPDATE vicidial_log SET processed = 'Y' WHERE uniqueid = ?", [`${1_768_000_000 + Math.floor(index / 6)}.${index}`]);
      slowestMs = Math.max(slowestMs, performance.now() - before);
      writes++;
      await Bun.sleep(5);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return { slowestMs: Math.round(slowestMs * 10) / 10, writes };
    },
  };
}

/** The seed's process-call-results.js, back to back instead of once a minute. */
async function runOriginalSync(port: number, coreUrl: string, apiKey: string, budgetSeconds: number) {
  const mysql = (await import("mysql2/promise")).default;
  const db = await mysql.createConnection({ host: "127.0.0.1", port, user: "cron", password: "1234", database: "asterisk" });
  let checkpoint = "1970-01-01 00:00:01";
  let rows = 0;
  let queries = 0;
  let slowestQueryMs = 0;
  const started = performance.now();
  outer: for (;;) {
    const before = performance.now();
    const [calls] = (await db.execute(
      `SELECT uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, comments, processed, user_group, term_reason, alt_dial, called_count
       FROM vicidial_log WHERE end_epoch > UNIX_TIMESTAMP(?) AND status != '' AND status IS NOT NULL AND length_in_sec > 0 ORDER BY end_epoch ASC LIMIT 500`,
      [checkpoint],
    )) as unknown as [Array<Record<string, any>>];
    slowestQueryMs = Math.max(slowestQueryMs, performance.now() - before);
    queries++;
    if (calls.length === 0) break;
    let latest = 0;
    for (const call of calls) {
      const response = await fetch(`${coreUrl}/api/v1/call-results`, {
        method: "POST",
        headers: { "x-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify({
          uniqueid: call.uniqueid,
          leadId: call.lead_id,
          listId: call.list_id,
          campaignId: call.campaign_id,
          phoneNumber: call.phone_number,
          phoneCode: call.phone_code,
          disposition: call.status,
          duration: call.length_in_sec,
          agentId: call.user,
          userGroup: call.user_group,
          termReason: call.term_reason,
          comments: call.comments,
          altDial: call.alt_dial,
          calledCount: call.called_count,
          callDate: call.call_date,
          startEpoch: call.start_epoch,
          endEpoch: call.end_epoch,
          timestamp: call.end_epoch,
        }),
      });
      await response.arrayBuffer();
      if (response.ok) rows++;
      latest = Math.max(latest, call.end_epoch);
      if ((performance.now() - started) / 1000 >= budgetSeconds) break outer;
    }
    checkpoint = new Date(latest * 1000).toISOString().slice(0, 19).replace("T", " ");
  }
  await db.end();
  return { rows, queries, seconds: (performance.now() - started) / 1000, slowestQueryMs: Math.round(slowestQueryMs * 10) / 10 };
}
