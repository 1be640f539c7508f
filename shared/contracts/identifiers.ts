import { z } from "zod";

// Accepts any 8-4-4-4-12 hex identifier: recorders in the field carry ids such as
// 00000000-0000-0000-0000-000000000001 that a strict RFC 9562 check would refuse.
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const uuidString = z
  .string()
  .regex(uuidPattern, { message: "must be a UUID (8-4-4-4-12 hex digits)" })
  .transform((value) => value.toLowerCase());
