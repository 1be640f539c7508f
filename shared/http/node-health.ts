import type { Client } from "@libsql/client";
import { buildInfo } from "../runtime/build-info.ts";
import type { HealthReport, HealthStatus } from "./create-http-app.ts";

/** The fields every node's /health starts with; nodes add their own sections. */
export async function baseHealth(node: string, startedAt: number, client: Client): Promise<HealthReport & { database: { ok: boolean; error?: string } }> {
  let database: { ok: boolean; error?: string };
  try {
    await client.execute("SELECT 1");
    database = { ok: true };
  } catch (error) {
    database = { ok: false, error: (error as Error).message };
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
