import { createHash, timingSafeEqual } from "node:crypto";

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerTokenOf(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** Constant-time comparison that does not leak the expected token's length. */
export function tokensMatch(given: string | null | undefined, expected: string | null | undefined): boolean {
  if (!given || !expected) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
