import { describe, expect, test } from "bun:test";
import { twilioSignatureHolds } from "./twilio-webhooks.ts";

/** The signed samples of ../shared/reference/twilio_samples.md (fake auth token, real signatures). */
const authToken = "0123456789abcdef0123456789abcdef";
const vectors = [
  {
    name: "async AMD — human",
    url: "https://dialer.example.com/twilio/amd?campaignId=camp_42&leadId=1001",
    signature: "1pPvpZPWsYj73HmoHKmdcMW8HFI=",
    body: "AccountSid=AC00000000000000000000000000000001&CallSid=CA11111111111111111111111111111111&AnsweredBy=human&MachineDetectionDuration=2310",
  },
  {
    name: "async AMD — machine_start",
    url: "https://dialer.example.com/twilio/amd?campaignId=camp_42&leadId=1002",
    signature: "kPKB6mqGz/k3GadrQa2/kmPAlUo=",
    body: "AccountSid=AC00000000000000000000000000000001&CallSid=CA22222222222222222222222222222222&AnsweredBy=machine_start&MachineDetectionDuration=3870",
  },
  {
    name: "status — answered",
    url: "https://dialer.example.com/twilio/status?campaignId=camp_42&leadId=1001",
    signature: "+YVXaNEPKntNJpHLjCcTmb9+Cm4=",
    body: "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&CallSid=CA11111111111111111111111111111111&CallStatus=in-progress&CallbackSource=call-progress-events&Called=%2B15551230001&CalledCity=&CalledCountry=US&CalledState=NY&CalledZip=&Caller=%2B15559870002&CallerCity=&CallerCountry=US&CallerState=NY&CallerZip=&Direction=outbound-api&From=%2B15559870002&FromCity=&FromCountry=US&FromState=NY&FromZip=&SequenceNumber=2&Timestamp=Mon%2C+03+Mar+2025+15%3A04%3A05+%2B0000&To=%2B15551230001&ToCity=&ToCountry=US&ToState=NY&ToZip=",
  },
  {
    name: "status — completed",
    url: "https://dialer.example.com/twilio/status?campaignId=camp_42&leadId=1001",
    signature: "NLjCh1nOBacReasNxFME4RxHDyI=",
    body: "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&CallSid=CA11111111111111111111111111111111&CallStatus=completed&CallbackSource=call-progress-events&Called=%2B15551230001&CalledCity=&CalledCountry=US&CalledState=NY&CalledZip=&Caller=%2B15559870002&CallerCity=&CallerCountry=US&CallerState=NY&CallerZip=&Direction=outbound-api&From=%2B15559870002&FromCity=&FromCountry=US&FromState=NY&FromZip=&SequenceNumber=3&Timestamp=Mon%2C+03+Mar+2025+15%3A04%3A52+%2B0000&To=%2B15551230001&ToCity=&ToCountry=US&ToState=NY&ToZip=&CallDuration=47&Duration=1",
  },
  {
    name: "status — no-answer",
    url: "https://dialer.example.com/twilio/status?campaignId=camp_42&leadId=1003",
    signature: "wDZ2bkas2/jACCRMop+visat9Nw=",
    body: "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&CallSid=CA33333333333333333333333333333333&CallStatus=no-answer&CallbackSource=call-progress-events&Called=%2B15551230001&CalledCity=&CalledCountry=US&CalledState=NY&CalledZip=&Caller=%2B15559870002&CallerCity=&CallerCountry=US&CallerState=NY&CallerZip=&Direction=outbound-api&From=%2B15559870002&FromCity=&FromCountry=US&FromState=NY&FromZip=&SequenceNumber=2&Timestamp=Mon%2C+03+Mar+2025+15%3A05%3A30+%2B0000&To=%2B15551230001&ToCity=&ToCountry=US&ToState=NY&ToZip=&CallDuration=0&Duration=0",
  },
  {
    name: "conference — participant-join",
    url: "https://dialer.example.com/twilio/conference-events",
    signature: "mHQaR/pOpzHmorSEJYDAOIwK8jg=",
    body: "AccountSid=AC00000000000000000000000000000001&CallSid=CA11111111111111111111111111111111&Coaching=false&ConferenceSid=CF44444444444444444444444444444444&EndConferenceOnExit=false&FriendlyName=agent-alice&Hold=false&Muted=false&SequenceNumber=3&StartConferenceOnEnter=true&StatusCallbackEvent=participant-join&Timestamp=Mon%2C+03+Mar+2025+15%3A04%3A07+%2B0000",
  },
  {
    name: "TwiML App — agent browser leg",
    url: "https://dialer.example.com/twilio/agent-voice",
    signature: "/l4Qd0d1caFE1GxRmNDk48fdz38=",
    body: "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01&ApplicationSid=AP55555555555555555555555555555555&CallSid=CA66666666666666666666666666666666&CallStatus=ringing&Called=&Caller=client%3Aagent-alice&Direction=inbound&From=client%3Aagent-alice&To=&agentId=alice&campaignId=camp_42",
  },
];

const paramsOf = (body: string) => Object.fromEntries(new URLSearchParams(body));
/** The same text with the byte at `index` replaced by another printable character. */
const changedAt = (text: string, index: number) => text.slice(0, index) + (text[index] === "x" ? "y" : "x") + text.slice(index + 1);

describe("X-Twilio-Signature", () => {
  for (const vector of vectors) {
    test(`${vector.name}: the sample is accepted, with a one-byte change anywhere it is refused`, () => {
      expect(twilioSignatureHolds(authToken, vector.signature, vector.url, paramsOf(vector.body))).toBe(true);
      // The default port is the same URL to Twilio's validator.
      expect(twilioSignatureHolds(authToken, vector.signature, vector.url.replace("dialer.example.com", "dialer.example.com:443"), paramsOf(vector.body))).toBe(true);

      const refused: string[] = [];
      // One byte of the body's values, of the URL, of the signature, of the token.
      const params = paramsOf(vector.body);
      for (const key of Object.keys(params).filter((key) => params[key] !== "")) {
        if (twilioSignatureHolds(authToken, vector.signature, vector.url, { ...params, [key]: changedAt(params[key]!, 0) })) refused.push(`value of ${key}`);
      }
      for (const index of [8, vector.url.length - 1, vector.url.indexOf("/twilio") + 2]) {
        if (twilioSignatureHolds(authToken, vector.signature, changedAt(vector.url, index), params)) refused.push(`url byte ${index}`);
      }
      if (twilioSignatureHolds(authToken, changedAt(vector.signature, 3), vector.url, params)) refused.push("signature");
      if (twilioSignatureHolds(changedAt(authToken, 5), vector.signature, vector.url, params)) refused.push("token");
      if (twilioSignatureHolds(authToken, vector.signature, vector.url, { ...params, Extra: "1" })) refused.push("an added field");
      expect(refused).toEqual([]);
    });
  }
});
