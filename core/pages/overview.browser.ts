import { byId, element, emptyState, showMessage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage } from "./browser/admin-token.ts";
import { localDate, shiftedDate as shifted, validDate as valid } from "./browser/local-dates.ts";

interface Totals {
  dialogues: number;
  upsell_attempts: number;
  upsell_rate: number | null;
  accepted: number;
  average_quality: number | null;
}
interface Overview extends Totals {
  from: string;
  to: string;
  timezone: string;
  previous: Totals & { from: string; to: string };
}

const kit = startDashboardPage();
const percent = new Intl.NumberFormat(kit.language, { style: "percent", maximumFractionDigits: 1 });
const quality = new Intl.NumberFormat(kit.language, { maximumFractionDigits: 2 });
const dayLabel = new Intl.DateTimeFormat(kit.language, { day: "numeric", month: "short", timeZone: "UTC" });
const svgNs = "http://www.w3.org/2000/svg";

/** The period the address asks for: a day, the week or 30 days ending on `to`, or `from`–`to`. */
function askedPeriod(): { from: string; to: string; period: string; pointId: string } {
  const params = new URLSearchParams(location.search);
  const period = params.get("period") ?? (params.get("from") ? "custom" : "day");
  const to = valid(params.get("to")) ?? localDate(new Date());
  const from = period === "week" ? shifted(to, -6) : period === "month" ? shifted(to, -29) : period === "custom" ? (valid(params.get("from")) ?? to) : to;
  return { from, to, period, pointId: params.get("point_id") ?? "" };
}

const asked = askedPeriod();
byId<HTMLSelectElement>("period").value = asked.period;
byId<HTMLInputElement>("from").value = asked.from;
byId<HTMLInputElement>("to").value = asked.to;
const query = `from=${asked.from}&to=${asked.to}${asked.pointId ? `&point_id=${encodeURIComponent(asked.pointId)}` : ""}`;

function show(key: string, current: string, previous: string): void {
  byId(`figure-${key}`).textContent = current;
  byId(`previous-${key}`).textContent = kit.say("figure.previous", { value: previous });
}

function svg(tag: string, attributes: Record<string, string | number>, title?: string): SVGElement {
  const node = document.createElementNS(svgNs, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (title) {
    const label = document.createElementNS(svgNs, "title");
    label.textContent = title;
    node.append(label);
  }
  return node;
}

/** Plain SVG bars that scale to the card's width; each bar carries its figure as a title. */
function barChart(target: HTMLElement, name: string, bars: Array<{ values: number[]; label: string; title: string }>): void {
  // Drawn at the card's own width, so the labels keep their size on a phone.
  const width = Math.max(280, target.clientWidth || 1000);
  const height = width < 600 ? 120 : 170;
  const every = Math.ceil(bars.length / Math.max(1, Math.floor(width / 48)));
  const max = Math.max(1, ...bars.flatMap((bar) => bar.values));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 20}`, width: "100%", role: "img", "aria-label": name });
  // A bar is at most 64 px wide, so a period of one or two days does not fill the card with one block.
  const slot = Math.min(64, width / Math.max(1, bars.length));
  bars.forEach((bar, index) => {
    bar.values.forEach((value, layer) => {
      const barHeight = (value / max) * height;
      const inset = slot * (0.15 + layer * 0.15);
      chart.append(svg("rect", { x: index * slot + inset, y: height - barHeight, width: Math.max(1, slot - 2 * inset), height: barHeight, fill: layer === 0 ? "#9dbcf0" : "#1f4fa3" }, bar.title));
    });
    if (index % every === 0) {
      const label = svg("text", { x: index === 0 ? index * slot + 2 : index * slot + slot / 2, y: height + 15, "text-anchor": index === 0 ? "start" : "middle", "font-size": 12, fill: "#4a5868" });
      label.textContent = bar.label;
      chart.append(label);
    }
  });
  target.replaceChildren(chart);
}

async function load(): Promise<void> {
  const [overview, hourly, daily, categories, histogram, points] = await Promise.all([
    dashboardApi<Overview>(kit, `/api/v1/analytics/overview?${query}`),
    dashboardApi<{ hours: Array<{ hour: number; dialogues: number; upsell_attempts: number }> }>(kit, `/api/v1/analytics/hourly?${query}`),
    dashboardApi<{ days: Array<{ date: string; dialogues: number }> }>(kit, `/api/v1/analytics/daily?${query}`),
    dashboardApi<{ categories: Array<{ category: string; label: { en: string; ru: string } | null; offers: number; accepted: number }> }>(kit, `/api/v1/analytics/categories?${query}`),
    dashboardApi<{ buckets: Array<{ score: number; dialogues: number }> }>(kit, `/api/v1/analytics/quality?${query}`),
    dashboardApi<{ points: Array<{ point_id: string }> }>(kit, `/api/v1/analytics/points?from=${asked.from}&to=${asked.to}`),
  ]);
  byId("range").textContent = kit.say("overview.range", { from: overview.from, to: overview.to, timezone: overview.timezone });
  const pointSelect = byId<HTMLSelectElement>("point");
  for (const point of points.points) pointSelect.append(element("option", { value: point.point_id, text: point.point_id }));
  if (asked.pointId && !points.points.some((point) => point.point_id === asked.pointId)) pointSelect.append(element("option", { value: asked.pointId, text: asked.pointId }));
  pointSelect.value = asked.pointId;
  const rate = (value: number | null) => (value === null ? kit.say("kit.none") : percent.format(value));
  const score = (value: number | null) => (value === null ? kit.say("kit.none") : quality.format(value));
  const before = overview.previous;
  show("dialogues", kit.number(overview.dialogues), kit.number(before.dialogues));
  show("upsellAttempts", kit.number(overview.upsell_attempts), kit.number(before.upsell_attempts));
  show("upsellRate", rate(overview.upsell_rate), rate(before.upsell_rate));
  show("averageQuality", score(overview.average_quality), score(before.average_quality));
  show("accepted", kit.number(overview.accepted), kit.number(before.accepted));
  barChart(
    byId("hourly-chart"),
    kit.say("chart.hourly"),
    hourly.hours.map((hour) => ({ values: [hour.dialogues, hour.upsell_attempts], label: String(hour.hour), title: kit.say("chart.hourBar", { hour: hour.hour, dialogues: hour.dialogues, attempts: hour.upsell_attempts }) })),
  );
  barChart(
    byId("daily-chart"),
    kit.say("chart.daily"),
    daily.days.map((day) => {
      const label = dayLabel.format(new Date(`${day.date}T00:00:00Z`));
      return { values: [day.dialogues], label, title: kit.say("chart.dayBar", { day: label, dialogues: day.dialogues }) };
    }),
  );
  barChart(
    byId("quality-chart"),
    kit.say("chart.quality"),
    histogram.buckets.map((bucket) => ({ values: [bucket.dialogues], label: String(bucket.score), title: kit.say("chart.qualityBar", { score: bucket.score, dialogues: bucket.dialogues }) })),
  );
  const rows = byId("category-rows");
  rows.replaceChildren(
    ...categories.categories.slice(0, 10).map((category) =>
      tableRow({ "data-category": category.category }, [
        { label: kit.say("column.category"), content: category.label ? category.label[kit.language] : category.category },
        { label: kit.say("column.offers"), content: kit.number(category.offers), numeric: true },
        { label: kit.say("column.accepted"), content: kit.number(category.accepted), numeric: true },
      ]),
    ),
  );
  if (overview.dialogues === 0) byId("overview-message").replaceChildren(emptyState(kit.say("empty.title"), kit.say("empty.text")));
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("overview-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
