import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, messageRegion, progressBar } from "../../shared/pages/page-parts.ts";
import type { Say } from "./core-page.ts";

/** A campaign's leads a page at a time: each slot's text and player, a lead's own words, one lead generated again. */
export function studioReviewMain(say: Say): SafeHtml {
  return html`<p><a id="campaign-link" href="/studio">${say("review.back")}</a></p>
<div class="spread"><h1 id="review-heading">${say("review.title")}</h1><span id="campaign-state"></span></div>
${progressBar("generation", say("generate.progress"))}
${messageRegion("review-message", "assertive")}
${card({ id: "review", heading: say("review.leads") }, html`<ol id="lead-list" class="lead-list"></ol>
<p class="pager row"><a class="button plain" id="first-page" href="/studio" hidden>${say("review.firstPage")}</a><a class="button plain" id="next-page" href="/studio" hidden>${say("kit.next")}</a></p>`)}`;
}
