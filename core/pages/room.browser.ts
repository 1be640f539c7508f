import type { AudioChunkReadyEvent, ClockReplyEvent, PlaybackQueueUpdatedEvent, RoomRequestView } from "../../shared/contracts/listening-room.ts";
import { api, badge, byId, clearMessage, confirmAction, element, emptyState, showMessage, type Tone, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { startDashboardPage, storedAdminToken } from "./browser/admin-token.ts";

/**
 * The listening room in the browser. The server owns the timeline (each chunk's `start_at` on its
 * clock); this page measures its offset from the server's clock with NTP-style probes (the sample
 * with the lowest round trip wins) and schedules every chunk on the Web Audio clock at that moment,
 * so every page plays the same sentence at the same time. A page that joins late starts the chunk
 * in progress at the right offset and skips what has ended.
 */
interface ScheduledChunk {
  chunk_id: string;
  request_id: string;
  sequence: number;
  /** This machine's clock (Unix ms) when the chunk's first heard sample leaves the speakers. */
  play_wall: number;
  /** Where in the chunk playback starts (0 unless the page joined while it played). */
  offset_ms: number;
  full: boolean;
}

const kit = startDashboardPage();
const campaignId = decodeURIComponent(location.pathname.split("/").pop() ?? "");
const listenToken = new URLSearchParams(location.search).get("listen");
const withListen = (path: string) => (listenToken ? `${path}${path.includes("?") ? "&" : "?"}listen=${encodeURIComponent(listenToken)}` : path);
const tokenHeaders = (): Record<string, string> => {
  const token = listenToken ? null : storedAdminToken();
  return token ? { authorization: `Bearer ${token}` } : {};
};
const status = byId("room-status");
const message = byId("room-message");
const schedule: ScheduledChunk[] = [];
(window as unknown as { roomSchedule: ScheduledChunk[] }).roomSchedule = schedule;

const wallNow = () => performance.timeOrigin + performance.now();

// ——— the clock offset: server time ≈ this machine's time + offset ———
let samples: Array<{ offset: number; roundTrip: number }> = [];
let best: { offset: number; roundTrip: number } | null = null;
let clockReady: () => void = () => {};
const clockMeasured = new Promise<void>((resolve) => (clockReady = resolve));

function takeClockReply(reply: ClockReplyEvent): void {
  const received = wallNow();
  const roundTrip = received - reply.client_sent - (reply.server_sent - reply.server_received);
  const offset = (reply.server_received - reply.client_sent + (reply.server_sent - received)) / 2;
  samples = [...samples.slice(-31), { offset, roundTrip }];
  best = samples.reduce((winner, sample) => (sample.roundTrip < winner.roundTrip ? sample : winner));
  (window as unknown as { roomClock: unknown }).roomClock = { ...best, samples: samples.length };
  if (samples.length >= 10) clockReady();
  showListening();
}

const serverToWall = (serverTime: number) => serverTime - (best?.offset ?? 0);

// ——— Web Audio ———
const context = new AudioContext({ latencyHint: "interactive" });
const startButton = byId<HTMLButtonElement>("start-listening");
const syncStartButton = () => (byId("start-row").hidden = context.state === "running");
context.addEventListener("statechange", syncStartButton);
startButton.addEventListener("click", () => void context.resume().then(syncStartButton));
syncStartButton();

/**
 * The audio clock against this machine's clock: each render reports when its samples leave the
 * speakers (getOutputTimestamp); the median of the recent reports smooths the audio thread's jitter.
 */
const outputDeltas: number[] = [];
setInterval(() => {
  const stamp = context.getOutputTimestamp();
  if (!stamp.performanceTime || stamp.contextTime === undefined) return;
  outputDeltas.push(performance.timeOrigin + stamp.performanceTime - stamp.contextTime * 1000);
  if (outputDeltas.length > 40) outputDeltas.shift();
}, 50);

/** Wall time (ms) minus audio-clock time (ms) for a sample as it is heard. */
function outputDelta(): number {
  if (outputDeltas.length === 0) return wallNow() - context.currentTime * 1000 + (context.outputLatency || context.baseLatency || 0) * 1000;
  const sorted = [...outputDeltas].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The audio clock's time at which a sample comes out of the speakers at this machine's `wall` time. */
const contextTimeAt = (wall: number) => (wall - outputDelta()) / 1000;
const wallAt = (contextTime: number) => contextTime * 1000 + outputDelta();

/** Time the audio clock needs between being asked to play and playing. */
const scheduleMarginSeconds = 0.05;
const known = new Set<string>();
let socket: WebSocket | null = null;

function send(event: Record<string, unknown>): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
}

async function playChunk(chunk: AudioChunkReadyEvent): Promise<void> {
  if (known.has(chunk.chunk_id)) return;
  known.add(chunk.chunk_id);
  const response = await fetch(withListen(chunk.audio_url), { headers: tokenHeaders() });
  if (!response.ok) return;
  const buffer = await context.decodeAudioData(await response.arrayBuffer());
  await clockMeasured;
  const startWall = serverToWall(chunk.start_at);
  if (startWall + buffer.duration * 1000 <= wallNow() + scheduleMarginSeconds * 1000) return; // ended before we could play it
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  const when = contextTimeAt(startWall);
  const earliest = context.currentTime + scheduleMarginSeconds;
  let startAt = when;
  let offset = 0;
  if (when < earliest) {
    // Joined while this chunk plays: start now, as far into it as the room is.
    startAt = earliest;
    offset = earliest - when;
  }
  source.start(startAt, offset);
  source.addEventListener("ended", () => send({ type: "audio_played", chunk_id: chunk.chunk_id }));
  schedule.push({ chunk_id: chunk.chunk_id, request_id: chunk.request_id, sequence: chunk.sequence, play_wall: wallAt(startAt), offset_ms: offset * 1000, full: offset === 0 });
  setTimeout(() => (byId("now-text").textContent = chunk.text), Math.max(0, startWall + offset * 1000 - wallNow()));
}

// ——— the queue ———
const tones: Record<RoomRequestView["status"], Tone> = { PENDING: "neutral", GENERATING: "info", COMPLETED: "ok", FAILED: "bad" };
const requests = new Map<string, RoomRequestView>();

function describe(request: RoomRequestView): string {
  const source = request.source;
  return source.kind === "prompt" ? source.prompt : source.text;
}

function renderQueue(): void {
  const rows = [...requests.values()].sort((a, b) => b.created_at - a.created_at).slice(0, 30);
  byId("queue-empty").replaceChildren(...(rows.length === 0 ? [emptyState(kit.say("room.queueEmpty"), kit.say(listenToken ? "room.queueEmptyListener" : "room.queueEmptyText"))] : []));
  byId("queue-rows-table").hidden = rows.length === 0;
  byId("queue-rows").replaceChildren(
    ...rows.map((request) =>
      tableRow({ "data-request-id": request.request_id, "data-status": request.status }, [
        { label: kit.say("room.column.message"), content: describe(request) },
        { label: kit.say("room.column.status"), content: [badge(kit.say(`room.status.${request.status}`), tones[request.status], request.status), request.failure ? element("span", { class: "hint", text: ` ${request.failure.message}` }) : null] },
      ]),
    ),
  );
}

function takeQueue(event: Pick<PlaybackQueueUpdatedEvent, "current" | "pending"> & { finished?: RoomRequestView[] }): void {
  for (const request of [...(event.finished ?? []), ...(event.current ? [event.current] : []), ...event.pending]) requests.set(request.request_id, request);
  renderQueue();
}

function showListening(): void {
  if (!best) return;
  status.textContent = kit.say("room.listening", { offset: Math.round(best.offset) || 0, error: Math.max(1, Math.round(best.roundTrip / 2)) });
}

// ——— the socket ———
let probeTimer: ReturnType<typeof setInterval> | null = null;

function probeClock(count: number, everyMs: number): void {
  let sent = 0;
  const probe = () => {
    send({ type: "clock_probe", client_sent: wallNow() });
    if (++sent >= count && probeTimer) clearInterval(probeTimer);
  };
  if (probeTimer) clearInterval(probeTimer);
  probe();
  probeTimer = setInterval(probe, everyMs);
}

function connect(): void {
  const url = new URL(withListen(`/ws/${encodeURIComponent(campaignId)}`), location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(url);
  socket.addEventListener("open", () => {
    clearMessage(message);
    probeClock(12, 80);
    // Clocks drift: a few probes every half minute keep the offset true.
    setTimeout(() => setInterval(() => probeClock(3, 100), 30_000), 2_000);
  });
  socket.addEventListener("message", (raw) => {
    const event = JSON.parse(String(raw.data)) as { type: string };
    if (event.type === "clock_reply") takeClockReply(event as ClockReplyEvent);
    else if (event.type === "audio_chunk_ready") void playChunk(event as AudioChunkReadyEvent).catch((error: Error) => showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
    else if (event.type === "playback_queue_updated") {
      const update = event as PlaybackQueueUpdatedEvent;
      if (update.reason === "request_completed" || update.reason === "request_finished") void loadQueue();
      else takeQueue(update);
      if (update.reason === "snapshot") document.body.dataset.loaded = "true";
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4403) {
      status.textContent = "";
      showMessage(message, "bad", kit.say("room.revoked"));
      return;
    }
    status.textContent = kit.say("room.reconnecting");
    setTimeout(connect, 1000);
  });
}

async function loadQueue(): Promise<void> {
  takeQueue(await api<{ current: RoomRequestView | null; pending: RoomRequestView[]; finished: RoomRequestView[] }>(kit, withListen(`/api/campaigns/${encodeURIComponent(campaignId)}/audio/queue`), { headers: tokenHeaders() }));
}

const form = byId<HTMLFormElement>("message-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = byId<HTMLTextAreaElement>("message-text");
  if (!text.value.trim()) return text.focus();
  const button = byId<HTMLButtonElement>("send-button");
  button.disabled = true;
  try {
    const request = await api<RoomRequestView>(kit, `/api/campaigns/${encodeURIComponent(campaignId)}/audio/requests`, {
      method: "POST",
      headers: { "content-type": "application/json", ...tokenHeaders() },
      body: JSON.stringify({ text: text.value }),
    });
    requests.set(request.request_id, request);
    renderQueue();
    text.value = "";
    showMessage(message, "ok", kit.say("room.queued"));
  } catch (error) {
    showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), (error as Error).message);
  } finally {
    button.disabled = false;
  }
});

// ——— listen-only links (operators and the admin token) ———
interface ListenLink {
  id: string;
  label: string;
  created_at: number;
  revoked_at: number | null;
}
const linksPath = `/api/campaigns/${encodeURIComponent(campaignId)}/audio/listen-links`;

function renderLinks(links: ListenLink[]): void {
  byId("link-rows-table").hidden = links.length === 0;
  byId("links-none").hidden = links.length > 0;
  byId("link-rows").replaceChildren(
    ...links.map((link) => {
      const revoke = element("button", { type: "button", class: "plain", "data-revoke": link.id, text: kit.say("room.linkRevoke") });
      revoke.addEventListener("click", async () => {
        const sure = await confirmAction(kit, { title: kit.say("room.linkRevokeTitle", { label: link.label }), body: [kit.say("room.linkRevokeText")], confirm: kit.say("room.linkRevoke"), danger: true });
        if (!sure) return;
        await api(kit, `${linksPath}/${link.id}`, { method: "DELETE", headers: tokenHeaders() }).catch((error: Error) => showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
        await loadLinks();
      });
      return tableRow({ "data-link-id": link.id }, [
        { label: kit.say("room.linkLabel"), content: link.label },
        { label: kit.say("room.column.status"), content: link.revoked_at === null ? badge(kit.say("room.linkActive"), "ok", "active") : badge(kit.say("room.linkRevoked"), "neutral", "revoked") },
        { label: kit.say("room.linkAction"), content: link.revoked_at === null ? revoke : "" },
      ]);
    }),
  );
}

async function loadLinks(): Promise<void> {
  renderLinks((await api<{ links: ListenLink[] }>(kit, linksPath, { headers: tokenHeaders() })).links);
}

byId<HTMLFormElement>("link-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const label = byId<HTMLInputElement>("link-label");
  if (!label.value.trim()) return label.focus();
  try {
    const link = await api<ListenLink & { url: string }>(kit, linksPath, { method: "POST", headers: { "content-type": "application/json", ...tokenHeaders() }, body: JSON.stringify({ label: label.value }) });
    const shown = byId<HTMLInputElement>("new-link-url");
    shown.value = new URL(link.url, location.href).href;
    byId("new-link").hidden = false;
    label.value = "";
    shown.focus();
    shown.select();
    await loadLinks();
  } catch (error) {
    showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), (error as Error).message);
  }
});

async function start(): Promise<void> {
  await loadQueue();
  if (!listenToken) {
    byId("send").hidden = false;
    byId("links").hidden = false;
    await loadLinks();
  }
  if (!listenToken && storedAdminToken()) {
    status.textContent = "";
    showMessage(message, "warn", kit.say("room.tokenNoSocket"));
    document.body.dataset.loaded = "true";
    return;
  }
  connect();
}

start().catch((error: Error) => showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
