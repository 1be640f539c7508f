import { randomBytes } from "node:crypto";
import { z } from "zod";
import { bearerTokenPattern } from "../../shared/http/bearer-token.ts";
import { weakTokenReason } from "../admin/admin-auth.ts";

/** A device token as an admin may set it: what fits in `Authorization: Bearer <token>`, and not a placeholder. */
export const deviceTokenText = z
  .string()
  .min(16, { message: "must be at least 16 characters" })
  .max(256, { message: "must be at most 256 characters" })
  .regex(bearerTokenPattern, { message: "must be printable ASCII without spaces" })
  .superRefine((token, context) => {
    const weakness = weakTokenReason(token);
    if (weakness) context.addIssue({ code: "custom", message: `is refused because ${weakness}` });
  });

export function generateDeviceToken(): string {
  return randomBytes(24).toString("hex");
}
