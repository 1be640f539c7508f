import { type Dictionary, type PageData, type PageLanguage, type PhraseValues, translate } from "../words.ts";

/**
 * The browser half of the page kit: words and Intl formats, calls to the node's API, and the
 * pieces a page builds at run time (badges, rows, messages, empty states, dialogs, progress).
 */

export type Tone = "ok" | "bad" | "warn" | "info" | "neutral";

export interface PageKit<Data> {
  language: PageLanguage;
  data: Data;
  say(key: string, values?: PhraseValues): string;
  number(value: number | null | undefined): string;
  bytes(value: number | null | undefined): string;
  duration(milliseconds: number | null | undefined): string;
  dateTime(iso: string | number | null | undefined): string;
  time(iso: string | number | null | undefined): string;
}

export function startPage<Data>(): PageKit<Data> {
  const source = document.getElementById("page-data")?.textContent ?? "{}";
  const page = JSON.parse(source) as PageData<Data>;
  const words: Dictionary = page.words;
  const language = page.language;
  const numbers = new Intl.NumberFormat(language);
  const oneDecimal = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });
  const twoDecimals = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
  const dateTimes = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" });
  const times = new Intl.DateTimeFormat(language, { timeStyle: "medium" });
  const say = (key: string, values?: PhraseValues) => translate(words, language, key, values);
  const kit: PageKit<Data> = {
    language,
    data: page.data,
    say,
    number: (value) => (value === null || value === undefined ? say("kit.none") : numbers.format(value)),
    bytes(value) {
      if (value === null || value === undefined) return say("kit.none");
      if (value >= 1e9) return say("kit.bytes.GB", { value: twoDecimals.format(value / 1e9) });
      if (value >= 1e6) return say("kit.bytes.MB", { value: oneDecimal.format(value / 1e6) });
      return say("kit.bytes.kB", { value: numbers.format(Math.max(value > 0 ? 1 : 0, Math.round(value / 1e3))) });
    },
    duration(milliseconds) {
      if (milliseconds === null || milliseconds === undefined) return say("kit.none");
      const seconds = Math.round(milliseconds / 1000);
      if (seconds >= 3600) return say("kit.duration.h", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
      if (seconds >= 60) return say("kit.duration.min", { m: Math.floor(seconds / 60), s: seconds % 60 });
      return say("kit.duration.s", { s: seconds });
    },
    dateTime: (iso) => (iso === null || iso === undefined ? say("kit.none") : dateTimes.format(new Date(iso))),
    time: (iso) => (iso === null || iso === undefined ? say("kit.none") : times.format(new Date(iso))),
  };
  setUpSignOut(kit);
  return kit;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly response: Response | null,
    /** The error's `details` (problems by row, say), when the node sent any. */
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** State-changing calls carry the header a cross-site form cannot send. */
export const csrfHeaders = { "x-requested-with": "salescontrol" };

/** Calls the node's JSON API; a lost session goes to the sign-in page and comes back. */
export async function api<Result>(kit: PageKit<unknown>, path: string, init: RequestInit = {}): Promise<Result> {
  const method = init.method ?? "GET";
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...(method === "GET" ? {} : csrfHeaders) } });
  } catch {
    throw new ApiError(kit.say("kit.connectionLost"), 0, null, null);
  }
  if (response.status === 401 && !path.endsWith("/login")) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError("signed out", 401, "auth.required", response);
  }
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: unknown } } | null;
  if (!response.ok) throw new ApiError(body?.error?.message ?? kit.say("kit.requestFailed", { status: response.status }), response.status, body?.error?.code ?? null, response, body?.error?.details ?? null);
  return body as Result;
}

type Child = Node | string | null | undefined | false;

export function element<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, attributes: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[Tag] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function byId<Type extends HTMLElement = HTMLElement>(id: string): Type {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as Type;
}

export function badge(label: string, tone: Tone, state?: string): HTMLSpanElement {
  return element("span", { class: `badge ${tone}`, "data-state": state, text: label });
}

/** A table row whose cells carry their column's name, shown beside the value on a phone. */
export function tableRow(attributes: Record<string, string | undefined>, cells: Array<{ label: string; content: Child | Child[]; numeric?: boolean }>): HTMLTableRowElement {
  return element(
    "tr",
    attributes,
    ...cells.map((cell) => element("td", { "data-label": cell.label, class: cell.numeric ? "number" : undefined }, ...(Array.isArray(cell.content) ? cell.content : [cell.content]))),
  );
}

/** Writes an outcome into a live region (role=status or role=alert), which announces it. */
export function showMessage(region: HTMLElement, tone: Tone, title: string, ...lines: Child[]): void {
  region.className = `message ${tone}`;
  region.replaceChildren(element("b", { text: title }), ...lines.filter((line): line is Node | string => line !== null && line !== undefined && line !== false));
}

export function clearMessage(region: HTMLElement): void {
  region.className = "message";
  region.replaceChildren();
}

export function emptyState(title: string, text: string, action?: { href: string; label: string }): HTMLElement {
  return element("div", { class: "empty" }, element("b", { text: title }), element("span", { text: text }), action ? element("p", {}, element("a", { href: action.href, class: "button plain", text: action.label })) : null);
}

/** Moves the reader to what just appeared: into view, focus on its heading. */
export function focusOn(target: HTMLElement): void {
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.scrollIntoView({ block: "start" });
  target.focus({ preventScroll: true });
}

export interface ProgressBar {
  show(): void;
  hide(): void;
  set(fraction: number, label: string, detail?: string): void;
  finish(tone: "ok" | "bad", label: string, detail?: string): void;
}

export function progressBar(id: string): ProgressBar {
  const root = byId(id);
  const track = root.querySelector<HTMLElement>(".track")!;
  const fill = root.querySelector<HTMLElement>(".fill")!;
  const label = byId(`${id}-label`);
  const detail = byId(`${id}-detail`);
  const set = (fraction: number, text: string, more = "") => {
    const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
    fill.style.width = `${percent}%`;
    track.setAttribute("aria-valuenow", String(percent));
    label.textContent = text;
    detail.textContent = more;
  };
  return {
    show: () => {
      root.hidden = false;
      root.removeAttribute("data-state");
    },
    hide: () => {
      root.hidden = true;
    },
    set,
    finish(tone, text, more) {
      set(1, text, more);
      root.dataset.state = tone;
    },
  };
}

function dialogShell(title: string, content: Child[], actions: HTMLElement[]): HTMLDialogElement {
  const headingId = `dialog-${Math.random().toString(36).slice(2)}`;
  const dialog = element("dialog", { "aria-labelledby": headingId }, element("h2", { id: headingId, text: title }), ...content, element("div", { class: "actions" }, ...actions));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  return dialog;
}

/** Asks before something with consequences; resolves true only when confirmed. Focus starts on Cancel. */
export function confirmAction(kit: PageKit<unknown>, options: { title: string; body: Child[]; confirm: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = element("button", { type: "button", class: "plain", text: kit.say("kit.cancel") });
    const confirm = element("button", { type: "button", class: options.danger ? "danger" : "primary", "data-confirm": "", text: options.confirm });
    const dialog = dialogShell(options.title, options.body, [cancel, confirm]);
    const opener = document.activeElement as HTMLElement | null;
    let answer = false;
    cancel.addEventListener("click", () => dialog.close());
    confirm.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      opener?.focus();
      resolve(answer);
    });
    dialog.showModal();
    cancel.focus();
  });
}

/** Shows content (a lead's fields, say) until closed; focus returns to the opener. */
export function showDialog(kit: PageKit<unknown>, title: string, content: Child[]): HTMLDialogElement {
  const close = element("button", { type: "button", class: "plain", text: kit.say("kit.close") });
  const dialog = dialogShell(title, content, [close]);
  const opener = document.activeElement as HTMLElement | null;
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => opener?.focus());
  dialog.showModal();
  close.focus();
  return dialog;
}

function setUpSignOut(kit: PageKit<unknown>): void {
  const button = document.getElementById("sign-out");
  if (!button) return;
  button.addEventListener("click", async () => {
    await api(kit, button.dataset.path ?? "/", { method: "POST" }).catch(() => {});
    location.href = button.dataset.then ?? "/";
  });
}
