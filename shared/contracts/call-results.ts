import { z } from "zod";
import { impossibleDateTimeProblem } from "./calendar-time.ts";

/**
 * Edge → core: VICIdial call results for the DID Optimizer API (seed 001), one row of
 * `vicidial_log` each, with the seed's camelCase field names.
 *
 *   POST /api/v1/call-results         one result (the seed's endpoint, for cron scripts and tools)
 *   POST /api/v1/call-results/batch   {"results":[…]} up to 1000 results (what the edge sends)
 *   POST /api/v1/health               checks the API key; answers the seed's health fields
 *   header: x-api-key: <tenant API key>
 *
 * The core upserts by (tenant, uniqueid): a result sent again unchanged changes nothing, a changed
 * one (a disposition that arrived later) updates the record and appends to its audit log. A batch
 * accepts every valid row and reports each invalid one as "rejected" with its reason, so one bad
 * row never blocks the others. Errors use the envelope {"error":{"code","message","requestId"}}.
 */
export const callResultsPath = "/api/v1/call-results";
export const callResultsBatchPath = "/api/v1/call-results/batch";
export const didOptimizerHealthPath = "/api/v1/health";
export const apiKeyHeader = "x-api-key";
export const maxCallResultsPerBatch = 1000;
/** A full batch of long comments stays well under this. */
export const maxCallResultsBatchBytes = 4 * 1024 * 1024;

/** Control characters have no business in an identifier or a log line built from one. */
const printable = /^[^\u0000-\u001f\u007f]*$/;

const text = (name: string, max: number) =>
  z
    .string({ message: `${name} must be text` })
    .max(max, { message: `${name} may be at most ${max} characters` })
    .regex(printable, { message: `${name} may not contain control characters` });

const optionalText = (name: string, max: number) =>
  z
    .preprocess((value) => (typeof value === "number" && Number.isFinite(value) ? String(value) : value), text(name, max).nullable().optional())
    .transform((value) => value ?? null);

/** VICIdial's numeric ids arrive as numbers (mysql2) or digit strings (Perl, the seed's example). */
const numericId = (name: string) =>
  z
    .preprocess(
      (value) => (typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value),
      z
        .string({ message: `${name} must be a whole number or a string of digits` })
        .regex(/^\d{1,20}$/, { message: `${name} must be a string of 1 to 20 digits` })
        .nullable()
        .optional(),
    )
    .transform((value) => value ?? null);

const optionalInteger = (name: string, options: { min?: number } = {}) =>
  z
    .preprocess(
      (value) => (typeof value === "string" && /^-?\d{1,12}$/.test(value.trim()) ? Number(value.trim()) : value),
      z
        .number({ message: `${name} must be a whole number` })
        .int({ message: `${name} must be a whole number` })
        .min(options.min ?? -2_147_483_648, { message: `${name} must be at least ${options.min ?? -2_147_483_648}` })
        .max(4_294_967_295, { message: `${name} is too large` })
        .nullable()
        .optional(),
    )
    .transform((value) => value ?? null);

/**
 * VICIdial's DATETIME as MariaDB prints it ("2024-10-24 12:00:00", the dialer's local time, and
 * "0000-00-00 00:00:00" in damaged rows), or an ISO 8601 string, which seed-era scripts sent.
 */
const callDate = z
  .string({ message: "callDate must be text" })
  .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$/, {
    message: 'callDate must look like "2024-10-24 12:00:00" (or an ISO 8601 timestamp)',
  })
  .superRefine((value, context) => {
    if (value.startsWith("0000-00-00 00:00:00")) return;
    const problem = impossibleDateTimeProblem(value);
    if (problem) context.addIssue({ code: "custom", message: `callDate is not a real date and time: ${problem}` });
  })
  .nullable()
  .optional()
  .transform((value) => value ?? null);

/** One call result as the core validates it; every field but uniqueid may be null or absent. */
export const callResultInput = z.object({
  uniqueid: z
    .string({ message: "uniqueid is required (the Asterisk unique call id)" })
    .min(1, { message: "uniqueid may not be empty" })
    .max(50, { message: "uniqueid may be at most 50 characters" })
    .regex(/^[^\s\u0000-\u001f\u007f]+$/, { message: "uniqueid may not contain spaces or control characters" }),
  leadId: numericId("leadId"),
  listId: numericId("listId"),
  campaignId: optionalText("campaignId", 20),
  phoneNumber: optionalText("phoneNumber", 30),
  phoneCode: optionalText("phoneCode", 10),
  disposition: optionalText("disposition", 20),
  duration: optionalInteger("duration", { min: 0 }),
  agentId: optionalText("agentId", 50),
  userGroup: optionalText("userGroup", 50),
  termReason: optionalText("termReason", 20),
  comments: optionalText("comments", 1000),
  altDial: optionalText("altDial", 20),
  calledCount: optionalInteger("calledCount", { min: 0 }),
  callDate,
  startEpoch: optionalInteger("startEpoch", { min: 0 }),
  endEpoch: optionalInteger("endEpoch", { min: 0 }),
  /** The seed's body carries the call's time (epoch seconds) here and nothing else: see callResultOf. */
  timestamp: optionalInteger("timestamp", { min: 0 }),
}).superRefine((row, context) => {
  // VICIdial leaves end_epoch NULL (or 0) while a call is in progress; a set one never precedes the start.
  if (row.startEpoch !== null && row.endEpoch !== null && row.endEpoch > 0 && row.endEpoch < row.startEpoch) {
    context.addIssue({ code: "custom", path: ["endEpoch"], message: `endEpoch (${row.endEpoch}) is before startEpoch (${row.startEpoch}): a call cannot end before it starts` });
  }
});

/** What the edge builds from a vicidial_log row (the wire form). */
export type CallResultWire = z.input<typeof callResultInput>;
/** A validated result, every field present (null when unknown). */
export type CallResult = Omit<z.output<typeof callResultInput>, "timestamp">;

/**
 * The stored form of a validated body. The seed's documented body has only `timestamp` for the
 * call's time; without it as startEpoch the call would never reach the statistics or attribution.
 */
export function callResultOf(input: z.output<typeof callResultInput>): CallResult {
  const { timestamp, ...row } = input;
  if (row.startEpoch === null && row.callDate === null && timestamp !== null) return { ...row, startEpoch: timestamp };
  return row;
}

export const callResultOutcomes = ["created", "updated", "unchanged"] as const;
export type CallResultOutcome = (typeof callResultOutcomes)[number];

export const callResultResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  data: z.object({
    recordId: z.string(),
    uniqueid: z.string(),
    disposition: z.string().nullable(),
    result: z.string(),
    outcome: z.enum(callResultOutcomes),
  }),
});
export type CallResultResponse = z.infer<typeof callResultResponse>;

export const callResultsBatchRequest = z.object({
  results: z
    .array(z.unknown(), { message: "results must be an array of call results" })
    .min(1, { message: "results may not be empty" })
    .max(maxCallResultsPerBatch, { message: `a batch may hold at most ${maxCallResultsPerBatch} results` }),
});

export const batchItemResult = z.object({
  index: z.number().int().nonnegative(),
  uniqueid: z.string().nullable(),
  outcome: z.enum([...callResultOutcomes, "rejected"]),
  recordId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type BatchItemResult = z.infer<typeof batchItemResult>;

export const callResultsBatchResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  data: z.object({
    received: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    results: z.array(batchItemResult),
  }),
});
export type CallResultsBatchResponse = z.infer<typeof callResultsBatchResponse>;

export const didOptimizerHealthResponse = z.object({
  success: z.literal(true),
  status: z.literal("healthy"),
  timestamp: z.string(),
  database: z.literal("connected"),
  uptime: z.number(),
  tenant: z.object({ id: z.string(), name: z.string() }),
});
export type DidOptimizerHealthResponse = z.infer<typeof didOptimizerHealthResponse>;

export interface ParsedCallResultsBatch {
  valid: Array<{ index: number; value: CallResult }>;
  rejected: Array<{ index: number; uniqueid: string | null; message: string }>;
}

/** Validates each row of a batch on its own, so that one malformed row rejects only itself. */
export function parseCallResultsBatch(rows: readonly unknown[]): ParsedCallResultsBatch {
  const parsed: ParsedCallResultsBatch = { valid: [], rejected: [] };
  rows.forEach((row, index) => {
    const result = callResultInput.safeParse(row);
    if (result.success) {
      parsed.valid.push({ index, value: callResultOf(result.data) });
      return;
    }
    const uniqueid = typeof row === "object" && row !== null && typeof (row as { uniqueid?: unknown }).uniqueid === "string" ? (row as { uniqueid: string }).uniqueid.slice(0, 50) : null;
    const message = result.error.issues
      .slice(0, 3)
      .map((issue) => (issue.path.length > 0 && !issue.message.startsWith(String(issue.path[0])) ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
      .join("; ");
    parsed.rejected.push({ index, uniqueid, message });
  });
  return parsed;
}
