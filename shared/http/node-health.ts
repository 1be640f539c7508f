import { buildInfo } from "../runtime/build-info.ts";
import type { HealthReport, HealthStatus } from "./create-http-app.ts";

export type DatabaseReplication = "litestream" | "none";

/**
 * The fields every node's /health starts with; nodes add their own sections. `replication` says
 * whether the node runs under `litestream replicate` (the installed command decides at start).
 */
export async function baseHealth(
  node: string,
  startedAt: number,
  client: { execute(statement: string): Promise<unknown> },
  underLitestream = false,
): Promise<HealthReport & { database: { ok: boolean; replication: DatabaseReplication; error?: string } }> {
  const replication: DatabaseReplication = underLitestream ? "litestream" : "none";
  let database: { ok: boolean; replication: DatabaseReplication; error?: string };
  try {
    await client.execute("SELECT 1");
    database = { ok: true, replication };
  } catch (error) {
    database = { ok: false, replication, error: (error as Error).message };
  }
  return {
    status: database.ok ? "ok" : "error",
    node,
    version: buildInfo.version,
    commit: buildInfo.commit,
    uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    database,
  };
}

/** The worst of several statuses. */
export function worstStatus(...statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes("error")) return "error";
  if (statuses.includes("degraded")) return "degraded";
  return "ok";
}
