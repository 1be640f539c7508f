import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { weakTokenReason } from "../admin/admin-auth.ts";

/** A device token as an admin may set it: what fits in `Authorization: Bearer <token>`, and not a placeholder. */
export const deviceTokenText = z
  .string()
  .min(16, { message: "must be at least 16 characters" })
  .max(256, { message: "must be at most 256 characters" })
  .regex(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" })
  .superRefine((token, context) => {
    const weakness = weakTokenReason(token);
    if (weakness) context.addIssue({ code: "custom", message: `is refused because ${weakness}` });
  });

/** Only this digest is stored; a token has enough entropy that a fast hash is the right one. */
export function hashDeviceToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generateDeviceToken(): string {
  return randomBytes(24).toString("hex");
}
