import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, messageRegion, progressBar } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/**
 * One campaign from leads to package: upload, the script with its live preview, generation with its
 * progress, export, and the place that publishes to an edge. The script fills every part.
 */
export function studioCampaignMain(say: Say): SafeHtml {
  return html`<p><a href="/studio">${say("campaign.back")}</a></p>
<div class="spread"><h1 id="campaign-name">${say("studio.title")}</h1><span id="campaign-state"></span></div>
<p class="muted" id="campaign-about"></p>
<p><a id="review-link" class="button plain" href="/studio">${say("campaign.review")}</a></p>
${messageRegion("campaign-message", "assertive")}
${card(
  { id: "leads", heading: say("leads.heading") },
  html`<p id="leads-summary"></p><p class="hint" id="leads-columns"></p>
<form id="leads-form" novalidate>
  <label for="leads-file">${say("leads.file")}</label>
  <div class="row"><input id="leads-file" type="file" accept=".csv,text/csv" aria-describedby="leads-hint"><button class="primary" type="submit" id="upload">${say("leads.upload")}</button></div>
  <p class="hint" id="leads-hint">${say("leads.hint")}</p>
</form>
${messageRegion("leads-message", "assertive")}`,
)}
${card(
  { id: "script", heading: say("script.heading") },
  html`<p class="hint">${say("script.hint")}</p>
<form id="script-form" novalidate>
  <ol id="slots" class="slot-editor"></ol>
  <p><button class="plain" type="button" id="add-slot">${say("script.add")}</button></p>
  <p class="check"><input type="checkbox" id="rephrase"><label for="rephrase">${say("script.rephrase")}</label></p>
  <p><button class="primary" type="submit" id="save-script">${say("script.save")}</button></p>
</form>
${messageRegion("script-message", "assertive")}
<h3 id="preview-heading">${say("script.preview")}</h3>
<div><label for="preview-lead">${say("script.previewFor")}</label><select id="preview-lead"></select></div>
<p class="hint" id="preview-fields"></p>
<dl id="preview" class="preview" aria-labelledby="preview-heading" aria-live="polite"></dl>`,
)}
${card(
  { id: "generate", heading: say("generate.heading") },
  html`<p class="hint">${say("generate.hint")}</p>
<p><button class="primary" type="button" id="generate-button">${say("generate.start")}</button></p>
${progressBar("generation", say("generate.progress"))}
${messageRegion("generate-message")}
<div id="failures" hidden><h3>${say("generate.failures")}</h3><ul id="failure-list" class="problems"></ul><p class="hint">${say("generate.fixHint")}</p></div>`,
)}
${card(
  { id: "export", heading: say("export.heading") },
  html`<p class="hint">${say("export.hint")}</p>
<p><a class="button primary" id="download" href="/studio" download hidden>${say("export.download")}</a><span id="download-waiting" class="muted">${say("export.notReady")}</span></p>
${messageRegion("export-message", "assertive")}`,
)}
<!-- Publish to an edge: the core's list of edges and the publish call (GET /api/v1/studio/edges, POST /api/v1/studio/campaigns/{id}/publish). -->
${card(
  { id: "publish", heading: say("publish.heading") },
  html`<p class="hint">${say("publish.hint")}</p>
<form id="publish-form" class="row" novalidate hidden>
  <div><label for="publish-edge">${say("publish.edge")}</label><select id="publish-edge"></select></div>
  <div><button class="primary" type="submit" id="publish-button">${say("publish.button")}</button></div>
</form>
${messageRegion("publish-message")}
<details id="publish-report" hidden><summary>${say("publish.report")}</summary><pre id="publish-report-text"></pre></details>`,
)}`;
}
