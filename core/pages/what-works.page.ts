import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";
import { periodForm } from "./period-form.ts";

/** "What works": the period form; the script adds one card per offer category with its best phrases. */
export function whatWorksMain(say: Say): SafeHtml {
  return html`<h1>${say("whatWorks.title")}</h1>
${card(
  { id: "filters", heading: say("overview.filters") },
  html`<p class="muted">${say("whatWorks.lead")}</p>${periodForm(say, { action: "/what-works", withPoint: true })}<p class="muted" id="range"></p>${messageRegion("what-works-message")}`,
)}
<div id="what-works-categories"></div>`;
}
