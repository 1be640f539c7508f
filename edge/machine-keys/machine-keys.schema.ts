import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Keys that let another machine (the core's studio) push campaign packages to this edge. Made on the
 * edge with `salescontrol-edge api-key add`; only their SHA-256 is stored, the key is shown once.
 */
export const machineApiKeys = sqliteTable(
  "machine_api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** The first characters of the key, so that people can tell their keys apart. */
    keyPrefix: text("key_prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (table) => [uniqueIndex("machine_api_keys_key_hash_unique").on(table.keyHash), uniqueIndex("machine_api_keys_name_unique").on(table.name)],
);

export type MachineApiKeyRow = typeof machineApiKeys.$inferSelect;
