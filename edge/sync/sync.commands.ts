import type { CommandOutput } from "../../shared/cli/command-output.ts";
import type { EdgeDeps } from "../edge-deps.ts";
import { describeDatabase, describeVicidialSettings, resolveVicidialSettings, type VicidialSettings } from "../vicidial/vicidial-settings.ts";
import { createDidOptimizerClient, type DidOptimizerClient } from "./did-optimizer.client.ts";
import { createSyncRepository, type SyncRepository } from "./sync.repository.ts";
import { DeliveryError, deliverOutbox, deliveryLogFields, releaseOrphanedLeases, runScheduledScan, type ScanSummary, scanLogFields, scanVicidialLog, shiftWallTime, stateKeys, syncDepsFrom } from "./sync.usecases.ts";
import { connectVicidialLog, type VicidialLogReader } from "./vicidial-log.repository.ts";

type EdgeContext = EdgeDeps & { shutdown: AbortSignal; output: CommandOutput };

const usage = "usage: salescontrol-edge sync [--once | --since <time> | --status | --retry-dead | --check]\n";

/**
 * `edge sync`: one sync run for cron users (read vicidial_log, send what changed, print a summary),
 * `--since <time>` re-sends a period (as resetting the seed's checkpoint did), `--status` shows the
 * outbox, `--retry-dead` re-queues refused rows, `--check` tests the database and the API key.
 */
export async function runSyncCommand(deps: EdgeDeps, args: string[], command: { shutdown: AbortSignal; output: CommandOutput }): Promise<number> {
  const context: EdgeContext = { ...deps, shutdown: command.shutdown, output: command.output };
  const out = (line: string) => context.output.out(`${line}\n`);
  const [mode = "--once", value, ...rest] = args;
  if (rest.length > 0 || (mode === "--since") !== (value !== undefined) || !["--once", "--since", "--status", "--retry-dead", "--check"].includes(mode)) {
    context.output.err(usage);
    return 2;
  }
  const settings = resolveVicidialSettings(context.config);
  const repository = createSyncRepository(context.database.db);
  if (mode === "--status") return printStatus(context, settings, repository, out);
  if (mode === "--retry-dead") {
    out(`${await repository.retryDead(context.clock.now())} refused call results queued again`);
    return 0;
  }
  for (const problem of settings.problems) out(`problem: ${problem}`);
  if (settings.problems.length > 0) return 1;
  if (mode === "--check") return check(context, settings, out);
  const core = createDidOptimizerClient(settings.api);
  if (!core) {
    out(`no API key: set api_key in ${settings.files.dids.path} or DID_OPTIMIZER_API_KEY`);
    return 1;
  }
  return syncOnce(context, settings, core, repository, out, mode === "--since" ? value! : null);
}

async function syncOnce(context: EdgeContext, settings: VicidialSettings, core: DidOptimizerClient, repository: SyncRepository, out: (line: string) => void, since: string | null): Promise<number> {
  const deps = syncDepsFrom(context.config, { repository, clock: context.clock });
  const { database } = settings;
  const started = performance.now();
  let reader: VicidialLogReader | null = null;
  let scan: ScanSummary;
  try {
    reader = await connectVicidialLog(database);
    if (since !== null) {
      const from = sinceWallTime(since, await reader.databaseNow());
      if (!from) {
        out(`--since: "${since}" is neither a date ("2026-01-15", "2026-01-15 09:00:00") nor a duration ("90m", "2h", "3d")`);
        return 2;
      }
      out(`re-sending every call result since ${from} from ${describeDatabase(database)}`);
      scan = await scanVicidialLog(deps, reader, from, { force: true, signal: context.shutdown });
    } else {
      scan = await runScheduledScan(deps, reader, context.shutdown);
      out(`read vicidial_log on ${describeDatabase(database)} (${scan.kind} read from ${scan.from})`);
    }
  } catch (error) {
    out(`failed: ${(error as Error).message}`);
    context.logger.error("call sync failed", { stage: "scan", error });
    return 1;
  } finally {
    await reader?.close();
  }
  out(
    `found ${scan.rows} call results: ${scan.new} new, ${scan.changed} changed, ${scan.unchanged} unchanged, ${scan.queued} queued (${scan.pages} queries, slowest ${scan.slowestQueryMs.toFixed(1)} ms) in ${(scan.durationMs / 1000).toFixed(2)}s`,
  );
  context.logger.info("call sync scan", scanLogFields(scan, (await repository.counts()).pending));

  await releaseOrphanedLeases(repository);
  let exitCode = 0;
  try {
    const sent = await deliverOutbox(deps, core, { signal: context.shutdown });
    out(`sent ${sent.sent} to ${core.baseUrl}: ${sent.created} created, ${sent.updated} updated, ${sent.unchanged} unchanged, ${sent.rejected} refused in ${(sent.durationMs / 1000).toFixed(2)}s`);
    context.logger.info("call results sent", deliveryLogFields(sent));
  } catch (error) {
    const partial = error instanceof DeliveryError ? error.summary : null;
    if (partial && partial.sent > 0) out(`sent ${partial.sent} to ${core.baseUrl} before it stopped answering`);
    out(`failed: ${(error as Error).message}`);
    context.logger.error("call sync failed", { stage: "delivery", error });
    exitCode = 1;
  }
  const counts = await repository.counts();
  out(`outbox: ${counts.pending} waiting for the next run, ${counts.dead} refused (see sync --status); ${((performance.now() - started) / 1000).toFixed(2)}s in all`);
  return exitCode;
}

async function printStatus(context: EdgeContext, settings: VicidialSettings, repository: SyncRepository, out: (line: string) => void): Promise<number> {
  for (const line of describeVicidialSettings(settings)) out(line);
  const state = await repository.readState();
  out(`last read: ${state.get(stateKeys.lastScanDbNow) ?? "never"} (database time); last full read: ${state.get(stateKeys.lastFullScanDbNow) ?? "never"}`);
  const counts = await repository.counts();
  const oldest = counts.oldestPendingQueuedAt === null ? "" : `, the oldest queued ${Math.round((context.clock.now() - counts.oldestPendingQueuedAt) / 1000)}s ago`;
  out(`outbox: ${counts.pending} waiting${oldest}, ${counts.dead} refused by the core`);
  for (const dead of await repository.listDead(20)) out(`  refused ${dead.uniqueid} (${dead.callDate ?? "no date"}): ${dead.lastError ?? "no reason given"}`);
  return 0;
}

async function check(context: EdgeContext, settings: VicidialSettings, out: (line: string) => void): Promise<number> {
  for (const line of describeVicidialSettings(settings)) out(line);
  let ok = true;
  try {
    const reader = await connectVicidialLog(settings.database);
    try {
      const now = await reader.databaseNow();
      const recent = await reader.readFrom(shiftWallTime(now, -3600), 1);
      out(`vicidial database: ok (database time ${now}; vicidial_log readable, ${recent.rows.length > 0 ? "calls in the last hour" : "no calls in the last hour"})`);
    } finally {
      await reader.close();
    }
  } catch (error) {
    ok = false;
    out(`vicidial database: FAILED: ${(error as Error).message}`);
  }
  const core = createDidOptimizerClient(settings.api);
  if (!core) {
    out(`did optimizer api: FAILED: no API key (api_key in ${settings.files.dids.path} or DID_OPTIMIZER_API_KEY)`);
    return 1;
  }
  const health = await core.checkHealth(context.shutdown);
  if (health.ok) out(`did optimizer api: ok (tenant ${health.health.tenant.name}, core up ${health.health.uptime}s)`);
  else out(`did optimizer api: FAILED: ${health.message}`);
  return ok && health.ok ? 0 : 1;
}

/** `--since` as a wall time in the database's clock: a date, a date and time, or a duration back from now. */
export function sinceWallTime(since: string, databaseNow: string): string | null {
  const relative = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(since.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2]!.toLowerCase() as "s" | "m" | "h" | "d"];
    return shiftWallTime(databaseNow, -Math.round(Number(relative[1]) * unit));
  }
  const absolute = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(since.trim());
  if (!absolute) return null;
  const wall = `${absolute[1]} ${absolute[2] ?? "00"}:${absolute[3] ?? "00"}:${absolute[4] ?? "00"}`;
  try {
    return shiftWallTime(wall, 0) === wall ? wall : null;
  } catch {
    return null;
  }
}
