import { type ApiError, api, byId, clearMessage, element, showMessage } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage, storedAdminToken } from "./browser/admin-token.ts";

interface Quote {
  text: string;
  start: number;
  end: number;
}
interface DialogueDetail {
  dialogue_id: string;
  point_id: string;
  start_ts: string;
  end_ts: string;
  timezone: string;
  transcript: { text: string; segments: Array<{ start_ms: number; end_ms: number; text: string }> | null; audio_ms: number | null };
  analysis: {
    upsell_attempted: boolean;
    offers: Array<{ category: string; category_label: string | null; category_labels: { en: string; ru: string } | null; product: string | null; quote: Quote }>;
    customer_reaction: string;
    quality_score: number;
    rubric: string;
    quality_rationale: string;
    summary: string;
  };
}

const kit = startDashboardPage();
const dialogueId = decodeURIComponent(location.pathname.split("/").pop() ?? "");
const audio = byId<HTMLAudioElement>("audio");
const seconds = new Intl.NumberFormat(kit.language, { maximumFractionDigits: 1 });

/**
 * The moment a character of the transcript is spoken: each timed segment is found in the text in
 * order, and a character inside one is placed in proportion to its position there.
 */
function momentOf(text: string, segments: DialogueDetail["transcript"]["segments"], offset: number, wholeMs: number): number {
  let from = 0;
  for (const segment of segments ?? []) {
    const start = text.indexOf(segment.text, from);
    if (start < 0) continue;
    const end = start + segment.text.length;
    if (offset < end) return segment.start_ms + (Math.max(0, offset - start) / Math.max(1, segment.text.length)) * (segment.end_ms - segment.start_ms);
    from = end;
  }
  return (offset / Math.max(1, text.length)) * wholeMs;
}

function play(ms: number): void {
  audio.currentTime = ms / 1000;
  void audio.play().catch(() => undefined);
}

/** The transcript as text nodes, each quote in a `<mark>` at its stored offsets (never parsed as markup). */
function renderTranscript(detail: DialogueDetail): void {
  const { text } = detail.transcript;
  const quotes = detail.analysis.offers.map((offer) => offer.quote).filter((quote) => quote.start >= 0 && quote.end <= text.length && quote.start < quote.end);
  quotes.sort((a, b) => a.start - b.start);
  const target = byId("transcript-text");
  let at = 0;
  const parts: Node[] = [];
  quotes.forEach((quote, index) => {
    if (quote.start < at) return;
    parts.push(document.createTextNode(text.slice(at, quote.start)));
    parts.push(element("mark", { id: `quote-${index}`, "data-start": quote.start, "data-end": quote.end, text: text.slice(quote.start, quote.end) }));
    at = quote.end;
  });
  parts.push(document.createTextNode(text.slice(at)));
  target.replaceChildren(...parts);
}

/** Admins (an admin operator, or the admin token) may queue the dialogue's analysis again and see what happened. */
function offerReanalysis(token: string | null): void {
  byId("reanalyse-box").hidden = false;
  const button = byId<HTMLButtonElement>("reanalyse");
  const message = byId("reanalyse-message");
  button.addEventListener("click", async () => {
    clearMessage(message);
    button.disabled = true;
    button.textContent = kit.say("dialogue.reanalysing");
    try {
      const queued = await api<{ pass: number; already_queued: boolean }>(kit, `/api/v1/dialogues/${encodeURIComponent(dialogueId)}/reanalyse`, { method: "POST", headers: token ? { authorization: `Bearer ${token}` } : {} });
      showMessage(message, "ok", kit.say("dialogue.reanalysed"), kit.say(queued.already_queued ? "dialogue.reanalyseAlready" : "dialogue.reanalysedText", { pass: String(queued.pass) }));
    } catch (error) {
      showMessage(message, "bad", kit.say("dialogue.reanalyseFailed"), (error as ApiError).message);
    } finally {
      button.disabled = false;
      button.textContent = kit.say("dialogue.reanalyse");
    }
  });
}

async function load(): Promise<void> {
  const detail = await dashboardApi<DialogueDetail>(kit, `/api/v1/dialogues/${encodeURIComponent(dialogueId)}`);
  const when = new Intl.DateTimeFormat(kit.language, { dateStyle: "full", timeStyle: "medium", timeZone: detail.timezone });
  const wholeMs = detail.transcript.audio_ms ?? Date.parse(detail.end_ts) - Date.parse(detail.start_ts);
  byId("dialogue-when").textContent = kit.say("dialogue.when", { start: when.format(new Date(detail.start_ts)), duration: kit.duration(wholeMs), point: detail.point_id });
  renderTranscript(detail);
  const { analysis } = detail;
  const facts: Array<[string, string]> = [
    ["dialogue.upsell", kit.say(analysis.upsell_attempted ? "dialogues.yes" : "dialogues.no")],
    ["dialogue.reaction", kit.say(`reaction.${analysis.customer_reaction}`)],
    ["dialogue.quality", kit.number(analysis.quality_score)],
    ["dialogue.summary", analysis.summary],
    ["dialogue.rationale", analysis.quality_rationale],
    ["dialogue.rubric", analysis.rubric],
  ];
  byId("analysis-facts").replaceChildren(...facts.flatMap(([key, value]) => [element("dt", { text: kit.say(key) }), element("dd", { text: value })]));
  const offers = byId("offers");
  offers.replaceChildren(
    ...analysis.offers.map((offer) => {
      const ms = momentOf(detail.transcript.text, detail.transcript.segments, offer.quote.start, wholeMs);
      const button = element("button", { type: "button", class: "plain", "data-quote-start": offer.quote.start, "data-seek-ms": Math.round(ms), text: `“${offer.quote.text}”` });
      button.setAttribute("aria-label", kit.say("dialogue.playQuote", { quote: offer.quote.text, seconds: seconds.format(ms / 1000) }));
      button.addEventListener("click", () => play(ms));
      return element("li", {}, element("b", { text: offer.category_labels?.[kit.language === "ru" ? "ru" : "en"] ?? offer.category_label ?? offer.category }), offer.product ? ` · ${offer.product} ` : " ", button);
    }),
  );
  if (analysis.offers.length === 0) offers.replaceChildren(element("li", { text: kit.say("dialogue.noOffers") }));
  // Clicking a marked quote in the transcript plays it too.
  for (const mark of byId("transcript-text").querySelectorAll("mark")) {
    mark.addEventListener("click", () => play(momentOf(detail.transcript.text, detail.transcript.segments, Number(mark.dataset.start), wholeMs)));
  }
  const token = storedAdminToken();
  if (token || (kit.data as { canReanalyse?: boolean } | null)?.canReanalyse) offerReanalysis(token);
  const audioPath = `/api/v1/dialogues/${encodeURIComponent(dialogueId)}/audio`;
  if (token) {
    // A media element cannot send the header: the token's recording comes through fetch.
    const response = await fetch(audioPath, { headers: { authorization: `Bearer ${token}` } });
    if (response.ok) audio.src = URL.createObjectURL(await response.blob());
  } else audio.src = audioPath;
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("dialogue-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
