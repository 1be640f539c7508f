import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** The dialogue list's frame: its filters as a plain GET form; the script fills the table and the pager. */
export function dialoguesMain(say: Say): SafeHtml {
  const field = (id: string, label: string, input: SafeHtml) => html`<div><label for="${id}">${label}</label>${input}</div>`;
  return html`<h1>${say("dialogues.title")}</h1>
${card(
  { id: "filters", heading: say("dialogues.filters") },
  html`<form id="filter-form" method="get" action="/dialogues" class="row">
  ${field("from", say("overview.from"), html`<input id="from" name="from" type="date">`)}
  ${field("to", say("overview.to"), html`<input id="to" name="to" type="date">`)}
  ${field("point", say("overview.point"), html`<select id="point" name="point_id"><option value="">${say("overview.allPoints")}</option></select>`)}
  ${field("upsell", say("dialogues.upsell"), html`<select id="upsell" name="upsell"><option value="">${say("dialogues.any")}</option><option value="true">${say("dialogues.yes")}</option><option value="false">${say("dialogues.no")}</option></select>`)}
  ${field("quality-min", say("dialogues.qualityMin"), html`<select id="quality-min" name="quality_min"><option value="">${say("dialogues.any")}</option>${Array.from({ length: 11 }, (_, score) => html`<option value="${score}">${score}</option>`)}</select>`)}
  ${field("quality-max", say("dialogues.qualityMax"), html`<select id="quality-max" name="quality_max"><option value="">${say("dialogues.any")}</option>${Array.from({ length: 11 }, (_, score) => html`<option value="${score}">${score}</option>`)}</select>`)}
  ${field("category", say("column.category"), html`<select id="category" name="category"><option value="">${say("dialogues.any")}</option></select>`)}
  ${field("q", say("dialogues.search"), html`<input id="q" name="q" type="search" maxlength="500">`)}
  ${field("sort", say("dialogues.sort"), html`<select id="sort" name="sort"><option value="time_desc">${say("dialogues.sort.time_desc")}</option><option value="time_asc">${say("dialogues.sort.time_asc")}</option><option value="quality_desc">${say("dialogues.sort.quality_desc")}</option><option value="quality_asc">${say("dialogues.sort.quality_asc")}</option></select>`)}
  <div><button class="primary" type="submit" id="show">${say("overview.show")}</button></div>
</form>
<p class="row"><a class="button plain" id="csv" href="/api/v1/dialogues.csv" download="dialogues.csv">${say("dialogues.csv")}</a></p>
${messageRegion("dialogues-message")}`,
)}
${card(
  { id: "list", heading: say("dialogues.title") },
  html`${dataTable({
    id: "dialogue-rows",
    caption: say("dialogues.title"),
    captionHidden: true,
    columns: [
      { label: say("dialogues.time") },
      { label: say("overview.point") },
      { label: say("dialogues.upsell") },
      { label: say("dialogues.quality"), numeric: true },
      { label: say("column.category") },
      { label: say("dialogues.reaction") },
      { label: say("dialogues.summary") },
    ],
  })}
<p class="pager row"><a class="button plain" id="first-page" href="/dialogues" hidden>${say("dialogues.firstPage")}</a><a class="button plain" id="next-page" href="/dialogues" hidden>${say("kit.next")}</a></p>`,
)}`;
}
