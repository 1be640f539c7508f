import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "./app-error.ts";

/**
 * The request body as JSON validated by `schema`. Malformed JSON is a 400 with a clear code, not a
 * 500; an empty body reads as `{}` (routes whose body is optional). Content-Type is not required:
 * `curl -d` sends JSON labelled as a form.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw badRequest("request.malformed_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  return schema.parse(body);
}
