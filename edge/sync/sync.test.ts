import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { createFakeClock, type FakeClock } from "../../shared/testing/fake-clock.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { sinceWallTime } from "./sync.commands.ts";
import { createDidOptimizerClient } from "./did-optimizer.client.ts";
import { createSyncRepository, type SyncRepository } from "./sync.repository.ts";
import { compareCallResults, readCoreCallResults, readVicidialCallResults, useSyncTestbed, startLimitingProxy } from "./sync.testing.ts";
import { DeliveryError, deliverOutbox, PageSizer, releaseOrphanedLeases, runScheduledScan, scanVicidialLog, shiftWallTime, type SyncDeps } from "./sync.usecases.ts";
import { connectVicidialLog, type VicidialLogReader, VicidialConnectionError } from "./vicidial-log.repository.ts";

const testbed = useSyncTestbed("salescontrol-sync-", { beforeAll, afterAll });

let edge: TempDatabase<typeof schema>;
let repository: SyncRepository;
let reader: VicidialLogReader;
let clock: FakeClock;
let tenant: { tenantId: string; key: string };
let deps: SyncDeps;
let tenantCount = 0;
beforeEach(async () => {
  edge = await openTempDatabase(migrations, schema);
  repository = createSyncRepository(edge.db);
  clock = createFakeClock(Date.now());
  await testbed.mariadb.query("TRUNCATE asterisk.vicidial_log");
  reader = await connectVicidialLog({ host: "127.0.0.1", port: testbed.mariadb.port, user: "cron", password: "1234", database: "asterisk", sources: {} as never });
  tenant = await testbed.core.newTenant(`tenant ${++tenantCount}`);
  deps = { repository, clock, tuning: { recentMinutes: 30, lookbackHours: 6, fullScanMinutes: 15, batchSize: 500, maxPageSize: 500 }, pageSizer: new PageSizer(500) };
});
afterEach(async () => {
  await reader.close();
  edge.dispose();
});

const coreClient = (key = tenant.key, baseUrl = testbed.core.url) => createDidOptimizerClient({ baseUrl, apiKey: key, timeoutMs: 10_000 })!;

/** Inserts rows directly (sql_mode '' as VICIdial runs, so term_reason may be ''). */
async function insertCalls(rows: Array<{ uniqueid: string; secondsAgo: number; status?: string; length?: number; termReason?: string; user?: string; endEpoch?: number | null }>) {
  const connection = await testbed.mariadb.connect({ database: "asterisk" });
  try {
    await connection.query("SET SESSION sql_mode = ''");
    for (let index = 0; index < rows.length; index += 1000) {
      const chunk = rows.slice(index, index + 1000);
      await connection.query(
        `INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, user_group, term_reason, alt_dial, called_count)
         VALUES ${chunk.map(() => "(?, ?, 1001, 'OUTBND', NOW() - INTERVAL ? SECOND, UNIX_TIMESTAMP() - ?, ?, ?, ?, '1', '4155550100', ?, NULL, ?, 'MAIN', 1)").join(", ")}`,
        chunk.flatMap((row, offset) => [row.uniqueid, 5000 + index + offset, row.secondsAgo, row.secondsAgo, row.endEpoch ?? null, row.length ?? 0, row.status ?? "NA", row.user ?? "VDAD", row.termReason ?? ""]),
      );
    }
  } finally {
    await connection.end();
  }
}

async function coreMatchesVicidial(): Promise<string[]> {
  return compareCallResults(await readVicidialCallResults(testbed.mariadb), await readCoreCallResults({ databasePath: testbed.core.databasePath, tenantId: tenant.tenantId }));
}

describe("reading vicidial_log", () => {
  test("calls sharing a second are never split or skipped, even more of them than a page holds", async () => {
    const rows = [];
    for (let index = 0; index < 1200; index++) rows.push({ uniqueid: `1768000000.${index}`, secondsAgo: 600 });
    for (let index = 0; index < 700; index++) rows.push({ uniqueid: `1768000001.${index}`, secondsAgo: 300 + (index % 7) });
    for (let index = 0; index < 300; index++) rows.push({ uniqueid: `1768000002.${index}`, secondsAgo: 60 + index });
    await insertCalls(rows);
    const scan = await runScheduledScan(deps, reader);
    expect(scan).toMatchObject({ kind: "full", rows: 2200, new: 2200, queued: 2200 });
    expect(scan.pages).toBeGreaterThan(4);
    expect((await repository.counts()).pending).toBe(2200);
    const sent = await deliverOutbox(deps, coreClient());
    expect(sent).toMatchObject({ sent: 2200, created: 2200, rejected: 0 });
    expect(await coreMatchesVicidial()).toEqual([]);
    expect((await repository.counts()).pending).toBe(0);
  });

  test("only new and changed rows are queued; in-progress calls are sent again when final", async () => {
    await insertCalls([
      { uniqueid: "1768000100.1", secondsAgo: 120, status: "INCALL" },
      { uniqueid: "1768000100.2", secondsAgo: 110, status: "NA", termReason: "" },
      { uniqueid: "1768000100.3", secondsAgo: 100, status: "AA" },
    ]);
    await runScheduledScan(deps, reader);
    await deliverOutbox(deps, coreClient());
    await clock.advance(60_000);
    const quiet = await runScheduledScan(deps, reader);
    expect(quiet).toMatchObject({ kind: "recent", rows: 3, unchanged: 3, queued: 0 });

    await testbed.mariadb.query("UPDATE asterisk.vicidial_log SET end_epoch = UNIX_TIMESTAMP(), length_in_sec = 95, term_reason = 'AGENT', user = 'agent7' WHERE uniqueid = '1768000100.1'");
    await testbed.mariadb.query("UPDATE asterisk.vicidial_log SET status = 'AL' WHERE uniqueid = '1768000100.3'");
    await clock.advance(60_000);
    expect(await runScheduledScan(deps, reader)).toMatchObject({ changed: 2, queued: 2 });
    await testbed.mariadb.query("UPDATE asterisk.vicidial_log SET status = 'SALE', comments = 'renouvelé pour un an — ✓' WHERE uniqueid = '1768000100.1'");
    await clock.advance(60_000);
    expect(await runScheduledScan(deps, reader)).toMatchObject({ changed: 1, queued: 1 });
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 2, updated: 2 });
    expect(await coreMatchesVicidial()).toEqual([]);
  });

  test("a disposition set hours after the call reaches the core through the full read", async () => {
    await insertCalls([{ uniqueid: "1767990000.1", secondsAgo: 3 * 3600, status: "CALLBK", user: "agent3", termReason: "AGENT", length: 60 }]);
    await runScheduledScan(deps, reader);
    await deliverOutbox(deps, coreClient());
    await testbed.mariadb.query("UPDATE asterisk.vicidial_log SET status = 'SALE' WHERE uniqueid = '1767990000.1'");
    await clock.advance(60_000);
    expect(await runScheduledScan(deps, reader)).toMatchObject({ kind: "recent", rows: 0 });
    await clock.advance(15 * 60_000);
    expect(await runScheduledScan(deps, reader)).toMatchObject({ kind: "full", changed: 1 });
    await deliverOutbox(deps, coreClient());
    expect(await coreMatchesVicidial()).toEqual([]);
  });

  test("a sync stopped for a day reads the whole day when it comes back", async () => {
    const now = await reader.databaseNow();
    await repository.writeState({ "scan.last_db_now": shiftWallTime(now, -30 * 3600), "scan.last_full_db_now": shiftWallTime(now, -30 * 3600), "scan.last_full_at": String(clock.now()) }, clock.now());
    await insertCalls([
      { uniqueid: "1767900000.1", secondsAgo: 29 * 3600 },
      { uniqueid: "1767900000.2", secondsAgo: 12 * 3600 },
      { uniqueid: "1767900000.3", secondsAgo: 10 },
    ]);
    const scan = await runScheduledScan(deps, reader);
    expect(scan).toMatchObject({ kind: "recent", new: 3 });
    expect(scan.from).toBe(shiftWallTime(now, -30 * 3600 - 30 * 60));
  });

  test("re-sending a period queues every row again; the core keeps one record each", async () => {
    await insertCalls([
      { uniqueid: "1768000200.1", secondsAgo: 7200 },
      { uniqueid: "1768000200.2", secondsAgo: 60 },
    ]);
    await runScheduledScan(deps, reader);
    await deliverOutbox(deps, coreClient());
    const resend = await scanVicidialLog(deps, reader, shiftWallTime(await reader.databaseNow(), -3 * 3600), { force: true });
    expect(resend).toMatchObject({ rows: 2, unchanged: 2, queued: 2 });
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 2, unchanged: 2 });
    expect((await readCoreCallResults({ databasePath: testbed.core.databasePath, tenantId: tenant.tenantId })).size).toBe(2);
  });

  test("wrong database credentials give a clear error naming the user, host and what to check", async () => {
    const attempt = connectVicidialLog({ host: "127.0.0.1", port: testbed.mariadb.port, user: "cron", password: "wrong", database: "asterisk", sources: {} as never });
    await expect(attempt).rejects.toThrow(VicidialConnectionError);
    await expect(attempt).rejects.toThrow(/cron@127\.0\.0\.1:\d+\/asterisk: Access denied.*check VARDB_user\/VARDB_pass/);
    await expect(attempt).rejects.not.toThrow(/wrong/);
  });
});

describe("delivering to the core", () => {
  test("a row the core refuses goes dead with the reason; the rest arrive; a change brings it back", async () => {
    await insertCalls([
      { uniqueid: "1768000300.1", secondsAgo: 30 },
      { uniqueid: "bad id", secondsAgo: 20 },
      { uniqueid: "1768000300.3", secondsAgo: 10 },
    ]);
    await runScheduledScan(deps, reader);
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 3, created: 2, rejected: 1 });
    expect(await repository.counts()).toMatchObject({ pending: 0, dead: 1 });
    expect((await repository.listDead(10))[0]).toMatchObject({ uniqueid: "bad id", lastError: expect.stringContaining("uniqueid") });
    await clock.advance(60_000);
    expect(await runScheduledScan(deps, reader)).toMatchObject({ queued: 0 });
    expect(await repository.retryDead(clock.now())).toBe(1);
    expect(await repository.counts()).toMatchObject({ pending: 1, dead: 0 });
  });

  test("a refused API key or an unreachable core loses nothing: the rows wait, then arrive", async () => {
    await insertCalls([
      { uniqueid: "1768000400.1", secondsAgo: 30 },
      { uniqueid: "1768000400.2", secondsAgo: 20 },
    ]);
    await runScheduledScan(deps, reader);
    const refused = deliverOutbox(deps, coreClient("sc_not-a-real-key"));
    await expect(refused).rejects.toThrow(DeliveryError);
    await expect(refused).rejects.toThrow(/refused the API key \(auth\.api_key_invalid/);
    const closedPort = await findFreePort();
    await expect(deliverOutbox(deps, coreClient(tenant.key, `http://127.0.0.1:${closedPort}`))).rejects.toThrow(/cannot reach the core/);
    await expect(deliverOutbox(deps, coreClient(tenant.key, `${testbed.core.url}/wrong-path`))).rejects.toThrow(/no DID Optimizer API/);
    expect((await repository.counts()).pending).toBe(2);
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 2, created: 2 });
    expect(await coreMatchesVicidial()).toEqual([]);
  });

  test("behind a proxy that refuses large bodies, batches split until they pass", async () => {
    const rows = [];
    for (let index = 0; index < 300; index++) rows.push({ uniqueid: `1768000500.${index}`, secondsAgo: 100 + index });
    await insertCalls(rows);
    await runScheduledScan(deps, reader);
    const proxy = await startLimitingProxy(testbed.dir, testbed.core.url, 20_000);
    try {
      const sent = await deliverOutbox(deps, coreClient(tenant.key, proxy.url));
      expect(sent).toMatchObject({ sent: 300, created: 300, rejected: 0 });
      expect(sent.batches).toBeGreaterThan(5);
    } finally {
      await proxy.stop();
    }
    expect(await coreMatchesVicidial()).toEqual([]);
  });

  test("batches claimed by a sender that died are released; a live sender's are not", async () => {
    await insertCalls([
      { uniqueid: "1768000600.1", secondsAgo: 30 },
      { uniqueid: "1768000600.2", secondsAgo: 20 },
    ]);
    await runScheduledScan(deps, reader);
    const deadPid = 2 ** 22 + 12345;
    expect(await repository.claimBatch(1, `${hostname()}/${deadPid}/lost`, clock.now(), 120_000)).toHaveLength(1);
    expect(await repository.claimBatch(1, `${hostname()}/${process.ppid}/alive`, clock.now(), 120_000)).toHaveLength(1);
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 0 });
    expect(await releaseOrphanedLeases(repository)).toBe(1);
    expect(await deliverOutbox(deps, coreClient())).toMatchObject({ sent: 1 });
  });
});

describe("time helpers", () => {
  test("wall times shift across days and months; --since takes dates and durations", () => {
    expect(shiftWallTime("2026-03-01 00:00:30", -60)).toBe("2026-02-28 23:59:30");
    expect(sinceWallTime("2h", "2026-01-15 09:00:00")).toBe("2026-01-15 07:00:00");
    expect(sinceWallTime("3d", "2026-01-15 09:00:00")).toBe("2026-01-12 09:00:00");
    expect(sinceWallTime("2026-01-14", "2026-01-15 09:00:00")).toBe("2026-01-14 00:00:00");
    expect(sinceWallTime("2026-01-14 12:30", "x")).toBe("2026-01-14 12:30:00");
    expect(sinceWallTime("2026-02-30", "x")).toBeNull();
    expect(sinceWallTime("yesterday", "x")).toBeNull();
  });

  test("pages halve while queries are slow and grow back when they are fast", () => {
    const sizer = new PageSizer(2000);
    expect(sizer.size).toBe(500);
    sizer.observe(1);
    sizer.observe(1);
    expect(sizer.size).toBe(2000);
    sizer.observe(45);
    sizer.observe(30);
    expect(sizer.size).toBe(500);
    sizer.observe(1);
    expect(sizer.size).toBe(1000);
    for (let index = 0; index < 5; index++) sizer.observe(1);
    expect(sizer.size).toBe(2000);
    for (let index = 0; index < 20; index++) sizer.observe(100);
    expect(sizer.size).toBe(50);
  });
});
