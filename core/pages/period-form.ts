import { html, type SafeHtml } from "../../shared/pages/html.ts";
import type { Say } from "./core-page.ts";

/** A plain GET form of a local period and, when asked, a point; the page's script fills its values and points. */
export function periodForm(say: Say, options: { action: string; withPoint: boolean }): SafeHtml {
  return html`<form id="period-form" method="get" action="${options.action}" class="row">
  <div><label for="from">${say("overview.from")}</label><input id="from" name="from" type="date"></div>
  <div><label for="to">${say("overview.to")}</label><input id="to" name="to" type="date"></div>
  ${options.withPoint ? html`<div><label for="point">${say("overview.point")}</label><select id="point" name="point_id"><option value="">${say("overview.allPoints")}</option></select></div>` : ""}
  <div><button class="primary" type="submit" id="show">${say("overview.show")}</button></div>
</form>`;
}
