import { byId, element, type PageKit } from "../../../shared/pages/browser/page-kit.ts";
import { dashboardApi } from "./admin-token.ts";
import { localDate, shiftedDate, validDate } from "./local-dates.ts";

/** The period (and point) the address asks for, the last `days` days by default, shown in the period form. */
export function periodOfAddress(days: number): { from: string; to: string; pointId: string; query: URLSearchParams } {
  const params = new URLSearchParams(location.search);
  const to = validDate(params.get("to")) ?? localDate(new Date());
  const from = validDate(params.get("from")) ?? shiftedDate(to, -(days - 1));
  const pointId = params.get("point_id") ?? "";
  byId<HTMLInputElement>("from").value = from;
  byId<HTMLInputElement>("to").value = to;
  const query = new URLSearchParams({ from, to });
  if (pointId) query.set("point_id", pointId);
  return { from, to, pointId, query };
}

/** Offers the points the caller may see in the period form's point field, the asked-for one chosen. */
export async function fillPointChoice(kit: PageKit<unknown>, period: { from: string; to: string; pointId: string }): Promise<void> {
  const points = await dashboardApi<{ points: Array<{ point_id: string }> }>(kit, `/api/v1/analytics/points?from=${period.from}&to=${period.to}`);
  const select = byId<HTMLSelectElement>("point");
  const ids = points.points.map((point) => point.point_id);
  if (period.pointId && !ids.includes(period.pointId)) ids.push(period.pointId);
  for (const id of ids) select.append(element("option", { value: id, text: id }));
  select.value = period.pointId;
}
