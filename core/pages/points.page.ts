import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";
import { periodForm } from "./period-form.ts";

/** Points with their registers side by side over a period; the script fills the table. */
export function pointsMain(say: Say): SafeHtml {
  return html`<h1>${say("points.title")}</h1>
${card(
  { id: "filters", heading: say("overview.period") },
  html`<p class="muted">${say("points.lead")}</p>${periodForm(say, { action: "/points", withPoint: false })}<p class="muted" id="range"></p>${messageRegion("points-message")}`,
)}
${card(
  { id: "places", heading: say("points.title") },
  dataTable({
    id: "point-rows",
    caption: say("points.title"),
    captionHidden: true,
    columns: [
      { label: say("points.place") },
      { label: say("figure.dialogues"), numeric: true },
      { label: say("figure.upsellRate"), numeric: true },
      { label: say("figure.averageQuality"), numeric: true },
      { label: say("figure.accepted"), numeric: true },
      { label: say("points.list") },
    ],
  }),
)}`;
}
