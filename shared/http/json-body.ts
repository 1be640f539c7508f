import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "./app-error.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The request body as JSON validated by `schema`. Malformed JSON is a 400 with a clear code, not a
 * 500; an empty body reads as `{}` (routes whose body is optional). Content-Type is not required:
 * `curl -d` sends JSON labelled as a form. Bytes that are not UTF-8 are refused, never replaced:
 * replaced bytes would make distinct identifiers collide.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw badRequest("request.invalid_utf8", `the body is not valid UTF-8: byte ${firstInvalidUtf8Offset(bytes)} is not part of a valid character; send text as UTF-8`);
  }
  let body: unknown;
  try {
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw badRequest("request.malformed_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  return schema.parse(body);
}

/** Offset of the first byte that breaks UTF-8 (a valid prefix stays valid, so halving finds it). */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let valid = 0;
  let invalid = bytes.length;
  while (invalid - valid > 1) {
    const middle = (valid + invalid) >>> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      valid = middle;
    } catch {
      invalid = middle;
    }
  }
  return valid;
}
