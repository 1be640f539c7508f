import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const operatorRoles = ["admin", "viewer"] as const;
export type OperatorRole = (typeof operatorRoles)[number];

/**
 * People who may sign in to a node's pages; passwords are stored as scrypt hashes only. `scope`
 * (a JSON array of ids, e.g. the core's point ids) limits what the account sees; null sees all.
 * Nodes re-export these tables from their schema so drizzle-kit generates them into their migrations.
 */
export const operators = sqliteTable("operators", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: operatorRoles }).notNull().default("admin"),
  scope: text("scope", { mode: "json" }).$type<string[]>(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A signed-in browser: the cookie holds a random token, the table only its SHA-256. */
export const operatorSessions = sqliteTable(
  "operator_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    operatorId: integer("operator_id")
      .notNull()
      .references(() => operators.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (table) => [index("operator_sessions_expires_idx").on(table.expiresAt)],
);

/**
 * Failed sign-ins per client address. An attempt is counted before its password is checked, in
 * one statement, so parallel attempts cannot slip past the limit; a success deletes the row.
 */
export const signInLockouts = sqliteTable(
  "sign_in_lockouts",
  {
    address: text("address").primaryKey(),
    failures: integer("failures").notNull(),
    blockedUntil: integer("blocked_until").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("sign_in_lockouts_updated_idx").on(table.updatedAt)],
);

export type OperatorRow = typeof operators.$inferSelect;
export type SessionRow = typeof operatorSessions.$inferSelect;
export type SignInLockoutRow = typeof signInLockouts.$inferSelect;
