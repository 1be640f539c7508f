import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

const figureKeys = ["dialogues", "upsellAttempts", "upsellRate", "averageQuality", "accepted"] as const;

/** The overview's frame: the period form (a plain GET form), the figures and the charts the script fills. */
export function overviewMain(say: Say): SafeHtml {
  return html`<h1>${say("overview.title")}</h1>
${card(
  { id: "filters", heading: say("overview.filters") },
  html`<form id="period-form" method="get" action="/dashboard" class="row">
  <div><label for="period">${say("overview.period")}</label>
  <select id="period" name="period">
    <option value="day">${say("overview.day")}</option><option value="week">${say("overview.week")}</option><option value="month">${say("overview.month")}</option><option value="custom">${say("overview.custom")}</option>
  </select></div>
  <div><label for="from">${say("overview.from")}</label><input id="from" name="from" type="date"></div>
  <div><label for="to">${say("overview.to")}</label><input id="to" name="to" type="date"></div>
  <div><label for="point">${say("overview.point")}</label><select id="point" name="point_id"><option value="">${say("overview.allPoints")}</option></select></div>
  <div><button class="primary" type="submit" id="show">${say("overview.show")}</button></div>
</form>
<p class="muted" id="range"></p>
${messageRegion("overview-message")}`,
)}
${card(
  { id: "totals", heading: say("overview.figures") },
  html`<div class="figures">${figureKeys.map((key) => html`<figure><b id="figure-${key}">–</b><figcaption>${say(`figure.${key}`)}<br><span id="previous-${key}"></span></figcaption></figure>`)}</div>`,
)}
${card({ id: "hourly", heading: say("chart.hourly") }, html`<p class="hint">${say("chart.hourlyLegend")}</p><div id="hourly-chart"></div>`)}
${card({ id: "daily", heading: say("chart.daily") }, html`<div id="daily-chart"></div>`)}
${card(
  { id: "categories", heading: say("chart.categories") },
  html`${dataTable({ id: "category-rows", caption: say("chart.categories"), captionHidden: true, columns: [{ label: say("column.category") }, { label: say("column.offers"), numeric: true }, { label: say("column.accepted"), numeric: true }] })}`,
)}
${card({ id: "quality", heading: say("chart.quality") }, html`<div id="quality-chart"></div>`)}`;
}
