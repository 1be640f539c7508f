import { Device } from "@twilio/voice-sdk";
import type { DialerCallView, DialerCampaignView } from "../../shared/contracts/dialer-events.ts";
import { api, type ApiError, badge, byId, clearMessage, confirmAction, emptyState, showMessage, startPage, tableRow, type Tone } from "../../shared/pages/browser/page-kit.ts";

interface ConsoleData {
  campaignId: string;
  agent: string;
}

const kit = startPage<ConsoleData>();
const { campaignId, agent } = kit.data;
const message = byId("console-message");
const percent = new Intl.NumberFormat(kit.language, { style: "percent", maximumFractionDigits: 1 });
const stateTone: Record<string, Tone> = { bridged: "ok", human: "warn", unknown: "warn", machine: "neutral", ended: "neutral" };

let campaign: DialerCampaignView | null = null;
/** The customer this agent is with, or was with last (for the disposition). */
let myCall: DialerCallView | null = null;
let device: Device | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;

const campaignPath = `/api/campaign/${encodeURIComponent(campaignId)}`;
const post = <Result>(path: string, body?: unknown) =>
  api<Result>(kit, path, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

function render(): void {
  if (!campaign) return;
  byId("campaign-name").textContent = campaign.name;
  byId("figure-pending").textContent = kit.number(campaign.leads.pending);
  byId("figure-connected").textContent = kit.number(campaign.calls.by_state.bridged ?? 0);
  byId("figure-abandon").textContent = percent.format(campaign.abandon.rate);
  byId("figure-lines").textContent = kit.number(campaign.lines_per_agent);
  const me = campaign.agents.find((entry) => entry.identity === agent);
  byId("agent-state").textContent = kit.say(me ? `console.agent.${me.state}` : "console.agent.absent");
  byId<HTMLButtonElement>("dial-next").disabled = campaign.state === "ended";
  byId<HTMLButtonElement>("end-campaign").disabled = campaign.state === "ended";

  const body = byId("queue-rows");
  const rows = campaign.live_calls.map((call) =>
    tableRow({ "data-call": call.call_id }, [
      { label: kit.say("console.call.phone"), content: call.phone_number },
      { label: kit.say("console.call.state"), content: badge(kit.say(`state.${call.state}`), stateTone[call.state] ?? "info", call.state) },
      { label: kit.say("console.call.waiting"), content: call.waiting_since === null ? "" : kit.duration(Date.now() - call.waiting_since), numeric: true },
    ]),
  );
  body.replaceChildren(...rows);
  const table = byId("queue-rows-table").parentElement!;
  table.hidden = rows.length === 0;
  byId("queue").querySelector(".empty")?.remove();
  if (rows.length === 0) table.after(emptyState(kit.say("console.queue.empty"), kit.say("console.queue.emptyText")));

  byId("current-phone").textContent = myCall?.phone_number ?? "–";
  byId("current-state").replaceChildren(myCall ? badge(kit.say(`state.${myCall.state}`), stateTone[myCall.state] ?? "info", myCall.state) : kit.say("console.call.none"));
  const canDisposition = myCall !== null && (myCall.state === "bridged" || (myCall.state === "ended" && myCall.reason === "completed"));
  byId<HTMLSelectElement>("disposition").disabled = !canDisposition;
  byId<HTMLButtonElement>("save-disposition").disabled = !canDisposition;
  document.body.dataset.loaded = "true";
}

/** Figures follow from the campaign's view, fetched again shortly after events settle. */
function refreshSoon(): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    try {
      campaign = await api<DialerCampaignView>(kit, campaignPath);
      render();
    } catch (error) {
      showMessage(message, "bad", (error as ApiError).message);
    }
  }, 150);
}

function applyCall(call: DialerCallView): void {
  if (!campaign) return;
  const others = campaign.live_calls.filter((entry) => entry.call_id !== call.call_id);
  campaign.live_calls = call.state === "ended" ? others : [...others, call];
  if (call.agent === agent) myCall = call;
  else if (myCall?.call_id === call.call_id) myCall = call;
}

function handle(event: Record<string, any>): void {
  switch (event.type) {
    case "dialer_snapshot":
      campaign = event.campaign as DialerCampaignView;
      myCall = campaign.live_calls.find((call) => call.agent === agent) ?? myCall;
      break;
    case "call_queued":
    case "call_connected":
    case "call_ended":
      applyCall(event.call as DialerCallView);
      refreshSoon();
      break;
    case "detection_result":
    case "agent_joined":
    case "agent_left":
    case "lines_lowered":
    case "disposition_saved":
    case "campaign_ended":
      refreshSoon();
      break;
    default:
      return;
  }
  render();
}

function connectLive(): void {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${encodeURIComponent(campaignId)}`);
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    clearMessage(message);
  });
  socket.addEventListener("message", (event) => handle(JSON.parse(String(event.data))));
  socket.addEventListener("close", () => {
    if (!opened) return showMessage(message, "bad", kit.say("console.live.refused"));
    showMessage(message, "warn", kit.say("console.live.lost"));
    setTimeout(connectLive, 1000);
  });
}

function phoneState(key: string, tone: Tone): void {
  const state = byId("phone-state");
  state.className = `badge ${tone}`;
  state.textContent = kit.say(key);
}

byId("join").addEventListener("click", async () => {
  phoneState("console.phone.connecting", "info");
  try {
    const { token } = await post<{ token: string }>("/api/token", {});
    device?.destroy();
    device = new Device(token, { logLevel: "error", closeProtection: true });
    device.on("error", (error: { message?: string }) => {
      phoneState("console.phone.off", "bad");
      showMessage(message, "bad", kit.say("console.phone.failed", { reason: error.message ?? "unknown error" }));
    });
    const call = await device.connect({ params: { campaignId } });
    call.on("accept", () => phoneState("console.phone.on", "ok"));
    call.on("disconnect", () => phoneState("console.phone.off", "neutral"));
    byId("leave").hidden = false;
  } catch (error) {
    phoneState("console.phone.off", "bad");
    showMessage(message, "bad", kit.say("console.phone.failed", { reason: (error as Error).message }));
  }
});

byId("leave").addEventListener("click", () => {
  device?.disconnectAll();
  phoneState("console.phone.off", "neutral");
  byId("leave").hidden = true;
});

byId("dial-next").addEventListener("click", async () => {
  try {
    const { placed } = await post<{ placed: number }>(`${campaignPath}/dial-next`);
    showMessage(message, placed > 0 ? "info" : "warn", placed > 0 ? kit.say("console.dialed", { count: placed }) : kit.say("console.nothingToDial"));
  } catch (error) {
    showMessage(message, "bad", (error as ApiError).message);
  }
});

byId("end-campaign").addEventListener("click", async () => {
  if (!(await confirmAction(kit, { title: kit.say("console.end.title"), body: [kit.say("console.end.body")], confirm: kit.say("console.end"), danger: true }))) return;
  try {
    await post(`${campaignPath}/end`);
    showMessage(message, "info", kit.say("console.ended"));
  } catch (error) {
    showMessage(message, "bad", (error as ApiError).message);
  }
});

byId("disposition-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!myCall) return;
  const disposition = byId<HTMLSelectElement>("disposition").value;
  try {
    await post(`${campaignPath}/disposition`, { call_id: myCall.call_id, disposition });
    showMessage(message, "ok", kit.say("console.disposition.saved", { disposition: kit.say(`console.disposition.${disposition}`), phone: myCall.phone_number }));
  } catch (error) {
    showMessage(message, "bad", (error as ApiError).message);
  }
});

connectLive();
