import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "./app-error.ts";

/** Reads a JSON request body and validates it; malformed JSON is a 400, not a crash. */
export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw badRequest("request.malformed_json", "the request body is not valid JSON");
  }
  return schema.parse(value);
}
