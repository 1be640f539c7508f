import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** The recorders: each one's newest chunk, today's coverage and whether it is stale; the script fills them. */
export function recordersMain(say: Say): SafeHtml {
  return html`<h1>${say("recorders.title")}</h1>
${card(
  { id: "recorders", heading: say("recorders.today") },
  html`<p class="muted" id="recorders-lead"></p>
<p class="hint" id="schedule-hint"></p>
<p id="recorders-summary"></p>
${messageRegion("recorders-message")}
${dataTable({
  id: "recorder-rows",
  caption: say("recorders.title"),
  captionHidden: true,
  columns: [
    { label: say("recorders.device") },
    { label: say("overview.point") },
    { label: say("recorders.register") },
    { label: say("recorders.state") },
    { label: say("recorders.lastChunk") },
    { label: say("recorders.lastUpload") },
    { label: say("recorders.coverage") },
  ],
})}`,
)}`;
}
