import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "./app-error.ts";

/** The request body as JSON validated by `schema`; malformed JSON is a 400 with a clear code, not a 500. */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw badRequest("request.content_type", "send the body as JSON with Content-Type: application/json");
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (error) {
    if (error instanceof SyntaxError) throw badRequest("request.malformed_json", `the body is not valid JSON: ${error.message}`);
    throw error;
  }
  return schema.parse(body);
}
