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
  { id: "links", heading: say("room.links"), hidden: true },
  html`<p class="hint">${say("room.linksHint")}</p>
<form id="link-form" class="row">
  <div><label for="link-label">${say("room.linkLabel")}</label><input id="link-label" name="label" type="text" maxlength="100" required></div>
  <div><button class="primary" type="submit" id="link-button">${say("room.linkMake")}</button></div>
</form>
<p id="links-none" class="muted" hidden>${say("room.linksNone")}</p>
<p id="new-link" hidden><label for="new-link-url">${say("room.linkNew")}</label><input id="new-link-url" type="text" readonly></p>
${dataTable({ id: "link-rows", caption: say("room.links"), captionHidden: true, columns: [{ label: say("room.linkLabel") }, { label: say("room.column.status") }, { label: say("room.linkAction") }] })}`,
)}
${card(
  { id: "queue", heading: say("room.queue") },
  html`<div id="queue-empty"></div>${dataTable({ id: "queue-rows", caption: say("room.queue"), captionHidden: true, columns: [{ label: say("room.column.message") }, { label: say("room.column.status") }] })}`,
)}`;
}
