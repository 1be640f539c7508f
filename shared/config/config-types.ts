import { z } from "zod";
import { uuidString } from "../contracts/identifiers.ts";
import { logLevels, type LogLevel } from "../log/logger.ts";

/**
 * Schemas for values that arrive as strings (environment, .env) or as YAML scalars.
 * Each carries the sentence that error messages print as the expected form.
 */
export interface ConfigType<T> {
  schema: z.ZodType<T>;
  expected: string;
}


export function text(options: { minLength?: number; maxLength?: number } = {}): ConfigType<string> {
  let schema = z.string();
  if (options.minLength !== undefined) schema = schema.min(options.minLength);
  if (options.maxLength !== undefined) schema = schema.max(options.maxLength);
  const bounds =
    options.minLength !== undefined ? ` of at least ${options.minLength} character${options.minLength === 1 ? "" : "s"}` : "";
  return { schema: z.preprocess(scalarToString, schema) as z.ZodType<string>, expected: `a text value${bounds}` };
}

export function integer(options: { min?: number; max?: number } = {}): ConfigType<number> {
  let schema = z.number().int();
  if (options.min !== undefined) schema = schema.min(options.min);
  if (options.max !== undefined) schema = schema.max(options.max);
  return { schema: z.preprocess(stringToNumber, schema) as z.ZodType<number>, expected: `an integer${rangeText(options)}` };
}

export function decimal(options: { min?: number; max?: number } = {}): ConfigType<number> {
  let schema = z.number();
  if (options.min !== undefined) schema = schema.min(options.min);
  if (options.max !== undefined) schema = schema.max(options.max);
  return { schema: z.preprocess(stringToNumber, schema) as z.ZodType<number>, expected: `a number${rangeText(options)}` };
}

export function port(): ConfigType<number> {
  return { ...integer({ min: 0, max: 65535 }), expected: "a TCP port number from 0 to 65535" };
}

export function flag(): ConfigType<boolean> {
  const schema = z.preprocess((value) => {
    if (typeof value === "boolean") return value;
    if (typeof value === "number") return value === 1 ? true : value === 0 ? false : value;
    if (typeof value !== "string") return value;
    const lowered = value.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(lowered)) return true;
    if (["0", "false", "no", "off", ""].includes(lowered)) return false;
    return value;
  }, z.boolean());
  return { schema: schema as z.ZodType<boolean>, expected: "true or false (also 1/0, yes/no, on/off)" };
}

export function httpUrl(): ConfigType<string> {
  const schema = z.preprocess(
    scalarToString,
    z.string().refine(
      (value) => {
        try {
          const url = new URL(value);
          return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
        } catch {
          return false;
        }
      },
      { message: "not an http(s) URL" },
    ),
  ).transform((value) => value.replace(/\/+$/, ""));
  return { schema: schema as z.ZodType<string>, expected: "an http:// or https:// URL such as https://core.example.com" };
}

export function databaseUrl(): ConfigType<string> {
  const schema = z.preprocess(
    scalarToString,
    z.string().refine(
      (value) => {
        if (value === ":memory:" || value === "file::memory:") return true;
        if (value.startsWith("file:")) return value.length > "file:".length;
        try {
          const url = new URL(value);
          return ["libsql:", "http:", "https:", "ws:", "wss:"].includes(url.protocol) && url.hostname !== "";
        } catch {
          return false;
        }
      },
      { message: "not a database URL" },
    ),
  );
  return {
    schema: schema as z.ZodType<string>,
    expected: "file:<path> for an embedded database, or libsql://host (http[s]:// and ws[s]:// also work) for a libSQL server",
  };
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): ConfigType<T[number]> {
  return {
    schema: z.preprocess((value) => (typeof value === "string" ? value.trim() : value), z.enum(values)) as z.ZodType<T[number]>,
    expected: `one of ${values.join(", ")}`,
  };
}

/** A log level in any case (`DEBUG` as the original recorder's `--log-level DEBUG` spelled it). */
export function logLevel(): ConfigType<LogLevel> {
  const levels = oneOf(logLevels as unknown as readonly [LogLevel, ...LogLevel[]]);
  return { schema: z.preprocess((value) => (typeof value === "string" ? value.toLowerCase() : value), levels.schema) as z.ZodType<LogLevel>, expected: levels.expected };
}

export function uuid(): ConfigType<string> {
  return { schema: z.preprocess(scalarToString, uuidString) as z.ZodType<string>, expected: "a UUID such as 3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f" };
}

/** HH:MM on a 24-hour clock. */
export function timeOfDay(): ConfigType<string> {
  const schema = z.preprocess(
    scalarToString,
    z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "not HH:MM" }),
  );
  return { schema: schema as z.ZodType<string>, expected: "a time of day as HH:MM (24-hour clock), such as 08:00" };
}

export function optional<T>(type: ConfigType<T>): ConfigType<T | undefined> {
  return {
    schema: z.preprocess((value) => (value === "" || value === null ? undefined : value), type.schema.optional()) as z.ZodType<T | undefined>,
    expected: `${type.expected}, or empty`,
  };
}

function rangeText(options: { min?: number; max?: number }): string {
  if (options.min !== undefined && options.max !== undefined) return ` from ${options.min} to ${options.max}`;
  if (options.min !== undefined) return ` of at least ${options.min}`;
  if (options.max !== undefined) return ` of at most ${options.max}`;
  return "";
}

function stringToNumber(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (trimmed === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return value;
  return Number(trimmed);
}

function scalarToString(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value;
}

