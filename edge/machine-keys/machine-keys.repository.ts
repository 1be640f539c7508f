import { and, asc, eq, getTableColumns, isNull, sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { type MachineApiKeyRow, machineApiKeys } from "./machine-keys.schema.ts";

export type MachineApiKey = Omit<MachineApiKeyRow, "keyHash">;

const { keyHash: _keyHash, ...shownColumns } = getTableColumns(machineApiKeys);

export interface MachineKeysRepository {
  /** False when the name is taken (a revoked key keeps its name). */
  insertKey(values: Omit<MachineApiKeyRow, "id" | "lastUsedAt" | "revokedAt">): Promise<boolean>;
  listKeys(): Promise<MachineApiKey[]>;
  /** The key, revoked now unless it already was; null when no key has that name. */
  revokeKey(name: string, now: number): Promise<MachineApiKey | null>;
  findLiveKey(keyHash: string): Promise<MachineApiKey | null>;
  touchKey(id: number, now: number): Promise<void>;
}

export function createMachineKeysRepository(db: LibSQLDatabase<Record<string, unknown>>): MachineKeysRepository {
  return {
    async insertKey(values) {
      const inserted = await db.insert(machineApiKeys).values(values).onConflictDoNothing().returning({ id: machineApiKeys.id });
      return inserted.length === 1;
    },
    listKeys() {
      return db.select(shownColumns).from(machineApiKeys).orderBy(asc(machineApiKeys.createdAt), asc(machineApiKeys.id));
    },
    async revokeKey(name, now) {
      const [revoked] = await db
        .update(machineApiKeys)
        .set({ revokedAt: sql`coalesce(${machineApiKeys.revokedAt}, ${now})` })
        .where(eq(machineApiKeys.name, name))
        .returning(shownColumns);
      return revoked ?? null;
    },
    async findLiveKey(keyHash) {
      const [key] = await db
        .select(shownColumns)
        .from(machineApiKeys)
        .where(and(eq(machineApiKeys.keyHash, keyHash), isNull(machineApiKeys.revokedAt)));
      return key ?? null;
    },
    async touchKey(id, now) {
      await db.update(machineApiKeys).set({ lastUsedAt: now }).where(eq(machineApiKeys.id, id));
    },
  };
}
