import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** The studio's campaigns and the form that creates one; the script fills the table and sends the form. */
export function studioCampaignsMain(say: Say): SafeHtml {
  return html`<h1>${say("studio.title")}</h1>
${card(
  { id: "campaigns", heading: say("studio.campaigns") },
  html`${dataTable({
    id: "campaign-rows",
    caption: say("studio.campaigns"),
    captionHidden: true,
    columns: [
      { label: say("studio.column.campaign") },
      { label: say("studio.column.language") },
      { label: say("studio.column.state") },
      { label: say("studio.column.leads"), numeric: true },
      { label: say("studio.column.updated") },
    ],
  })}
${messageRegion("campaigns-message")}`,
)}
${card(
  { id: "new-campaign", heading: say("studio.new") },
  html`<p class="hint">${say("studio.newHint")}</p>
<form id="create-form" novalidate>
  <div class="form-grid">
    <div><label for="campaign-id">${say("studio.id")}</label><input id="campaign-id" name="id" type="text" maxlength="64" autocomplete="off" spellcheck="false" aria-describedby="campaign-id-hint" required><p class="hint" id="campaign-id-hint">${say("studio.idHint")}</p></div>
    <div><label for="campaign-name">${say("studio.name")}</label><input id="campaign-name" name="name" type="text" maxlength="200" required></div>
    <div><label for="campaign-language">${say("studio.language")}</label><select id="campaign-language" name="language"><option value="ru">${say("language.ru")}</option><option value="en">${say("language.en")}</option></select></div>
    <div><label for="campaign-voice">${say("studio.voice")}</label><input id="campaign-voice" name="voice" type="text" maxlength="100" autocomplete="off" spellcheck="false" aria-describedby="campaign-voice-hint"><p class="hint" id="campaign-voice-hint">${say("studio.voiceHint")}</p></div>
  </div>
  <p><button class="primary" type="submit" id="create">${say("studio.create")}</button></p>
</form>
${messageRegion("create-message", "assertive")}`,
)}`;
}
