import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { Client } from "@libsql/client";
import { AppError, badRequest, notFound, unauthorized } from "../../shared/http/app-error.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import {
  countOperators,
  deleteOperator,
  deleteSession,
  findOperatorByUsername,
  findSession,
  insertOperator,
  insertSession,
  listOperators,
  touchSession,
  updateOperatorPassword,
} from "./operators.repository.ts";

/**
 * Operator accounts for the importer and dashboard: scrypt password hashes, random session
 * tokens stored only as their SHA-256, and a throttle on failed logins per client address.
 */
export interface OperatorDeps {
  client: Client;
  clock: Clock;
  logger: Logger;
  sessionTtlMs: number;
  throttle: LoginThrottle;
}

export interface Operator {
  username: string;
}

export const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const minPasswordLength = 10;
const maxPasswordLength = 256;
const scryptParameters = { N: 16384, r: 8, p: 1, keyLength: 32 };
const touchEveryMs = 60_000;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = scryptParameters;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

// Verifying against this when the username is unknown keeps both answers equally slow.
const unknownUserHash = `scrypt$${scryptParameters.N}$8$1$${Buffer.alloc(16).toString("base64")}$${Buffer.alloc(32).toString("base64")}`;

export function checkNewCredentials(username: string, password: string): void {
  if (!usernamePattern.test(username)) throw badRequest("operator.bad_username", "a username is 1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
  if (password.length < minPasswordLength) throw badRequest("operator.weak_password", `a password needs at least ${minPasswordLength} characters`);
  if (password.length > maxPasswordLength) throw badRequest("operator.bad_password", `a password may have at most ${maxPasswordLength} characters`);
}

export async function addOperator(deps: Pick<OperatorDeps, "client" | "clock">, username: string, password: string): Promise<void> {
  checkNewCredentials(username, password);
  const inserted = await insertOperator(deps.client, { username, passwordHash: await hashPassword(password), now: deps.clock.now() });
  if (!inserted) throw new AppError("operator.exists", 409, `operator ${username} already exists; use "operator password ${username}" to change the password`);
}

export async function changeOperatorPassword(deps: Pick<OperatorDeps, "client" | "clock">, username: string, password: string): Promise<void> {
  checkNewCredentials(username, password);
  const updated = await updateOperatorPassword(deps.client, { username, passwordHash: await hashPassword(password), now: deps.clock.now() });
  if (!updated) throw notFound("operator.unknown", `no operator named ${username}`);
}

export async function removeOperator(deps: Pick<OperatorDeps, "client">, username: string): Promise<void> {
  if (!(await deleteOperator(deps.client, username))) throw notFound("operator.unknown", `no operator named ${username}`);
}

export function listOperatorAccounts(deps: Pick<OperatorDeps, "client" | "clock">) {
  return listOperators(deps.client, deps.clock.now());
}

export interface LoginResult {
  operator: Operator;
  token: string;
  expiresAt: number;
}

export async function logIn(deps: OperatorDeps, input: { username: string; password: string; remoteAddress: string }): Promise<LoginResult> {
  const now = deps.clock.now();
  const retryAfterMs = deps.throttle.blockedFor(input.remoteAddress, now);
  if (retryAfterMs > 0) {
    throw new AppError("auth.too_many_attempts", 429, `too many failed logins from this address; try again in ${Math.ceil(retryAfterMs / 1000)} s`, { retry_after_seconds: Math.ceil(retryAfterMs / 1000) });
  }
  const username = input.username.trim().toLowerCase();
  const operator = await findOperatorByUsername(deps.client, username);
  const valid = await verifyPassword(input.password, operator?.passwordHash ?? unknownUserHash);
  if (!operator || !valid) {
    deps.throttle.recordFailure(input.remoteAddress, now);
    deps.logger.warn("operator login failed", { username: username.slice(0, 64), remoteAddress: input.remoteAddress });
    if (!operator && (await countOperators(deps.client)) === 0) {
      throw unauthorized("auth.no_operators", "no operator account exists yet; on the edge server run: salescontrol-edge operator add <name>");
    }
    throw unauthorized("auth.invalid_credentials", "wrong username or password");
  }
  deps.throttle.recordSuccess(input.remoteAddress);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + deps.sessionTtlMs;
  await insertSession(deps.client, { tokenHash: hashToken(token), operatorId: operator.id, now, expiresAt });
  deps.logger.info("operator logged in", { username, remoteAddress: input.remoteAddress });
  return { operator: { username }, token, expiresAt };
}

export async function logOut(deps: Pick<OperatorDeps, "client">, token: string | null): Promise<void> {
  if (token) await deleteSession(deps.client, hashToken(token));
}

/** The operator a session token belongs to, or null when it is unknown or expired. */
export async function authenticateSession(deps: Pick<OperatorDeps, "client" | "clock">, token: string | null): Promise<Operator | null> {
  if (!token || token.length > 100) return null;
  const now = deps.clock.now();
  const tokenHash = hashToken(token);
  const session = await findSession(deps.client, tokenHash, now);
  if (!session) return null;
  if (now - session.lastSeenAt > touchEveryMs) await touchSession(deps.client, tokenHash, now);
  return { username: session.username };
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Failed logins per client address: five are free, then each further failure locks the address
 * out for twice as long (30 s up to 15 min). A success clears the count.
 */
export class LoginThrottle {
  readonly #entries = new Map<string, { failures: number; blockedUntil: number }>();

  constructor(
    private readonly freeAttempts = 5,
    private readonly maxEntries = 10_000,
  ) {}

  blockedFor(address: string, now: number): number {
    const entry = this.#entries.get(address);
    return entry ? Math.max(0, entry.blockedUntil - now) : 0;
  }

  recordFailure(address: string, now: number): void {
    const entry = this.#entries.get(address) ?? { failures: 0, blockedUntil: 0 };
    entry.failures++;
    if (entry.failures >= this.freeAttempts) entry.blockedUntil = now + Math.min(15 * 60_000, 30_000 * 2 ** (entry.failures - this.freeAttempts));
    this.#entries.delete(address);
    this.#entries.set(address, entry);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  recordSuccess(address: string): void {
    this.#entries.delete(address);
  }
}
