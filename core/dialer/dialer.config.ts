import { field } from "../../shared/config/config-spec.ts";
import { httpUrl, integer, optional, text } from "../../shared/config/config-types.ts";

/** The Twilio power dialer (seed 003's settings, plus where Twilio's API is and how long to wait on it). */
export const dialerConfig = {
  twilioAccountSid: field(optional(text({ minLength: 34, maxLength: 34 })), {
    env: "TWILIO_ACCOUNT_SID",
    description: "Twilio account SID (AC…); the dialer is off until it, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and BASE_URL are set.",
  }),
  twilioAuthToken: field(optional(text({ minLength: 16 })), {
    env: "TWILIO_AUTH_TOKEN",
    description: "Twilio auth token: signs every webhook Twilio sends (X-Twilio-Signature) and authenticates REST calls when no API key is set.",
    secret: true,
  }),
  twilioApiKey: field(optional(text({ minLength: 34, maxLength: 34 })), {
    env: "TWILIO_API_KEY",
    description: "Twilio API key SID (SK…): issues the agents' Voice access tokens and authenticates REST calls.",
  }),
  twilioApiSecret: field(optional(text({ minLength: 16 })), {
    env: "TWILIO_API_SECRET",
    description: "Secret of TWILIO_API_KEY; signs the Voice access tokens.",
    secret: true,
  }),
  twilioTwimlAppSid: field(optional(text({ minLength: 34, maxLength: 34 })), {
    env: "TWILIO_TWIML_APP_SID",
    description: "TwiML App (AP…) whose Voice URL is <BASE_URL>/api/voice/dial: the agent console's outgoing leg.",
  }),
  twilioPhoneNumber: field(optional(text({ minLength: 2, maxLength: 32 })), {
    env: "TWILIO_PHONE_NUMBER",
    description: "Caller ID of the dialer's calls when the campaign's tenant has no DID pool.",
  }),
  baseUrl: field(optional(httpUrl()), {
    env: "BASE_URL",
    description: "The core's public URL as Twilio calls it; every webhook URL is built from it and every signature checked against it.",
  }),
  twilioApiBaseUrl: field(httpUrl(), {
    env: "TWILIO_API_BASE_URL",
    default: "https://api.twilio.com",
    description: "Twilio's REST API (tests point it at a local stand-in speaking the same wire format).",
  }),
  twilioTimeoutSeconds: field(integer({ min: 1, max: 120 }), {
    env: "TWILIO_TIMEOUT_SECONDS",
    default: 10,
    description: "How long one Twilio REST request may take before it is retried (a placed call is never placed twice).",
  }),
  twilioMachineDetectionTimeoutSeconds: field(integer({ min: 3, max: 59 }), {
    env: "TWILIO_MACHINE_DETECTION_TIMEOUT_SECONDS",
    default: 30,
    description: "MachineDetectionTimeout of every call; an answered call with no AMD verdict this long (plus a margin) after answering is settled as unknown.",
  }),
};
