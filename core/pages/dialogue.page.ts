import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, messageRegion } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** One dialogue: its audio, the transcript with the evidence marked, and the analysis (with re-analysis for admins); the script fills them. */
export function dialogueMain(say: Say): SafeHtml {
  return html`<p><a href="/dialogues">${say("dialogue.back")}</a></p>
<h1 id="dialogue-heading">${say("dialogue.title")}</h1>
<p class="muted" id="dialogue-when"></p>
${messageRegion("dialogue-message")}
${card({ id: "listen", heading: say("dialogue.audio") }, html`<audio id="audio" controls preload="metadata" aria-label="${say("dialogue.audio")}"></audio><p class="hint">${say("dialogue.audioHint")}</p>`)}
${card({ id: "transcript", heading: say("dialogue.transcript") }, html`<p id="transcript-text" class="transcript"></p>`)}
${card(
  { id: "analysis", heading: say("dialogue.analysis") },
  html`<dl id="analysis-facts" class="facts"></dl><h3>${say("dialogue.offers")}</h3><ul id="offers"></ul>
<div id="reanalyse-box" hidden><p class="row spaced"><button type="button" class="plain" id="reanalyse" aria-describedby="reanalyse-hint">${say("dialogue.reanalyse")}</button><span class="hint" id="reanalyse-hint">${say("dialogue.reanalyseHint")}</span></p>${messageRegion("reanalyse-message")}</div>`,
)}`;
}
