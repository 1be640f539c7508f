import { badge, byId, element, emptyState, showMessage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage, storedAdminToken } from "./browser/admin-token.ts";
import { localDate, shiftedDate, validDate } from "./browser/local-dates.ts";

interface ListedDialogue {
  dialogue_id: string;
  point_id: string;
  start_ts: string;
  upsell_attempted: boolean;
  quality_score: number;
  categories: string[];
  customer_reaction: string;
  summary: string;
}

const kit = startDashboardPage();
const params = new URLSearchParams(location.search);
const to = validDate(params.get("to")) ?? localDate(new Date());
const from = validDate(params.get("from")) ?? shiftedDate(to, -6);
const filterNames = ["point_id", "register_id", "upsell", "quality_min", "quality_max", "category", "q", "sort", "limit"] as const;

// The form shows the filters the address asks for; the API gets the same ones.
const query = new URLSearchParams({ from, to });
byId<HTMLInputElement>("from").value = from;
byId<HTMLInputElement>("to").value = to;
const form = byId<HTMLFormElement>("filter-form");
for (const name of filterNames) {
  const value = params.get(name);
  if (!value) continue;
  query.set(name, value);
  const control = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  if (name === "limit") continue;
  // A register has no field of its own (the points page links to one): the form keeps it hidden.
  if (name === "register_id") form.append(element("input", { type: "hidden", name, value }));
  if (control instanceof HTMLSelectElement && ![...control.options].some((option) => option.value === value)) control.append(element("option", { value, text: value }));
  if (control) control.value = value;
}
const cursor = params.get("cursor");

const csv = byId<HTMLAnchorElement>("csv");
csv.href = `/api/v1/dialogues.csv?${query}`;
// With the admin token the file comes through fetch (a link cannot carry the header).
csv.addEventListener("click", async (event) => {
  const token = storedAdminToken();
  if (!token) return;
  event.preventDefault();
  const response = await fetch(csv.href, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) return showMessage(byId("dialogues-message"), "bad", kit.say("kit.requestFailed", { status: response.status }));
  const link = element("a", { href: URL.createObjectURL(await response.blob()), download: "dialogues.csv" });
  link.click();
  URL.revokeObjectURL(link.href);
});

const reactionTone: Record<string, "ok" | "bad" | "warn" | "neutral"> = { accepted: "ok", declined: "bad", considering: "warn" };

async function load(): Promise<void> {
  const [page, points, categories] = await Promise.all([
    dashboardApi<{ timezone: string; dialogues: ListedDialogue[]; next_cursor: string | null }>(kit, `/api/v1/dialogues?${query}${query.has("limit") ? "" : "&limit=50"}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
    dashboardApi<{ points: Array<{ point_id: string }> }>(kit, `/api/v1/analytics/points?from=${from}&to=${to}`),
    dashboardApi<{ categories: Array<{ category: string; label: { en: string; ru: string } | null }> }>(kit, `/api/v1/analytics/categories?from=${from}&to=${to}`),
  ]);
  // Times in the dashboard's time zone, as its days and hours are.
  const localTime = new Intl.DateTimeFormat(kit.language, { dateStyle: "medium", timeStyle: "short", timeZone: page.timezone });
  const labels = new Map(categories.categories.map((category) => [category.category, category.label ? category.label[kit.language] : category.category]));
  const pointSelect = byId<HTMLSelectElement>("point");
  for (const point of points.points) if (point.point_id !== params.get("point_id")) pointSelect.append(element("option", { value: point.point_id, text: point.point_id }));
  const categorySelect = byId<HTMLSelectElement>("category");
  for (const [id, label] of labels) if (id !== params.get("category")) categorySelect.append(element("option", { value: id, text: label }));
  const rows = byId("dialogue-rows");
  rows.replaceChildren(
    ...page.dialogues.map((row) =>
      tableRow({ "data-dialogue-id": row.dialogue_id }, [
        { label: kit.say("dialogues.time"), content: element("a", { href: `/dialogues/${row.dialogue_id}`, text: localTime.format(new Date(row.start_ts)) }) },
        { label: kit.say("overview.point"), content: row.point_id.slice(0, 8) },
        { label: kit.say("dialogues.upsell"), content: badge(kit.say(row.upsell_attempted ? "dialogues.yes" : "dialogues.no"), row.upsell_attempted ? "info" : "neutral") },
        { label: kit.say("dialogues.quality"), content: kit.number(row.quality_score), numeric: true },
        { label: kit.say("column.category"), content: row.categories.map((category) => labels.get(category) ?? category).join(", ") || kit.say("kit.none") },
        { label: kit.say("dialogues.reaction"), content: badge(kit.say(`reaction.${row.customer_reaction}`), reactionTone[row.customer_reaction] ?? "neutral", row.customer_reaction) },
        { label: kit.say("dialogues.summary"), content: row.summary },
      ]),
    ),
  );
  if (page.dialogues.length === 0) byId("dialogues-message").replaceChildren(emptyState(kit.say("dialogues.none"), kit.say("dialogues.noneText")));
  if (page.next_cursor) {
    const next = byId<HTMLAnchorElement>("next-page");
    next.href = `/dialogues?${query}&cursor=${encodeURIComponent(page.next_cursor)}`;
    next.hidden = false;
  }
  if (cursor) {
    const first = byId<HTMLAnchorElement>("first-page");
    first.href = `/dialogues?${query}`;
    first.hidden = false;
  }
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("dialogues-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
