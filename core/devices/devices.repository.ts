import { and, asc, eq, type SQL } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { type DeviceRow, devices } from "./devices.schema.ts";

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
    await db.update(devices).set({ lastUploadAt: at }).where(eq(devices.deviceId, deviceId));
  }

  return { insertDevice, findDevice, findDeviceByTokenHash, listDevices, updateDevice, isTokenHashTaken, recordDeviceUpload };
}

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;
