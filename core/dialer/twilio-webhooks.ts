import type { Context } from "hono";
import VoiceResponse from "twilio/lib/twiml/VoiceResponse.js";
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { badRequest, forbidden } from "../../shared/http/app-error.ts";

/** Twilio's form fields as it sent them; a key sent twice keeps its last value (none of ours repeat). */
export type WebhookParams = Record<string, string>;

export const twilioSignatureHeader = "x-twilio-signature";

/**
 * The webhook's form fields once X-Twilio-Signature holds for BASE_URL + the request's path and
 * query: the URL Twilio was told to call, never one rebuilt from Host or forwarding headers.
 */
export async function verifiedWebhookParams(c: Context, settings: { authToken: string; baseUrl: string }): Promise<WebhookParams> {
  const signature = c.req.header(twilioSignatureHeader);
  if (!signature) throw forbidden("twilio.signature_missing", "the request has no X-Twilio-Signature header: only Twilio may call this endpoint");
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw forbidden("twilio.signature_invalid", "Twilio's webhooks are form-encoded; this body cannot carry a valid signature");
  const params: WebhookParams = {};
  for (const [key, value] of new URLSearchParams(await c.req.text())) params[key] = value;
  const requested = new URL(c.req.url);
  const url = `${settings.baseUrl}${requested.pathname}${requested.search}`;
  if (!twilioSignatureHolds(settings.authToken, signature, url, params)) {
    throw forbidden("twilio.signature_invalid", "X-Twilio-Signature does not match this request as sent to BASE_URL: check TWILIO_AUTH_TOKEN and BASE_URL");
  }
  return params;
}

/** Twilio's own check (with its tolerance for a default port and URL normalisation). */
export function twilioSignatureHolds(authToken: string, signature: string, url: string, params: WebhookParams): boolean {
  return validateRequest(authToken, signature, url, params);
}

export function requiredParam(params: WebhookParams, name: string): string {
  const value = params[name];
  if (value === undefined || value === "") throw badRequest("twilio.field_missing", `the webhook has no ${name}`);
  return value;
}

export function holdMusicTwiml(holdMusicUrl: string): string {
  const response = new VoiceResponse();
  response.play({ loop: 0 }, holdMusicUrl);
  return response.toString();
}

/** The agent's browser leg waits in their own conference, which outlives every customer bridged into it. */
export function agentConferenceTwiml(conference: string): string {
  const response = new VoiceResponse();
  response.dial().conference({ startConferenceOnEnter: true, endConferenceOnExit: false, beep: "false", waitUrl: "" }, conference);
  return response.toString();
}

/** The customer joins the agent's conference; leaving ends only the customer's leg, so the agent stays for the next call. */
export function customerConferenceTwiml(conference: string): string {
  const response = new VoiceResponse();
  response.dial().conference({ startConferenceOnEnter: false, endConferenceOnExit: false, beep: "false", waitUrl: "" }, conference);
  return response.toString();
}

export function voicemailTwiml(audioUrl: string): string {
  const response = new VoiceResponse();
  response.play(audioUrl);
  response.hangup();
  return response.toString();
}

export function apologyTwiml(message: string): string {
  const response = new VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

export function hangupTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

export const conferenceNameOf = (identity: string) => `agent-${identity}`;
