import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import { importHistoryTable } from "../importer/importer.page.ts";

type Say = (key: string, values?: Record<string, string | number>) => string;

export function dashboardMain(say: Say): SafeHtml {
  return html`<section class="card" id="summary" aria-labelledby="campaign-title">
  <div class="spread">
    <div>
      <h1 id="campaign-title" tabindex="-1">${say("dashboard.title")}</h1>
      <p id="campaign-meta" class="muted"></p>
    </div>
    <button id="rollback" class="danger" type="button" hidden></button>
  </div>
  <div id="campaign-empty"></div>
  <div class="figures" id="figures"></div>
  <p id="previous" class="muted"></p>
  <div id="running" class="message" role="status"></div>
  ${messageRegion("rollback-message")}
</section>
${card(
  { id: "leads-card", heading: say("dashboard.leads") },
  html`<form id="search-form" class="row" role="search">
    <div>
      <label for="search">${say("dashboard.search")}</label>
      <div class="row"><input id="search" type="search" aria-describedby="search-hint"><button class="plain" type="submit">${say("dashboard.searchButton")}</button></div>
      <p id="search-hint" class="hint">${say("dashboard.searchHint")}</p>
    </div>
  </form>
  <p id="lead-count" class="muted" role="status"></p>
  ${dataTable({ id: "leads", caption: say("dashboard.leads"), captionHidden: true, columns: [{ label: say("column.lead") }, { label: say("column.vendorCode") }, { label: say("column.phone") }, { label: say("column.name") }, { label: say("column.audio") }, { label: say("column.actions") }] })}
  <nav class="row pager" aria-label="${say("dashboard.leads")}">
    <button id="previous-page" class="plain" type="button">‹ ${say("kit.previous")}</button>
    <span id="page-text" class="muted"></span>
    <button id="next-page" class="plain" type="button">${say("kit.next")} ›</button>
  </nav>`,
)}
${card({ id: "history-card", heading: say("dashboard.history") }, importHistoryTable(say, say("dashboard.history")))}
<section class="card" id="report" data-testid="history-report" hidden aria-labelledby="report-heading"></section>`;
}
