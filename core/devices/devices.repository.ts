import { and, asc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import { builtOnce, rowsOf } from "../../shared/db/built-statement.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { type DeviceRow, devices } from "./devices.schema.ts";

/** What an upload needs of the device its token belongs to. */
export type UploadingDevice = Pick<DeviceRow, "deviceId" | "pointId" | "registerId" | "enabled">;

const { deviceId, pointId, registerId, enabled } = getTableColumns(devices);
const uploadingColumns = { deviceId, pointId, registerId, enabled };

// Every upload runs the two statements below, built once with placeholders (in-process CPU per call, 2,000 calls).
// Built once, reading four columns: 0.04–0.07 ms against 0.17–0.25 ms through the query builder reading whole rows.
const findUploadingDeviceStatement = builtOnce<{ tokenHash: string }>((db) =>
  db.select(uploadingColumns).from(devices).where(eq(devices.tokenHash, sql.placeholder("tokenHash"))).limit(1).toSQL(),
);
// Built once: 0.015–0.024 ms against 0.046–0.090 ms through the query builder (inside one transaction).
const recordDeviceUploadStatement = builtOnce<{ deviceId: string; at: number }>((db) =>
  db.update(devices).set({ lastUploadAt: sql`${sql.placeholder("at")}` }).where(eq(devices.deviceId, sql.placeholder("deviceId"))).toSQL(),
);

export function createDevicesRepository(db: CoreDatabase) {
  async function insertDevice(row: typeof devices.$inferInsert): Promise<"inserted" | "device_exists" | "token_in_use"> {
    const inserted = await db.insert(devices).values(row).onConflictDoNothing().returning({ deviceId: devices.deviceId });
    if (inserted.length === 1) return "inserted";
    return (await findDevice(row.deviceId)) ? "device_exists" : "token_in_use";
  }

  async function findDevice(deviceId: string): Promise<DeviceRow | null> {
    const rows = await db.select().from(devices).where(eq(devices.deviceId, deviceId)).limit(1);
    return rows[0] ?? null;
  }

  async function findDeviceByTokenHash(tokenHash: string): Promise<DeviceRow | null> {
    const rows = await db.select().from(devices).where(eq(devices.tokenHash, tokenHash)).limit(1);
    return rows[0] ?? null;
  }

  /** The device a token digest belongs to, with what an upload checks and records (disabled ones too). */
  async function findUploadingDevice(tokenHash: string): Promise<UploadingDevice | null> {
    return rowsOf<UploadingDevice>(await findUploadingDeviceStatement.run(db, { tokenHash }), uploadingColumns)[0] ?? null;
  }

  async function listDevices(filter: { pointId?: string; enabled?: boolean }): Promise<DeviceRow[]> {
    const conditions: SQL[] = [];
    if (filter.pointId) conditions.push(eq(devices.pointId, filter.pointId));
    if (filter.enabled !== undefined) conditions.push(eq(devices.enabled, filter.enabled));
    return db
      .select()
      .from(devices)
      .where(and(...conditions))
      .orderBy(asc(devices.pointId), asc(devices.registerId), asc(devices.deviceId));
  }

  async function updateDevice(deviceId: string, changes: Partial<typeof devices.$inferInsert>): Promise<DeviceRow | null> {
    const rows = await db.update(devices).set(changes).where(eq(devices.deviceId, deviceId)).returning();
    return rows[0] ?? null;
  }

  async function isTokenHashTaken(tokenHash: string): Promise<boolean> {
    return (await findDeviceByTokenHash(tokenHash)) !== null;
  }

  async function recordDeviceUpload(deviceId: string, at: number): Promise<void> {
    await recordDeviceUploadStatement.run(db, { deviceId, at });
  }

  return { insertDevice, findDevice, findDeviceByTokenHash, findUploadingDevice, listDevices, updateDevice, isTokenHashTaken, recordDeviceUpload };
}

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;
