import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Recorders allowed to upload. The token is kept only as its SHA-256 digest: the plain token is
 * shown once, when it is set, and never stored.
 */
export const devices = sqliteTable(
  "devices",
  {
    deviceId: text("device_id").primaryKey(),
    pointId: text("point_id").notNull(),
    registerId: text("register_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    tokenRotatedAt: integer("token_rotated_at").notNull(),
    disabledAt: integer("disabled_at"),
    lastUploadAt: integer("last_upload_at"),
  },
  (table) => [uniqueIndex("devices_token_hash_unique").on(table.tokenHash), index("devices_point_idx").on(table.pointId, table.registerId)],
);

export type DeviceRow = typeof devices.$inferSelect;
