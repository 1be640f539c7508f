import { badge, byId, element, emptyState, showMessage, type Tone, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage } from "./browser/admin-token.ts";

interface Recorders {
  timezone: string;
  date: string;
  now: string;
  stale_after_seconds: number;
  recorders: Array<{
    device_id: string;
    point_id: string;
    register_id: string;
    enabled: boolean;
    last_upload_at: string | null;
    last_chunk: { start_ts: string; end_ts: string } | null;
    schedule_known: boolean;
    in_schedule_now: boolean;
    today: { scheduled_ms: number; recorded_ms: number; coverage: number | null };
    stale: boolean;
  }>;
}

const kit = startDashboardPage();
const pointId = new URLSearchParams(location.search).get("point_id");
const percent = new Intl.NumberFormat(kit.language, { style: "percent", maximumFractionDigits: 0 });
const stateTone: Record<string, Tone> = { stale: "bad", recording: "ok", off_schedule: "neutral", unknown: "neutral", disabled: "neutral" };

function stateOf(recorder: Recorders["recorders"][number]): string {
  if (!recorder.enabled) return "disabled";
  if (recorder.stale) return "stale";
  if (!recorder.schedule_known) return "unknown";
  return recorder.in_schedule_now ? "recording" : "off_schedule";
}

async function load(): Promise<void> {
  const found = await dashboardApi<Recorders>(kit, `/api/v1/analytics/recorders${pointId ? `?point_id=${encodeURIComponent(pointId)}` : ""}`);
  const localTime = new Intl.DateTimeFormat(kit.language, { dateStyle: "medium", timeStyle: "short", timeZone: found.timezone });
  const at = (iso: string | null) => (iso === null ? kit.say("recorders.never") : localTime.format(new Date(iso)));
  byId("recorders-lead").textContent = kit.say("recorders.lead", { date: found.date, timezone: found.timezone });
  byId("schedule-hint").textContent = kit.say("recorders.scheduleHint", { minutes: found.stale_after_seconds / 60 });
  const stale = found.recorders.filter((recorder) => recorder.stale).length;
  const minutes = found.stale_after_seconds / 60;
  byId("recorders-summary").textContent = kit.say("recorders.summary", { recorders: found.recorders.length, stale });
  if (stale > 0) showMessage(byId("recorders-message"), "bad", kit.say("recorders.staleTitle", { stale, minutes }), kit.say("recorders.staleText"));
  // The stale ones first: they are what the page is opened for.
  const ordered = [...found.recorders.filter((recorder) => recorder.stale), ...found.recorders.filter((recorder) => !recorder.stale)];
  byId("recorder-rows").replaceChildren(
    ...ordered.map((recorder) => {
      const state = stateOf(recorder);
      const { today } = recorder;
      const coverage =
        today.coverage === null
          ? kit.say("kit.none")
          : kit.say("recorders.coverageDetail", { percent: percent.format(today.coverage), recorded: kit.duration(today.recorded_ms), scheduled: kit.duration(today.scheduled_ms) });
      return tableRow({ "data-device-id": recorder.device_id, "data-state": state }, [
        { label: kit.say("recorders.device"), content: element("span", { title: recorder.device_id, text: recorder.device_id.slice(0, 8) }) },
        { label: kit.say("overview.point"), content: element("span", { title: recorder.point_id, text: recorder.point_id.slice(0, 8) }) },
        { label: kit.say("recorders.register"), content: element("span", { title: recorder.register_id, text: recorder.register_id.slice(0, 8) }) },
        { label: kit.say("recorders.state"), content: badge(kit.say(`recorders.state.${state}`), stateTone[state] ?? "neutral", state) },
        { label: kit.say("recorders.lastChunk"), content: at(recorder.last_chunk?.start_ts ?? null) },
        { label: kit.say("recorders.lastUpload"), content: at(recorder.last_upload_at) },
        { label: kit.say("recorders.coverage"), content: coverage },
      ]);
    }),
  );
  if (found.recorders.length === 0) byId("recorders-message").replaceChildren(emptyState(kit.say("recorders.none"), kit.say("recorders.noneText")));
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("recorders-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
