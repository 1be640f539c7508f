import { checkLeadId, phoneDigits } from "../../shared/contracts/campaign-package.ts";
import type { ErrorEnvelope } from "../../shared/http/app-error.ts";
import { requestIdOf } from "../../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { FetchHandler, HttpBindings } from "../../shared/runtime/http-server.ts";
import type { CampaignSnapshot, ServedAudioFile, ServedCampaignsHolder } from "../campaigns/campaign-snapshot.ts";
import type { AudioStore } from "./audio-store.ts";
import type { DefaultPrompt, PromptAudio } from "./default-prompt.ts";
import type { AddressMatcher } from "../../shared/http/address-list.ts";
import { resolveClientAddress } from "../../shared/http/client-address.ts";
import { respondWithRepresentation } from "../../shared/http/http-representation.ts";
import { type AnswerContext, leadJson, leadText } from "./lead-answers.ts";

/**
 * The dialer's local API on :8001 (README, "The dialer API"). It is the hot path, so it runs ahead of
 * the router: string comparisons pick the route, lookups read the in-memory snapshot, audio comes
 * from the audio cache. Loopback clients only, unless DIALER_ALLOW_FROM says otherwise.
 */
export interface DialerDeps {
  served: ServedCampaignsHolder;
  audioStore: AudioStore;
  defaultPrompt: DefaultPrompt;
  /** URL the dialer reaches this edge at, for the audio URLs in answers. */
  baseUrl: string;
  allowFrom: AddressMatcher;
  /** Proxies whose forwarding headers name the client checked against `allowFrom` (TRUSTED_PROXIES). */
  trustedProxies: AddressMatcher;
  metrics: MetricsRegistry;
  logger: Logger;
}

export interface DialerApi {
  /** Answers a dialer request, or null when the path is not the dialer's. */
  handle(request: Request, bindings: HttpBindings | undefined): Response | Promise<Response> | null;
  /** Audio for the operator pages' players (same files, same caching rules, no address check). */
  serveAudio(request: Request, importId: number, relativePath: string): Response | Promise<Response>;
}

/** Files in a campaign never change under the same URL (each import has its own id). */
const fileCacheControl = "public, max-age=86400";
const fallbackCacheControl = "no-cache";
const jsonHeaders = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
const textHeaders = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" };
const maxLoggedFallbacks = 1000;

export function createDialerApi(deps: DialerDeps): DialerApi {
  const answers: AnswerContext = { baseUrl: deps.baseUrl, jsonCache: new WeakMap() };
  const requests = deps.metrics.counter("edge_dialer_requests_total", "Dialer API requests by endpoint and status.");
  const fallbacks = deps.metrics.counter("edge_audio_fallbacks_total", "Audio requests answered with the default prompt, by reason.");
  deps.metrics.gauge("edge_campaign_leads", "Leads of the campaign the dialer is served from.", () => deps.served.current().active?.leads.length ?? 0);
  deps.metrics.gauge("edge_audio_cache_bytes", "Audio bytes held in memory.", () => deps.audioStore.stats().bytes);
  deps.metrics.counter("edge_audio_cache_hits_total", "Audio requests served from memory.", () => deps.audioStore.stats().hits);
  deps.metrics.counter("edge_audio_cache_misses_total", "Audio requests read from disk.", () => deps.audioStore.stats().misses);
  const loggedFallbacks = new Set<string>();

  const count = (endpoint: string, response: Response) => {
    requests.inc({ endpoint, status: response.status });
    return response;
  };

  /** The campaign's own fallback prompt in the format asked for, if it has one. */
  const campaignPrompt = (format: "wav" | "ulaw"): ServedAudioFile | null => {
    const active = deps.served.current().active;
    return (format === "wav" ? active?.defaultAudio : active?.defaultAudioUlaw) ?? null;
  };

  const fallback = (request: Request, format: "wav" | "ulaw", reason: string, detail: string, key: string): Response | Promise<Response> => {
    fallbacks.inc({ reason });
    if (!loggedFallbacks.has(key) && loggedFallbacks.size < maxLoggedFallbacks) {
      loggedFallbacks.add(key);
      deps.logger.warn("audio missing; playing the default prompt", { reason, detail, path: key });
    }
    const promptFile = campaignPrompt(format);
    const cached = promptFile ? deps.audioStore.peek(promptFile) : undefined;
    if (promptFile && cached) return respondWithAudio(request, promptFile, cached, true, reason);
    if (promptFile) {
      return deps.audioStore
        .load(promptFile)
        .then((loaded) => (loaded.ok ? respondWithAudio(request, promptFile, loaded.body, true, reason) : respondWithPrompt(request, deps.defaultPrompt[format], format, reason)));
    }
    return respondWithPrompt(request, deps.defaultPrompt[format], format, reason);
  };

  const serveFile = (request: Request, file: ServedAudioFile | undefined, format: "wav" | "ulaw", key: string): Response | Promise<Response> => {
    if (!file) return fallback(request, format, "unknown_file", "no such file in the served campaigns", key);
    const cached = deps.audioStore.peek(file);
    if (cached) return respondWithAudio(request, file, cached, false, null);
    return deps.audioStore.load(file).then((loaded) => {
      if (loaded.ok) return respondWithAudio(request, file, loaded.body, false, null);
      return fallback(request, format, `${loaded.reason}_file`, loaded.detail, file.diskPath);
    });
  };

  const serveAudioPath = (request: Request, importId: number, relativePath: string): Response | Promise<Response> => {
    const format = relativePath.endsWith(".ulaw") ? "ulaw" : "wav";
    const path = `audio/${/\.(wav|ulaw)$/.test(relativePath) ? relativePath : `${relativePath}.wav`}`;
    const files = deps.served.current().audioByImport.get(importId);
    return serveFile(request, files?.get(path), format, `${importId}/${relativePath}`);
  };

  const audio = (request: Request, rest: string): Response | Promise<Response> => {
    if (rest === "default.wav" || rest === "default.ulaw") {
      const format = rest === "default.wav" ? "wav" : "ulaw";
      const own = campaignPrompt(format);
      if (own) return serveFile(request, own, format, rest);
      return respondWithPrompt(request, deps.defaultPrompt[format], format, "default_prompt");
    }
    const slash = rest.indexOf("/");
    const importText = slash < 0 ? "" : rest.slice(0, slash);
    if (!/^\d{1,12}$/.test(importText)) return fallback(request, rest.endsWith(".ulaw") ? "ulaw" : "wav", "unknown_file", "not an audio URL of this edge", rest);
    return serveAudioPath(request, Number(importText), rest.slice(slash + 1));
  };

  const lookup = (request: Request, path: string, query: URLSearchParams | null): Response => {
    const snapshot = deps.served.current().active;
    const format = query?.get("format") === "text" ? "text" : "json";
    let found = -1;
    let matches: number | undefined;
    let key: string;
    let what: string;
    if (path === "/api/v1/lead") {
      const given = ["lead_id", "vendor_lead_code", "phone_number"].filter((name) => query?.has(name));
      if (given.length !== 1) return errorAnswer(request, 400, "lead.bad_query", "give exactly one of lead_id, vendor_lead_code or phone_number", format);
      key = given[0]!;
      what = query!.get(key)!;
    } else {
      const rest = path.slice("/api/v1/leads/".length);
      if (rest.startsWith("by-vendor-code/")) {
        key = "vendor_lead_code";
        what = rest.slice("by-vendor-code/".length);
      } else if (rest.startsWith("by-phone/")) {
        key = "phone_number";
        what = rest.slice("by-phone/".length);
      } else {
        key = "lead_id";
        what = rest;
      }
      try {
        what = decodeURIComponent(what);
      } catch {
        return errorAnswer(request, 400, "lead.bad_query", "the lookup value is not valid percent-encoding", format);
      }
    }
    if (what === "" || what.includes("/")) return errorAnswer(request, 404, "route.not_found", `no route for ${request.method} ${path}`, format);
    if (key === "lead_id") {
      const checked = checkLeadId(what);
      if (!checked.ok) return errorAnswer(request, 400, "lead.bad_query", checked.message, format);
      found = snapshot?.leads.findLeadId(Number(checked.value)) ?? -1;
    } else if (key === "vendor_lead_code") {
      found = snapshot?.leads.findVendorCode(what.trim()) ?? -1;
    } else {
      const digits = phoneDigits(what.trim());
      if (!/^\d{1,18}$/.test(digits)) return errorAnswer(request, 400, "lead.bad_query", `phone_number must be digits, not ${JSON.stringify(what.slice(0, 40))}`, format);
      const phone = snapshot?.leads.findPhone(digits);
      found = phone?.record ?? -1;
      matches = phone?.matches ?? 0;
    }
    if (!snapshot) return errorAnswer(request, 404, "campaign.not_deployed", "no campaign is deployed on this edge yet", format);
    if (found === -1) return errorAnswer(request, 404, "lead.not_found", `no lead with ${key} ${JSON.stringify(what.slice(0, 64))} in campaign ${snapshot.campaignId}`, format);
    const body = headOrBody(request, leadAnswer(snapshot, found, format, matches));
    return new Response(body, { status: 200, headers: format === "text" ? textHeaders : jsonHeaders });
  };

  const leadAnswer = (snapshot: CampaignSnapshot, record: number, format: "json" | "text", matches: number | undefined): string => {
    if (format === "text") return leadText(snapshot, snapshot.leads.at(record), answers, matches === undefined ? {} : { matches });
    const json = leadJson(snapshot, record, answers);
    return matches === undefined ? json : `${json.slice(0, -1)},"matches":${matches}}`;
  };

  const campaign = (request: Request): Response => {
    const current = deps.served.current();
    const snapshot = current.active;
    if (!snapshot) return errorAnswer(request, 404, "campaign.not_deployed", "no campaign is deployed on this edge yet", "json");
    const body = JSON.stringify({
      id: snapshot.campaignId,
      name: snapshot.campaignName,
      import_id: snapshot.importId,
      activated_at: new Date(snapshot.activatedAt).toISOString(),
      leads: snapshot.leads.length,
      audio_files: snapshot.audio.size,
      audio_slots: snapshot.audioSlots,
      previous_import_id: current.previousImportId,
    });
    return new Response(headOrBody(request, body), { status: 200, headers: jsonHeaders });
  };

  return {
    handle(request, bindings) {
      const url = request.url;
      const pathStart = url.indexOf("/", url.indexOf("//") + 2);
      const queryStart = url.indexOf("?", pathStart);
      const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
      const endpoint = path.startsWith("/audio/") ? "audio" : path === "/api/v1/lead" || path.startsWith("/api/v1/leads/") ? "lead" : path === "/api/v1/campaign" ? "campaign" : null;
      if (endpoint === null) return null;
      if (!deps.allowFrom(resolveClientAddress(request.headers, bindings?.remoteAddress, deps.trustedProxies))) {
        return count(endpoint, errorAnswer(request, 403, "dialer.forbidden", "the dialer API answers this server's own clients only (see DIALER_ALLOW_FROM)", "json"));
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        const response = errorAnswer(request, 405, "request.method_not_allowed", `${request.method} is not allowed here; use GET or HEAD`, "json");
        response.headers.set("Allow", "GET, HEAD");
        return count(endpoint, response);
      }
      if (endpoint === "lead") return count(endpoint, lookup(request, path, queryStart < 0 ? null : new URLSearchParams(url.slice(queryStart + 1))));
      if (endpoint === "campaign") return count(endpoint, campaign(request));
      const answered = audio(request, path.slice("/audio/".length));
      return answered instanceof Response ? count(endpoint, answered) : answered.then((response) => count(endpoint, response));
    },
    serveAudio: serveAudioPath,
  };
}

function respondWithAudio(request: Request, file: ServedAudioFile, body: Blob, isFallback: boolean, reason: string | null): Response {
  return respondWithRepresentation(request, {
    body,
    contentType: file.contentType,
    etag: file.etag,
    lastModified: file.modifiedAt,
    cacheControl: isFallback ? fallbackCacheControl : fileCacheControl,
    headers: isFallback ? { "X-Audio-Fallback": reason ?? "default_prompt" } : undefined,
  });
}

function respondWithPrompt(request: Request, prompt: PromptAudio, format: "wav" | "ulaw", reason: string): Response {
  return respondWithRepresentation(request, {
    body: prompt.body,
    contentType: format === "wav" ? "audio/wav" : "audio/basic",
    etag: prompt.etag,
    lastModified: 0,
    cacheControl: fallbackCacheControl,
    headers: { "X-Audio-Fallback": reason },
  });
}

function headOrBody(request: Request, body: string): string | null {
  return request.method === "HEAD" ? null : body;
}

function errorAnswer(request: Request, status: number, code: string, message: string, format: "json" | "text"): Response {
  const requestId = requestIdOf(request.headers.get("x-request-id"));
  if (format === "text") {
    return new Response(headOrBody(request, `found=0\nerror=${code}\nmessage=${message.replace(/[\r\n]+/g, " ")}\n`), { status, headers: { ...textHeaders, "X-Request-Id": requestId } });
  }
  const envelope: ErrorEnvelope = { error: { code, message, requestId } };
  return new Response(headOrBody(request, JSON.stringify(envelope)), { status, headers: { ...jsonHeaders, "X-Request-Id": requestId } });
}

/** Puts the dialer's routes ahead of the router, which serves everything else. */
export function withDialerFastPath(dialer: DialerApi, next: FetchHandler): FetchHandler {
  return (request, bindings) => dialer.handle(request, bindings) ?? next(request, bindings);
}
