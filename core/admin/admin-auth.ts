import type { MiddlewareHandler } from "hono";
import { requireBearerToken } from "../../shared/http/bearer-token.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";

/**
 * Guards every admin route (devices, chunks, dialogues, tenants and their API keys) with
 * ADMIN_TOKEN. Without a configured token the admin API is switched off, never open.
 */
export function requireAdminToken(adminToken: string | undefined): MiddlewareHandler {
  return requireBearerToken({ token: adminToken, scope: "admin", setting: "ADMIN_TOKEN" });
}

const placeholderFragments = ["changeme", "change-me", "change_me", "placeholder", "example", "replace", "your-", "your_", "password", "secret", "todo", "xxxx"];

/**
 * Why a configured token would be unsafe to serve with (a template value such as the original
 * installation's "changeme-admin-token", or too few distinct characters to be random), or null.
 */
export function weakTokenReason(token: string): string | null {
  const lowered = token.toLowerCase();
  const fragment = placeholderFragments.find((candidate) => lowered.includes(candidate));
  if (fragment) return `it looks like a placeholder (contains "${fragment}")`;
  if (new Set(token).size < 6) return "it has fewer than 6 distinct characters";
  return null;
}

/**
 * Device tokens and API keys are stored only as this digest. Both carry enough entropy that a fast
 * hash is as strong as a slow one, and a lookup by digest reveals nothing about the secret to timing.
 */
export function hashSecret(secret: string): string {
  return sha256Hex(secret);
}
