import { createHash, randomBytes } from "node:crypto";
import type { NodeName } from "../cli/node-definition.ts";
import { AppError, badRequest, notFound, unauthorized } from "../http/app-error.ts";
import type { Counter, MetricsRegistry } from "../http/metrics.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../runtime/clock.ts";
import { type AccountListing, type AccountsRepository, defaultLockoutPolicy, type LockoutPolicy } from "./accounts.repository.ts";
import { type OperatorRole, operatorRoles } from "./accounts.schema.ts";
import { hashPassword, unknownUserHash, verifyPassword } from "./password-hash.ts";

/**
 * Operator accounts of a node's pages: scrypt password hashes, random session tokens stored only
 * as their SHA-256, a lockout per client address kept in the database, roles and an optional scope.
 */
export interface AccountsDeps {
  accounts: AccountsRepository;
  clock: Clock;
  logger: Logger;
  /** Named in messages ("salescontrol-edge operator add <name>"). */
  node: NodeName;
  /** The page people sign in on, or null while the node has none. */
  signInPage: string | null;
  sessionTtlMs: number;
  lockout: LockoutPolicy;
  scopeIds: ScopeIds;
  /** Sign-in attempts by outcome: `signed_in` and `refused` had their password checked, `locked_out` did not. */
  signIns: Counter;
}

/** What a scope may hold on this node: the core's point ids, … */
export interface ScopeIds {
  /** The id in its stored form, or null when it is not an id of this node. */
  parse(id: string): string | null;
  description: string;
}

const plainScopeId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Names any node can put in a scope. */
export const plainScopeIds: ScopeIds = { parse: (id) => (plainScopeId.test(id) ? id : null), description: "1–64 letters, digits, '.', '_', ':' or '-'" };

export interface Operator {
  username: string;
}

/** Who is signed in: what they may do (role) and see (scope, null for everything). */
export interface SignedInOperator extends Operator {
  role: OperatorRole;
  scope: string[] | null;
}

export interface OperatorAccess {
  role: OperatorRole;
  scope: string[] | null;
}

export const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const minPasswordLength = 10;
const maxPasswordLength = 256;
const maxScopeIds = 1000;
const touchEveryMs = 60_000;

export function checkNewCredentials(username: string, password: string): void {
  checkUsername(username);
  if (password.length < minPasswordLength) throw badRequest("operator.weak_password", `a password needs at least ${minPasswordLength} characters`);
  if (password.length > maxPasswordLength) throw badRequest("operator.bad_password", `a password may have at most ${maxPasswordLength} characters`);
}

function checkUsername(username: string): void {
  if (!usernamePattern.test(username)) throw badRequest("operator.bad_username", "a username is 1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
}

export function checkAccess(deps: Pick<AccountsDeps, "scopeIds">, access: OperatorAccess): OperatorAccess {
  if (!operatorRoles.includes(access.role)) throw badRequest("operator.bad_role", `a role is one of: ${operatorRoles.join(", ")}`);
  if (access.scope === null) return access;
  if (access.scope.length === 0) throw badRequest("operator.bad_scope", "a scope names at least one id (leave it out for an account that sees everything)");
  if (access.scope.length > maxScopeIds) throw badRequest("operator.bad_scope", `a scope names at most ${maxScopeIds} ids`);
  const scope = access.scope.map((id) => {
    const parsed = deps.scopeIds.parse(id);
    if (parsed === null) throw badRequest("operator.bad_scope", `scope id ${JSON.stringify(id.slice(0, 80))} is not valid: ${deps.scopeIds.description}`);
    return parsed;
  });
  return { role: access.role, scope: [...new Set(scope)].sort() };
}

const fullAccess: OperatorAccess = { role: "admin", scope: null };

export async function addOperator(
  deps: Pick<AccountsDeps, "accounts" | "clock" | "scopeIds">,
  username: string,
  password: string,
  access: OperatorAccess = fullAccess,
): Promise<OperatorAccess> {
  checkNewCredentials(username, password);
  const checked = checkAccess(deps, access);
  const inserted = await deps.accounts.insert({ username, passwordHash: await hashPassword(password), ...checked, now: deps.clock.now() });
  if (!inserted) throw new AppError("operator.exists", 409, `operator ${username} already exists; use "operator password ${username}" to change the password`);
  return checked;
}

export async function changeOperatorPassword(deps: Pick<AccountsDeps, "accounts" | "clock">, username: string, password: string): Promise<void> {
  checkNewCredentials(username, password);
  const updated = await deps.accounts.updatePassword({ username, passwordHash: await hashPassword(password), now: deps.clock.now() });
  if (!updated) throw notFound("operator.unknown", `no operator named ${username}`);
}

/** Sets what an account may do and see; its open sessions see the change on their next request. */
export async function changeOperatorAccess(deps: Pick<AccountsDeps, "accounts" | "clock" | "scopeIds">, username: string, access: OperatorAccess): Promise<OperatorAccess> {
  checkUsername(username);
  const checked = checkAccess(deps, access);
  if (!(await deps.accounts.updateAccess({ username, ...checked, now: deps.clock.now() }))) throw notFound("operator.unknown", `no operator named ${username}`);
  return checked;
}

export async function removeOperator(deps: Pick<AccountsDeps, "accounts">, username: string): Promise<void> {
  if (!(await deps.accounts.delete(username))) throw notFound("operator.unknown", `no operator named ${username}`);
}

export function listOperatorAccounts(deps: Pick<AccountsDeps, "accounts" | "clock">): Promise<AccountListing[]> {
  return deps.accounts.list(deps.clock.now());
}

export interface LoginResult {
  operator: Operator;
  token: string;
  expiresAt: number;
}

/** Refused because the address failed too often; `retryAt` is when it may try again. */
export class SignInLockedError extends AppError {
  constructor(readonly retryAt: number, now: number) {
    const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
    super("auth.too_many_attempts", 429, `too many failed logins from this address; try again in ${seconds} s`, {
      retry_after_seconds: seconds,
      retry_at: new Date(retryAt).toISOString(),
    });
  }

  get retryAfterSeconds(): number {
    return (this.details as { retry_after_seconds: number }).retry_after_seconds;
  }
}

/**
 * Checks a password. The attempt is counted against the client address before the password is
 * checked, so at most the free attempts are ever checked, however many arrive at once.
 */
export async function logIn(deps: AccountsDeps, input: { username: string; password: string; remoteAddress: string }): Promise<LoginResult> {
  const now = deps.clock.now();
  const reservation = await deps.accounts.reserveSignInAttempt(input.remoteAddress, now, deps.lockout);
  if (!reservation.allowed) {
    deps.signIns.inc({ outcome: "locked_out" });
    // Read the clock again: parallel attempts reach the database in another order than they started.
    throw new SignInLockedError(reservation.blockedUntil, deps.clock.now());
  }
  const username = input.username.trim().toLowerCase();
  const operator = await deps.accounts.findByUsername(username);
  const valid = await verifyPassword(input.password, operator?.passwordHash ?? unknownUserHash);
  deps.signIns.inc({ outcome: operator && valid ? "signed_in" : "refused" });
  if (!operator || !valid) {
    deps.logger.warn("operator login failed", { username: username.slice(0, 64), remoteAddress: input.remoteAddress });
    if (!operator && (await deps.accounts.count()) === 0) {
      throw unauthorized("auth.no_operators", `no operator account exists yet; on the ${deps.node} server run: salescontrol-${deps.node} operator add <name>`);
    }
    throw unauthorized("auth.invalid_credentials", "wrong username or password");
  }
  await deps.accounts.clearSignInFailures(input.remoteAddress);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + deps.sessionTtlMs;
  await deps.accounts.insertSession({ tokenHash: hashToken(token), operatorId: operator.id, now, expiresAt });
  deps.logger.info("operator logged in", { username, remoteAddress: input.remoteAddress });
  return { operator: { username }, token, expiresAt };
}

export async function logOut(deps: Pick<AccountsDeps, "accounts">, token: string | null): Promise<void> {
  if (token) await deps.accounts.deleteSession(hashToken(token));
}

/** The operator a session token belongs to, or null when it is unknown or expired. */
export async function authenticateSession(deps: Pick<AccountsDeps, "accounts" | "clock">, token: string | null): Promise<SignedInOperator | null> {
  if (!token || token.length > 100) return null;
  const now = deps.clock.now();
  const tokenHash = hashToken(token);
  const session = await deps.accounts.findSession(tokenHash, now);
  if (!session) return null;
  if (now - session.lastSeenAt > touchEveryMs) await deps.accounts.touchSession(tokenHash, now);
  return { username: session.username, role: session.role, scope: session.scope };
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The accounts of one node, as its composition root builds them. */
export function createAccountsDeps(
  options: Omit<AccountsDeps, "scopeIds" | "lockout" | "signIns"> & {
    scopeIds?: ScopeIds;
    lockout?: LockoutPolicy;
    /** Where sign-in outcomes are counted; commands that sign nobody in leave it out. */
    metrics?: MetricsRegistry;
  },
): AccountsDeps {
  const { metrics, ...rest } = options;
  const signIns = metrics?.counter("operator_sign_ins_total", "Operator sign-in attempts by outcome (signed_in, refused, locked_out).") ?? { inc: () => {} };
  return { ...rest, scopeIds: options.scopeIds ?? plainScopeIds, lockout: options.lockout ?? defaultLockoutPolicy, signIns };
}
