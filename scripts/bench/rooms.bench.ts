/**
 * The listening rooms on this machine, each figure beside a baseline measured in the same run:
 *   - fan-out: one event published to a room of N socket listeners through the core's campaign
 *     socket, latency from publish to each listener's receipt (p50/p99), beside a bare Bun
 *     WebSocket server broadcasting the same message to the same number of clients;
 *   - clock offset: the error of the rooms' estimator (NTP-style probes, lowest round trip wins)
 *     on loopback, where the true offset is 0 because server and clients share this clock.
 * The listeners run in a child process, so the server's work and theirs do not share a thread.
 *   bun run bench rooms [listeners=1000] [events=30]
 */
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { textLines } from "../../shared/runtime/text-lines.ts";
import { openTempDatabase } from "../../shared/testing/temp-database.ts";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { createCoreApp } from "../../core/app.ts";
import { coreConfigSpec } from "../../core/config.ts";
import { buildCoreDeps } from "../../core/core-deps.ts";
import { migrations } from "../../core/db/migrations.ts";
import * as schema from "../../core/db/schema.ts";
import { percentile, printTable } from "./bench-report.ts";

const adminToken = "bench-admin-token-0123456789";
const campaignId = "BENCH";
const wallNow = () => performance.timeOrigin + performance.now();

if (process.argv[2] === "listeners") await runListeners(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await runBench(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 30));

async function runBench(listeners: number, events: number): Promise<void> {
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const database = await openTempDatabase(migrations, schema);
  const config = loadConfig(coreConfigSpec, { env: { DATA_DIR: database.dir.path, ADMIN_TOKEN: adminToken }, dotenvPath: null }).values;
  const deps = buildCoreDeps(config, database, systemClock, { logger: silentLogger, metrics: new MetricsRegistry() });
  const app = createCoreApp(deps);
  const created = await app.request("/api/v1/studio/campaigns", { method: "POST", body: JSON.stringify({ id: campaignId, name: "Bench", language: "en" }), headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" } }, { remoteAddress: "127.0.0.1" });
  if (created.status !== 201) throw new Error(`campaign: ${created.status} ${await created.text()}`);
  const core = startHttpServer({ fetch: app.fetch, hostname: "127.0.0.1", port: 0, idleTimeoutSeconds: 120 });

  // The baseline: Bun's own WebSocket server and its native publish to a topic.
  const bare = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) => (server.upgrade(request) ? undefined : new Response("upgrade", { status: 426 })),
    websocket: {
      open: (socket) => {
        socket.subscribe("room");
      },
      message: () => {},
    },
  });

  log(`opening ${listeners} listeners on the core's campaign socket and ${listeners} on a bare Bun WebSocket server…`);
  const child = Bun.spawn([process.execPath, import.meta.path, "listeners", `${core.url.replace("http:", "ws:")}/ws/${campaignId}`, `ws://127.0.0.1:${bare.port}/`, String(listeners)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const lines = textLines(child.stdout);
  const expectLine = async (want: string) => {
    const line = await lines.next();
    if (line.value !== want) throw new Error(`listeners said ${JSON.stringify(line.value)}, expected ${want}`);
  };
  await expectLine("ready");
  const coreListeners = deps.campaignSocket.connections(campaignId).length;
  if (coreListeners !== listeners) throw new Error(`${coreListeners} sockets on the core, expected ${listeners}`);

  const event = (index: number) => ({ type: "audio_chunk_ready", campaign_id: campaignId, request_id: "bench", chunk_id: `chunk-${index}`, sequence: index, text: "A sentence of the message, as long as a real one usually is.", start_at: Date.now() + 800, duration_ms: 2400, audio_url: `/api/audio/chunks/chunk-${index}`, server_time: Date.now(), sent_at: 0 });
  const publishTime = new Map<string, number>();
  for (let index = 0; index < events; index++) {
    const sentAt = wallNow();
    publishTime.set(`core-${index}`, sentAt);
    deps.campaignSocket.publish(campaignId, { ...event(index), chunk_id: `core-${index}`, sent_at: sentAt });
    await Bun.sleep(100);
    const bareAt = wallNow();
    publishTime.set(`bare-${index}`, bareAt);
    bare.publish("room", JSON.stringify({ ...event(index), chunk_id: `bare-${index}`, sent_at: bareAt }));
    await Bun.sleep(100);
  }
  await Bun.sleep(500);
  child.stdin.write("report\n");
  await child.stdin.flush();
  const report = JSON.parse((await lines.next()).value as string) as { latencies: Record<string, number[]>; offsets: number[]; roundTrips: number[]; singleOffsets: number[]; singleRoundTrips: number[] };
  child.kill();
  await core.forceStop();
  bare.stop(true);
  database.dispose();

  const summarise = (prefix: string) => {
    const all = Object.entries(report.latencies).filter(([id]) => id.startsWith(prefix)).flatMap(([, values]) => values);
    const lastPerEvent = Object.entries(report.latencies).filter(([id]) => id.startsWith(prefix)).map(([, values]) => Math.max(...values));
    return { all, lastPerEvent };
  };
  const core$ = summarise("core-");
  const bare$ = summarise("bare-");
  console.log(`\nfan-out of one event to ${listeners} listeners, ${events} events (ms from publish to receipt)`);
  printTable(
    ["server", "deliveries", "p50", "p99", "max", "last listener p50"],
    [
      ["campaign socket (core)", core$.all.length, percentile(core$.all, 0.5), percentile(core$.all, 0.99), Math.max(...core$.all), percentile(core$.lastPerEvent, 0.5)],
      ["bare Bun publish (baseline)", bare$.all.length, percentile(bare$.all, 0.5), percentile(bare$.all, 0.99), Math.max(...bare$.all), percentile(bare$.lastPerEvent, 0.5)],
    ],
  );
  const errors = report.offsets.map(Math.abs);
  console.log(`\nclock-offset estimate on loopback, ${errors.length} listeners × 16 probes (true offset 0 ms: one clock)`);
  printTable(
    ["estimator", "p50 |error| ms", "p99 |error| ms", "max ms", "best round trip p50 ms"],
    [
      ["lowest round trip of 16", percentile(errors, 0.5), percentile(errors, 0.99), Math.max(...errors), percentile(report.roundTrips, 0.5)],
      ["one probe (baseline)", percentile(report.singleOffsets.map(Math.abs), 0.5), percentile(report.singleOffsets.map(Math.abs), 0.99), Math.max(...report.singleOffsets.map(Math.abs)), percentile(report.singleRoundTrips, 0.5)],
    ],
  );
  console.log(`\ntargets: fan-out p99 ≤ 50 ms, clock-offset error ≤ 5 ms`);
}

/** The child: N sockets to each server, each message's latency noted; on "report", clock probes, then one JSON line. */
async function runListeners(coreUrl: string, bareUrl: string, count: number): Promise<void> {
  const latencies: Record<string, number[]> = {};
  const note = (data: unknown) => {
    const received = wallNow();
    const message = JSON.parse(String(data)) as { type: string; chunk_id?: string; sent_at?: number };
    if (message.type !== "audio_chunk_ready" || !message.chunk_id || !message.sent_at) return message;
    (latencies[message.chunk_id] ??= []).push(received - message.sent_at);
    return message;
  };
  const open = (url: string, headers: Record<string, string>) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, { headers } as unknown as string[]);
      socket.addEventListener("open", () => resolve(socket));
      socket.addEventListener("error", () => reject(new Error(`cannot open ${url}`)));
      socket.addEventListener("message", (event) => note(event.data));
    });
  const coreSockets: WebSocket[] = [];
  for (let index = 0; index < count; index += 50) {
    coreSockets.push(...(await Promise.all(Array.from({ length: Math.min(50, count - index) }, () => open(coreUrl, { authorization: `Bearer ${adminToken}` })))));
    await Promise.all(Array.from({ length: Math.min(50, count - index) }, () => open(bareUrl, {})));
  }
  await Bun.sleep(300);
  process.stdout.write("ready\n");
  for await (const line of textLines(Bun.stdin.stream())) {
    if (line !== "report") continue;
    const offsets: number[] = [];
    const roundTrips: number[] = [];
    const singleOffsets: number[] = [];
    const singleRoundTrips: number[] = [];
    for (const socket of coreSockets.slice(0, 100)) {
      const samples: Array<{ offset: number; roundTrip: number }> = [];
      for (let probe = 0; probe < 16; probe++) {
        const reply = await new Promise<{ client_sent: number; server_received: number; server_sent: number }>((resolve) => {
          const onMessage = (event: MessageEvent) => {
            const message = JSON.parse(String(event.data));
            if (message.type !== "clock_reply") return;
            socket.removeEventListener("message", onMessage);
            resolve(message);
          };
          socket.addEventListener("message", onMessage);
          socket.send(JSON.stringify({ type: "clock_probe", client_sent: wallNow() }));
        });
        const received = wallNow();
        samples.push({ roundTrip: received - reply.client_sent - (reply.server_sent - reply.server_received), offset: (reply.server_received - reply.client_sent + (reply.server_sent - received)) / 2 });
        await Bun.sleep(15);
      }
      const best = samples.reduce((winner, sample) => (sample.roundTrip < winner.roundTrip ? sample : winner));
      offsets.push(best.offset);
      roundTrips.push(best.roundTrip);
      singleOffsets.push(samples[0]!.offset);
      singleRoundTrips.push(samples[0]!.roundTrip);
    }
    process.stdout.write(`${JSON.stringify({ latencies, offsets, roundTrips, singleOffsets, singleRoundTrips })}\n`);
  }
}
