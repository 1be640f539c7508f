import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../shared/config/config-loader.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { writeFileAtomicSync } from "../../shared/runtime/files.ts";
import { weakTokenReason } from "./admin-auth.ts";

export interface ServingTokenSettings {
  adminToken: string | undefined;
  internalToken: string | undefined;
  devMode: boolean;
  dataDir: string;
}

/**
 * The admin token the core serves with. Outside DEV_MODE a missing or placeholder ADMIN_TOKEN (or a
 * placeholder INTERNAL_TOKEN, or one equal to the admin token) stops the core; in DEV_MODE a missing one is generated once and kept
 * in <data_dir>/admin-token (mode 0600) so local tools can read it.
 */
export function resolveServingAdminToken(settings: ServingTokenSettings, logger: Logger): string {
  const problems: string[] = [];
  const internalWeakness = settings.internalToken ? weakTokenReason(settings.internalToken) : null;
  if (internalWeakness && !settings.devMode) problems.push(`INTERNAL_TOKEN (internal_token): refused because ${internalWeakness}; use a random value such as the output of: openssl rand -hex 24`);

  let adminToken = settings.adminToken;
  if (adminToken) {
    const weakness = weakTokenReason(adminToken);
    if (weakness && !settings.devMode) problems.push(`ADMIN_TOKEN (admin_token): refused because ${weakness}; use a random value such as the output of: openssl rand -hex 24`);
  } else if (settings.devMode) {
    adminToken = readOrCreateDevelopmentToken(join(settings.dataDir, "admin-token"));
    logger.warn("DEV_MODE: serving with a generated admin token, readable in this file", { path: join(settings.dataDir, "admin-token") });
  } else {
    problems.push("ADMIN_TOKEN (admin_token): missing; the core does not serve without an admin token. Set one (openssl rand -hex 24), or DEV_MODE=true for local development");
  }
  if (adminToken && settings.internalToken === adminToken) {
    problems.push("INTERNAL_TOKEN (internal_token) and ADMIN_TOKEN (admin_token): hold the same value; a worker's token must not open the admin API, so give each its own (openssl rand -hex 24)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return adminToken!;
}

function readOrCreateDevelopmentToken(path: string): string {
  if (existsSync(path)) {
    const kept = readFileSync(path, "utf8").trim();
    if (kept.length >= 16) return kept;
  }
  const token = randomBytes(24).toString("hex");
  writeFileAtomicSync(path, `${token}\n`);
  chmodSync(path, 0o600);
  return token;
}
