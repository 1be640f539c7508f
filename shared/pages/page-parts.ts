import { html, type SafeHtml } from "./html.ts";

/** Server-rendered pieces of the kit; the browser side (browser/page-kit.ts) fills and updates them. */

export function card(options: { id?: string; heading?: string; headingId?: string; hidden?: boolean; className?: string }, content: SafeHtml): SafeHtml {
  const labelled = options.heading ? (options.headingId ?? (options.id ? `${options.id}-heading` : undefined)) : undefined;
  return html`<section class="card${options.className ? ` ${options.className}` : ""}"${options.id ? html` id="${options.id}"` : ""}${labelled ? html` aria-labelledby="${labelled}"` : ""}${options.hidden ? html` hidden` : ""}>
${options.heading ? html`<h2${labelled ? html` id="${labelled}"` : ""} tabindex="-1">${options.heading}</h2>` : ""}
${content}
</section>`;
}

/** A live region for outcomes: polite for news, assertive (role=alert) for errors. */
export function messageRegion(id: string, urgency: "polite" | "assertive" = "polite"): SafeHtml {
  return urgency === "assertive" ? html`<div id="${id}" class="message" role="alert"></div>` : html`<div id="${id}" class="message" role="status"></div>`;
}

/** A labelled progress bar; `data-state` turns it green (ok) or red (bad) when finished. */
export function progressBar(id: string, label: string, hidden = true): SafeHtml {
  return html`<div class="progress" id="${id}"${hidden ? html` hidden` : ""}>
  <div class="progress-label"><span id="${id}-label">${label}</span><span id="${id}-detail" class="muted"></span></div>
  <div class="track" role="progressbar" aria-labelledby="${id}-label" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="fill"></div></div>
</div>`;
}

/** A table whose rows become cards on a phone; the body is filled by the page's script. */
export function dataTable(options: { id: string; caption: string; columns: Array<{ label: string; numeric?: boolean }>; captionHidden?: boolean }): SafeHtml {
  return html`<div class="table-wrap"><table class="cards" id="${options.id}-table">
<caption${options.captionHidden ? html` class="visually-hidden"` : ""}>${options.caption}</caption>
<thead><tr>${options.columns.map((column) => html`<th scope="col"${column.numeric ? html` class="number"` : ""}>${column.label}</th>`)}</tr></thead>
<tbody id="${options.id}"></tbody>
</table></div>`;
}
