import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion, progressBar } from "../../shared/pages/page-parts.ts";

type Say = (key: string, values?: Record<string, string | number>) => string;

/** The columns of an import history table (the importer's and the dashboard's). */
export function importHistoryTable(say: Say, caption: string): SafeHtml {
  return dataTable({
    id: "history",
    caption,
    captionHidden: true,
    columns: [
      { label: say("column.import") },
      { label: say("column.state") },
      { label: say("column.campaign") },
      { label: say("column.started") },
      { label: say("column.outcome") },
      { label: say("column.actions") },
    ],
  });
}

export function importerMain(say: Say, maxPackageSize: string): SafeHtml {
  return html`<h1>${say("importer.heading")}</h1>
${card(
  { id: "upload-card", heading: say("importer.upload") },
  html`<p class="muted">${say("importer.explain")}</p>
  <div id="busy" class="message" role="status"></div>
  <form id="upload-form">
    <label for="package">${say("importer.fileLabel")}</label>
    <div class="row">
      <input id="package" name="package" type="file" accept=".zip,application/zip" aria-describedby="package-hint">
      <button id="upload" class="primary" type="submit">${say("importer.submit")}</button>
    </div>
    <p id="package-hint" class="hint">${say("importer.fileHint", { size: maxPackageSize })}</p>
  </form>
  ${progressBar("upload-progress", say("importer.upload"))}
  ${progressBar("import-progress", say("phase.reading"))}
  ${messageRegion("upload-error", "assertive")}
  <div id="outcome" class="message" role="status"></div>`,
)}
<section class="card" id="report" data-testid="report" hidden aria-labelledby="report-heading"></section>
${card({ id: "history-card", heading: say("importer.history") }, importHistoryTable(say, say("importer.history")))}`;
}
