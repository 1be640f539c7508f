import { byId, element, emptyState, showMessage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage } from "./browser/admin-token.ts";
import { periodOfAddress } from "./browser/period-query.ts";

interface Totals {
  dialogues: number;
  upsell_rate: number | null;
  average_quality: number | null;
  accepted: number;
}
interface Points {
  timezone: string;
  from: string;
  to: string;
  points: Array<Totals & { point_id: string; registers: Array<Totals & { register_id: string }> }>;
}

const kit = startDashboardPage();
const period = periodOfAddress(30);
const percent = new Intl.NumberFormat(kit.language, { style: "percent", maximumFractionDigits: 1 });
const quality = new Intl.NumberFormat(kit.language, { maximumFractionDigits: 2 });

function figures(totals: Totals) {
  return [
    { label: kit.say("figure.dialogues"), content: kit.number(totals.dialogues), numeric: true },
    { label: kit.say("figure.upsellRate"), content: totals.upsell_rate === null ? kit.say("kit.none") : percent.format(totals.upsell_rate), numeric: true },
    { label: kit.say("figure.averageQuality"), content: totals.average_quality === null ? kit.say("kit.none") : quality.format(totals.average_quality), numeric: true },
    { label: kit.say("figure.accepted"), content: kit.number(totals.accepted), numeric: true },
  ];
}

async function load(): Promise<void> {
  const found = await dashboardApi<Points>(kit, `/api/v1/analytics/points?${period.query}`);
  byId("range").textContent = kit.say("overview.range", { from: found.from, to: found.to, timezone: found.timezone });
  const rows = byId("point-rows");
  const listLink = (place: string, filter: Record<string, string>) =>
    element("a", { href: `/dialogues?${new URLSearchParams({ from: found.from, to: found.to, ...filter })}`, "aria-label": kit.say("points.listLabel", { place }), text: kit.say("points.open") });
  rows.replaceChildren(
    ...found.points.flatMap((point) => {
      const pointName = kit.say("points.point", { id: point.point_id.slice(0, 8) });
      return [
        tableRow({ class: "group", "data-point-id": point.point_id }, [
          { label: kit.say("points.place"), content: element("b", { title: point.point_id, text: pointName }) },
          ...figures(point),
          { label: kit.say("points.list"), content: listLink(pointName, { point_id: point.point_id }) },
        ]),
        ...point.registers.map((register) => {
          const registerName = kit.say("points.register", { id: register.register_id.slice(0, 8) });
          return tableRow({ class: "member", "data-register-id": register.register_id }, [
            { label: kit.say("points.place"), content: element("span", { title: register.register_id, text: registerName }) },
            ...figures(register),
            { label: kit.say("points.list"), content: listLink(`${pointName}, ${registerName}`, { point_id: point.point_id, register_id: register.register_id }) },
          ]);
        }),
      ];
    }),
  );
  if (found.points.length === 0) byId("points-message").replaceChildren(emptyState(kit.say("points.none"), kit.say("empty.text")));
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("points-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
