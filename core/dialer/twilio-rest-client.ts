import { backoffDelayMs, type BackoffPolicy } from "../../shared/jobs/backoff.ts";

/**
 * The few Twilio Voice REST calls the dialer makes (Calls create, list by number, update), over
 * fetch against a configurable base URL. 429 and 5xx answers and timeouts are retried with capped
 * backoff; whether a create that failed that way was placed anyway is for the caller to reconcile.
 */

export interface TwilioCredentials {
  accountSid: string;
  /** API key SID and secret when set, the account SID and auth token otherwise. */
  username: string;
  password: string;
}

export interface TwilioCall {
  sid: string;
  to: string;
  status: string;
  dateCreated: number | null;
}

/** A REST failure as a value: `ambiguous` when Twilio may have done the work before the answer was lost. */
export interface TwilioRestFailure {
  ok: false;
  status: number | null;
  code: number | null;
  message: string;
  ambiguous: boolean;
  retryable: boolean;
}

export type TwilioRestResult<T> = { ok: true; value: T } | TwilioRestFailure;

export interface TwilioRestClientOptions {
  baseUrl: string;
  credentials: TwilioCredentials;
  timeoutMs: number;
  /** Attempts per request, the first included. */
  attempts?: number;
  backoff?: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export type CreateCallParams = Record<string, string | string[]>;

export interface TwilioRestClient {
  /** One attempt to create a call (the caller reconciles an ambiguous failure before trying again). */
  createCall(params: CreateCallParams): Promise<TwilioRestResult<TwilioCall>>;
  /** Calls to this number, newest first. */
  listCallsTo(to: string): Promise<TwilioRestResult<TwilioCall[]>>;
  /** Redirects a live call (Url or Twiml) or ends it (Status=completed|canceled), retried on 429/5xx/timeouts. */
  updateCall(callSid: string, params: Record<string, string>): Promise<TwilioRestResult<TwilioCall>>;
}

const defaultBackoff: BackoffPolicy = { initialMs: 200, maxMs: 5_000, jitter: 0.5 };

function callOf(body: any): TwilioCall {
  const created = body?.date_created ? Date.parse(body.date_created) : Number.NaN;
  return { sid: String(body.sid), to: String(body.to ?? ""), status: String(body.status ?? ""), dateCreated: Number.isNaN(created) ? null : created };
}

function formBody(params: CreateCallParams): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const item of Array.isArray(value) ? value : [value]) form.append(key, item);
  return form.toString();
}

export function createTwilioRestClient(options: TwilioRestClientOptions): TwilioRestClient {
  const { credentials } = options;
  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  const callsPath = `${options.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(credentials.accountSid)}/Calls`;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function once(method: "GET" | "POST", url: string, params?: CreateCallParams): Promise<TwilioRestResult<any>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization, accept: "application/json", ...(params ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
        body: params ? formBody(params) : undefined,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
      return { ok: false, status: null, code: null, message: timedOut ? `no answer from Twilio within ${options.timeoutMs} ms` : `Twilio unreachable: ${(error as Error).message}`, ambiguous: true, retryable: true };
    }
    const text = await response.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.ok && body) return { ok: true, value: body };
    const status = response.status;
    return {
      ok: false,
      status,
      code: typeof body?.code === "number" ? body.code : null,
      message: typeof body?.message === "string" ? body.message : `Twilio answered ${status}`,
      // A 429 is refused before any work; a 5xx (or a 2xx without a body) may come after the call was made.
      ambiguous: status >= 500 || response.ok,
      retryable: status === 429 || status >= 500,
    };
  }

  async function withRetries(method: "GET" | "POST", url: string, params?: CreateCallParams): Promise<TwilioRestResult<any>> {
    const attempts = options.attempts ?? 5;
    let result = await once(method, url, params);
    for (let attempt = 1; attempt < attempts && !result.ok && result.retryable; attempt++) {
      await sleep(backoffDelayMs(attempt, options.backoff ?? defaultBackoff));
      result = await once(method, url, params);
    }
    return result;
  }

  return {
    async createCall(params) {
      const result = await once("POST", `${callsPath}.json`, params);
      return result.ok ? { ok: true, value: callOf(result.value) } : result;
    },
    async listCallsTo(to) {
      const result = await withRetries("GET", `${callsPath}.json?${new URLSearchParams({ To: to, PageSize: "50" })}`);
      return result.ok ? { ok: true, value: (Array.isArray(result.value.calls) ? result.value.calls : []).map(callOf) } : result;
    },
    async updateCall(callSid, params) {
      const result = await withRetries("POST", `${callsPath}/${encodeURIComponent(callSid)}.json`, params);
      return result.ok ? { ok: true, value: callOf(result.value) } : result;
    },
  };
}

/** The backoff between create attempts, for the caller that reconciles in between. */
export function createRetryDelayMs(attempt: number, policy: BackoffPolicy = defaultBackoff): number {
  return backoffDelayMs(attempt, policy);
}
