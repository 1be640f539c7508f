import { and, asc, eq, gt, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { devices } from "../devices/devices.schema.ts";
import { audioChunks } from "../ingest/ingest.schema.ts";
import type { PointScope } from "./analytics.repository.ts";

export const quarterHourMs = 900_000;

/** The recorders and the audio they sent, as the dashboard's recorders page reads them. */
export function createRecordersRepository(db: CoreDatabase) {
  return {
    /** Every recorder of the caller's points with its newest chunk (found through the device's own start index; drizzle would leave the outer column unqualified). */
    async recordersWithLastChunk(scope: PointScope, pointId?: string) {
      const conditions: SQL[] = [];
      if (scope.kind === "points") conditions.push(inArray(devices.pointId, [...scope.pointIds]));
      if (pointId) conditions.push(eq(devices.pointId, pointId));
      const newest = (column: typeof audioChunks.startTs | typeof audioChunks.endTs) =>
        sql<number | null>`(SELECT ${sql.identifier(column.name)} FROM ${audioChunks} AS newest WHERE newest.device_id = "devices"."device_id" ORDER BY newest.start_ts DESC LIMIT 1)`;
      return db
        .select({
          deviceId: devices.deviceId,
          pointId: devices.pointId,
          registerId: devices.registerId,
          enabled: devices.enabled,
          lastUploadAt: devices.lastUploadAt,
          lastChunkStartTs: newest(audioChunks.startTs),
          lastChunkEndTs: newest(audioChunks.endTs),
        })
        .from(devices)
        .where(and(...conditions))
        .orderBy(asc(devices.pointId), asc(devices.registerId), asc(devices.deviceId));
    },

    /**
     * The audio of these recorders between two instants, summed per recorder and UTC quarter hour of
     * each chunk's start: milliseconds recorded inside the span and the latest end of a chunk there.
     */
    chunkQuarters(deviceIds: string[], fromTs: number, toTs: number) {
      if (deviceIds.length === 0) return Promise.resolve([]);
      // A literal divisor: a bound number may reach SQLite as a real, and the division would not truncate.
      const quarter = sql<number>`${audioChunks.startTs} / ${sql.raw(String(quarterHourMs))}`;
      return db
        .select({
          deviceId: audioChunks.deviceId,
          quarter: quarter.mapWith(Number),
          recordedMs: sql<number>`sum(min(${audioChunks.endTs}, ${toTs}) - max(${audioChunks.startTs}, ${fromTs}))`.mapWith(Number),
          lastEndTs: sql<number>`max(${audioChunks.endTs})`.mapWith(Number),
        })
        .from(audioChunks)
        // A chunk lasts at most an hour: one that began before the span and reaches into it counts too.
        .where(and(inArray(audioChunks.deviceId, deviceIds), gte(audioChunks.startTs, fromTs - 3_600_000), lt(audioChunks.startTs, toTs), gt(audioChunks.endTs, fromTs)))
        .groupBy(audioChunks.deviceId, quarter);
    },
  };
}
