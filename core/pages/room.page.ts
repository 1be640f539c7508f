import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** A campaign's listening room: what plays now, the message form and the queue; the script plays and fills them. */
export function roomMain(say: Say, campaignId: string): SafeHtml {
  return html`<h1>${say("room.title")}: <span id="campaign-id">${campaignId}</span></h1>
<p class="muted">${say("room.lead")}</p>
${messageRegion("room-message", "assertive")}
${card(
  { id: "now", heading: say("room.nowPlaying") },
  html`<p role="status" id="room-status" class="muted">${say("room.connecting")}</p>
<p id="start-row"><button class="primary" type="button" id="start-listening">${say("room.start")}</button> <span class="hint">${say("room.startHint")}</span></p>
<p id="now-text" aria-live="polite">${say("room.nothing")}</p>`,
)}
${card(
  { id: "send", heading: say("room.send"), hidden: true },
  html`<form id="message-form">
  <label for="message-text">${say("room.text")}</label>
  <textarea id="message-text" name="text" rows="3" maxlength="5000" required aria-describedby="message-hint"></textarea>
  <p class="hint" id="message-hint">${say("room.textHint")}</p>
  <button class="primary" type="submit" id="send-button">${say("room.sendButton")}</button>
</form>`,
)}
${card(
  { id: "queue", heading: say("room.queue") },
  html`${dataTable({ id: "queue-rows", caption: say("room.queue"), captionHidden: true, columns: [{ label: say("room.column.message") }, { label: say("room.column.status") }] })}`,
)}`;
}
