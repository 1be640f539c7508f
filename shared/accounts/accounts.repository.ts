import { and, asc, count, eq, gt, lte, sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { type OperatorRole, type OperatorRow, operatorSessions, operators, signInLockouts } from "./accounts.schema.ts";

export type AccountsDatabase = LibSQLDatabase<Record<string, unknown>>;

/** How failed sign-ins lock an address out: `freeAttempts` are free, then each failure doubles the wait. */
export interface LockoutPolicy {
  freeAttempts: number;
  firstLockoutMs: number;
  maxLockoutMs: number;
  /** A count idle this long is forgotten. */
  forgetAfterMs: number;
}

export const defaultLockoutPolicy: LockoutPolicy = { freeAttempts: 5, firstLockoutMs: 30_000, maxLockoutMs: 15 * 60_000, forgetAfterMs: 24 * 3_600_000 };

export interface AccountListing {
  username: string;
  role: OperatorRole;
  scope: string[] | null;
  createdAt: number;
  activeSessions: number;
}

export interface SessionAccount {
  username: string;
  role: OperatorRole;
  scope: string[] | null;
  lastSeenAt: number;
}

export type SignInReservation = { allowed: true } | { allowed: false; blockedUntil: number };

export interface AccountsRepository {
  findByUsername(username: string): Promise<OperatorRow | null>;
  list(now: number): Promise<AccountListing[]>;
  count(): Promise<number>;
  /** False when the username is taken. */
  insert(values: { username: string; passwordHash: string; role: OperatorRole; scope: string[] | null; now: number }): Promise<boolean>;
  /** Replaces the password and ends every session of the account, in one transaction. */
  updatePassword(values: { username: string; passwordHash: string; now: number }): Promise<boolean>;
  updateAccess(values: { username: string; role: OperatorRole; scope: string[] | null; now: number }): Promise<boolean>;
  delete(username: string): Promise<boolean>;
  /** Stores a session (and drops expired ones). */
  insertSession(values: { tokenHash: string; operatorId: number; now: number; expiresAt: number }): Promise<void>;
  findSession(tokenHash: string, now: number): Promise<SessionAccount | null>;
  touchSession(tokenHash: string, now: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Counts one more attempt from `address` unless it is locked out; one statement, so parallel attempts queue. */
  reserveSignInAttempt(address: string, now: number, policy: LockoutPolicy): Promise<SignInReservation>;
  clearSignInFailures(address: string): Promise<void>;
}

export function createAccountsRepository(db: AccountsDatabase): AccountsRepository {
  return {
    async findByUsername(username) {
      const [row] = await db.select().from(operators).where(eq(operators.username, username));
      return row ?? null;
    },

    list(now) {
      const activeSessions = db
        .select({ n: count() })
        .from(operatorSessions)
        .where(and(eq(operatorSessions.operatorId, operators.id), gt(operatorSessions.expiresAt, now)));
      return db
        .select({ username: operators.username, role: operators.role, scope: operators.scope, createdAt: operators.createdAt, activeSessions: sql<number>`(${activeSessions})` })
        .from(operators)
        .orderBy(asc(operators.username));
    },

    async count() {
      const [row] = await db.select({ n: count() }).from(operators);
      return row?.n ?? 0;
    },

    async insert(values) {
      const inserted = await db
        .insert(operators)
        .values({ username: values.username, passwordHash: values.passwordHash, role: values.role, scope: values.scope, createdAt: values.now, updatedAt: values.now })
        .onConflictDoNothing({ target: operators.username })
        .returning({ id: operators.id });
      return inserted.length === 1;
    },

    async updatePassword(values) {
      const [updated] = await db.batch([
        db.update(operators).set({ passwordHash: values.passwordHash, updatedAt: values.now }).where(eq(operators.username, values.username)).returning({ id: operators.id }),
        db.delete(operatorSessions).where(eq(operatorSessions.operatorId, db.select({ id: operators.id }).from(operators).where(eq(operators.username, values.username)))),
      ]);
      return updated.length === 1;
    },

    async updateAccess(values) {
      const updated = await db
        .update(operators)
        .set({ role: values.role, scope: values.scope, updatedAt: values.now })
        .where(eq(operators.username, values.username))
        .returning({ id: operators.id });
      return updated.length === 1;
    },

    async delete(username) {
      const deleted = await db.delete(operators).where(eq(operators.username, username)).returning({ id: operators.id });
      return deleted.length === 1;
    },

    async insertSession(values) {
      await db.batch([
        db.delete(operatorSessions).where(lte(operatorSessions.expiresAt, values.now)),
        db.insert(operatorSessions).values({ tokenHash: values.tokenHash, operatorId: values.operatorId, createdAt: values.now, expiresAt: values.expiresAt, lastSeenAt: values.now }),
      ]);
    },

    async findSession(tokenHash, now) {
      const [row] = await db
        .select({ username: operators.username, role: operators.role, scope: operators.scope, lastSeenAt: operatorSessions.lastSeenAt })
        .from(operatorSessions)
        .innerJoin(operators, eq(operators.id, operatorSessions.operatorId))
        .where(and(eq(operatorSessions.tokenHash, tokenHash), gt(operatorSessions.expiresAt, now)));
      return row ?? null;
    },

    async touchSession(tokenHash, now) {
      await db.update(operatorSessions).set({ lastSeenAt: now }).where(eq(operatorSessions.tokenHash, tokenHash));
    },

    async deleteSession(tokenHash) {
      await db.delete(operatorSessions).where(eq(operatorSessions.tokenHash, tokenHash));
    },

    async reserveSignInAttempt(address, now, policy) {
      const lockoutEnd = (failures: number) =>
        failures < policy.freeAttempts ? 0 : now + Math.min(policy.maxLockoutMs, policy.firstLockoutMs * 2 ** (failures - policy.freeAttempts));
      const failures = sql`${signInLockouts.failures} + 1`;
      const [, reserved] = await db.batch([
        db.delete(signInLockouts).where(and(lte(signInLockouts.updatedAt, now - policy.forgetAfterMs), lte(signInLockouts.blockedUntil, now))),
        db
          .insert(signInLockouts)
          .values({ address, failures: 1, blockedUntil: lockoutEnd(1), updatedAt: now })
          .onConflictDoUpdate({
            target: signInLockouts.address,
            set: {
              failures,
              // The doubling in SQL: the count it is based on is the one this statement writes.
              blockedUntil: sql`CASE WHEN ${failures} >= ${policy.freeAttempts} THEN ${now} + min(${policy.maxLockoutMs}, ${policy.firstLockoutMs} << min(${failures} - ${policy.freeAttempts}, 20)) ELSE 0 END`,
              updatedAt: now,
            },
            setWhere: lte(signInLockouts.blockedUntil, now),
          })
          .returning({ failures: signInLockouts.failures }),
      ]);
      if (reserved.length === 1) return { allowed: true };
      const [row] = await db.select({ blockedUntil: signInLockouts.blockedUntil }).from(signInLockouts).where(eq(signInLockouts.address, address));
      // A success may have cleared the row in between: ask again in a second rather than letting it through unchecked.
      return { allowed: false, blockedUntil: Math.max(row?.blockedUntil ?? 0, now + 1000) };
    },

    async clearSignInFailures(address) {
      await db.delete(signInLockouts).where(eq(signInLockouts.address, address));
    },
  };
}
