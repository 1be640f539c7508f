import type { Connection } from "mysql2/promise";

/**
 * Writes to vicidial_log the way VICIdial's dialer does, faster than real time: unanswered calls
 * (NA, AB busy, ADC, CPD…) land as zero-length final rows, many in the same second, with
 * term_reason '' or NONE and a NULL end_epoch or user_group; answered calls are inserted at start
 * as INCALL by VDAD, updated at hang-up (end_epoch, length, term_reason, agent) and given their
 * disposition later; machines go AA → AL; a share of the rows is "historic" (hours old) and gets
 * its final disposition during the run, as VICIdial does for up to four hours.
 */
export interface DialerSimulationOptions {
  calls: number;
  callsPerSecond: number;
  seed?: number;
  campaigns?: readonly string[];
  /** Calls from one to four hours ago, inserted before the run, whose status changes during it. */
  historicCalls?: number;
  /** Delay from call start to hang-up, in milliseconds (min, max). */
  hangupDelayMs?: readonly [number, number];
  /** Delay from hang-up to the agent's disposition. */
  dispositionDelayMs?: readonly [number, number];
  signal?: AbortSignal;
}

export interface DialerSimulationReport {
  calls: number;
  historicCalls: number;
  statements: number;
  durationMs: number;
  /** The slowest single INSERT or UPDATE: how long the dialer waited for the table at worst. */
  slowestWriteMs: number;
}

interface PendingEvent {
  dueAt: number;
  sql: string;
  args: unknown[];
}

const unansweredStatuses = ["NA", "NA", "NA", "NA", "AB", "AB", "ADC", "CPDATB", "CPDNA"] as const;
const agentStatuses = ["SALE", "NI", "CALLBK", "DEC", "XFER", "NP", "APPTSET", "DNC"] as const;

export async function simulateDialer(connection: Connection, options: DialerSimulationOptions): Promise<DialerSimulationReport> {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const between = ([min, max]: readonly [number, number]) => min + random() * (max - min);
  const campaigns = options.campaigns ?? ["OUTBND", "SURVEY2", "RETENT"];
  const hangupDelay = options.hangupDelayMs ?? [200, 2000];
  const dispositionDelay = options.dispositionDelayMs ?? [300, 4000];
  // VICIdial runs with sql_mode='' (it stores '' in the term_reason ENUM).
  await connection.query("SET SESSION sql_mode = ''");
  const [[{ epoch }]] = (await connection.query("SELECT UNIX_TIMESTAMP() AS epoch")) as unknown as [[{ epoch: number }]];
  let sequence = 1000 + Math.floor(random() * 1000);
  const nextUniqueid = () => `${epoch}.${sequence++}`;
  const lead = () => ({ leadId: 100_000 + Math.floor(random() * 900_000), phone: `${pick(["415", "212", "312", "713", "305"])}555${String(Math.floor(random() * 10_000)).padStart(4, "0")}` });

  const started = performance.now();
  let statements = 0;
  let slowestWriteMs = 0;
  const run = async (sql: string, args: unknown[]) => {
    const before = performance.now();
    await connection.query(sql, args);
    slowestWriteMs = Math.max(slowestWriteMs, performance.now() - before);
    statements++;
  };
  const pending: PendingEvent[] = [];
  const later = (delayMs: number, sql: string, args: unknown[]) => pending.push({ dueAt: performance.now() + delayMs, sql, args });

  const historic = options.historicCalls ?? 0;
  if (historic > 0) {
    const rows = [];
    const uniqueids: string[] = [];
    for (let index = 0; index < historic; index++) {
      const { leadId, phone } = lead();
      const secondsAgo = 3600 + Math.floor(random() * 3 * 3600);
      const uniqueid = `${epoch - secondsAgo}.${sequence++}`;
      uniqueids.push(uniqueid);
      rows.push([uniqueid, leadId, 1001, pick(campaigns), secondsAgo, epoch - secondsAgo, epoch - secondsAgo + 60, 60, pick(["CALLBK", "INCALL", "CBHOLD"]), "1", phone, `agent${index % 20}`, null, "N", "AGENTS", "AGENT", "MAIN", 1]);
    }
    for (let index = 0; index < rows.length; index += 500) {
      await run(
        `INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, comments, processed, user_group, term_reason, alt_dial, called_count) VALUES ${rows
          .slice(index, index + 500)
          .map(() => "(?, ?, ?, ?, NOW() - INTERVAL ? SECOND, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .join(", ")}`,
        rows.slice(index, index + 500).flat(),
      );
    }
    const runMs = (options.calls / options.callsPerSecond) * 1000;
    for (const uniqueid of uniqueids) later(random() * runMs, "UPDATE vicidial_log SET status = ?, comments = ? WHERE uniqueid = ?", [pick(["SALE", "NI", "DNC"]), "called back later", uniqueid]);
  }

  const tickMs = 50;
  let placed = 0;
  let owed = 0;
  while ((placed < options.calls || pending.length > 0) && !options.signal?.aborted) {
    const tickStarted = performance.now();
    owed += (options.callsPerSecond * tickMs) / 1000;
    const starting: unknown[][] = [];
    while (owed >= 1 && placed < options.calls) {
      owed--;
      placed++;
      const uniqueid = nextUniqueid();
      const { leadId, phone } = lead();
      const campaign = pick(campaigns);
      const roll = random();
      if (roll < 0.5) {
        // Unanswered: one final, zero-length row by the dialer itself.
        const endEpoch = random() < 0.3 ? null : "START";
        starting.push([uniqueid, leadId, campaign, endEpoch, pick(unansweredStatuses), phone, "VDAD", random() < 0.5 ? "" : "NONE", random() < 0.7 ? null : "AGENTS"]);
      } else if (roll < 0.62) {
        starting.push([uniqueid, leadId, campaign, null, "AA", phone, "VDAD", "NONE", null]);
        later(between(hangupDelay), "UPDATE vicidial_log SET status = 'AL', end_epoch = UNIX_TIMESTAMP(), length_in_sec = UNIX_TIMESTAMP() - start_epoch, term_reason = 'CALLER' WHERE uniqueid = ?", [uniqueid]);
      } else if (roll < 0.67) {
        starting.push([uniqueid, leadId, campaign, null, "INCALL", phone, "VDAD", "NONE", null]);
        later(between(hangupDelay), "UPDATE vicidial_log SET status = ?, end_epoch = UNIX_TIMESTAMP(), length_in_sec = UNIX_TIMESTAMP() - start_epoch, term_reason = 'ABANDON' WHERE uniqueid = ?", [pick(["DROP", "PDROP"]), uniqueid]);
      } else {
        // Answered: inserted at start, updated at hang-up, dispositioned by the agent afterwards.
        starting.push([uniqueid, leadId, campaign, null, "INCALL", phone, "VDAD", "NONE", null]);
        const hangup = between(hangupDelay);
        const agent = `agent${Math.floor(random() * 40)}`;
        later(hangup, "UPDATE vicidial_log SET end_epoch = UNIX_TIMESTAMP(), length_in_sec = UNIX_TIMESTAMP() - start_epoch, term_reason = ?, user = ?, user_group = 'AGENTS' WHERE uniqueid = ?", [
          pick(["CALLER", "AGENT"]),
          agent,
          uniqueid,
        ]);
        later(hangup + between(dispositionDelay), "UPDATE vicidial_log SET status = ?, comments = ? WHERE uniqueid = ?", [pick(agentStatuses), random() < 0.2 ? "wants a call back on Friday" : null, uniqueid]);
      }
    }
    if (starting.length > 0) {
      await run(
        `INSERT INTO vicidial_log (uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, user_group, term_reason, alt_dial, called_count) VALUES ${starting
          .map(() => "(?, ?, 1001, ?, NOW(), UNIX_TIMESTAMP(), IF(? = 'START', UNIX_TIMESTAMP(), NULL), 0, ?, '1', ?, ?, ?, ?, 'MAIN', 1)")
          .join(", ")}`,
        starting.map(([uniqueid, leadId, campaign, endEpoch, status, phone, user, termReason, userGroup]) => [uniqueid, leadId, campaign, endEpoch, status, phone, user, userGroup, termReason]).flat(),
      );
    }
    const now = performance.now();
    const due = pending.filter((event) => event.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    if (due.length > 0) {
      const dueSet = new Set(due);
      const waiting = pending.filter((event) => !dueSet.has(event));
      pending.length = 0;
      pending.push(...waiting);
      for (const event of due) await run(event.sql, event.args);
    }
    const spent = performance.now() - tickStarted;
    if (spent < tickMs) await new Promise((resolve) => setTimeout(resolve, tickMs - spent));
  }
  return { calls: placed, historicCalls: historic, statements, durationMs: performance.now() - started, slowestWriteMs };
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
