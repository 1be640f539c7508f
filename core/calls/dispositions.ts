/**
 * What a VICIdial status means for caller-ID statistics. The seed's table (SALE, A → answered;
 * DNC, B → dnc; NA, NO → no_answer; BUSY → busy; DROP, AMD → dropped; others → completed) is kept
 * where VICIdial agrees and corrected where it does not: A, AA, AM, AL are answering machines,
 * B/AB are busy, DC/ADC disconnected numbers, and DROP/PDROP are calls a person answered but no
 * agent took (VICIdial flags them human_answered). Tenants override any status for their own data.
 */
export const callOutcomes = ["answered", "machine", "no_answer", "busy", "disconnected", "dropped", "dnc", "failed", "in_progress", "completed"] as const;
export type CallOutcome = (typeof callOutcomes)[number];

/** A person picked up: the numerator of an answer rate. `completed` is a tenant's own agent status. */
export const humanAnsweredOutcomes: readonly CallOutcome[] = ["answered", "dropped", "dnc", "completed"];
/** Not a result yet: left out of every rate until the final status arrives. */
export const pendingOutcome: CallOutcome = "in_progress";

const statusesByOutcome: Record<Exclude<CallOutcome, "completed">, readonly string[]> = {
  answered: ["SALE", "CALLBK", "CBHOLD", "DEC", "NI", "NP", "XFER", "RQXFER", "QCFAIL", "SVYCLM", "SVYEXT", "SVYREC", "SVYHU"],
  machine: ["A", "AA", "AM", "AL", "AFAX", "AMD", "SVYVM"],
  no_answer: ["NA", "N", "NO", "CPDNA"],
  busy: ["B", "AB", "BUSY", "CPDB"],
  disconnected: ["DC", "ADC", "ADCT", "CPDINV", "CPDSI", "CPDSV"],
  dropped: ["DROP", "XDROP", "PDROP", "TIMEOT", "AFTHRS", "NANQUE", "IQNANQ", "MAXCAL", "IVRXFR", "QVMAIL", "LRERR"],
  dnc: ["DNC", "DNCL", "DNCC"],
  failed: ["ERI", "DAIR", "ADAIR", "CPDATB", "CPDREJ", "CPDSUA", "CPDSNC", "CPDSR", "CPDSUK", "CPDUK", "CPDERR"],
  in_progress: ["QUEUE", "INCALL", "PU", "SENT", "NEW"],
};

export const defaultDispositionMap: ReadonlyMap<string, CallOutcome> = new Map(
  Object.entries(statusesByOutcome).flatMap(([outcome, statuses]) => statuses.map((status) => [status, outcome as CallOutcome] as const)),
);

/** The outcome of a status under a tenant's overrides; no status yet means the call is still going. */
export function outcomeOfStatus(status: string | null, overrides: ReadonlyMap<string, CallOutcome>): CallOutcome {
  const key = status?.trim().toUpperCase() ?? "";
  if (key === "") return pendingOutcome;
  return overrides.get(key) ?? defaultDispositionMap.get(key) ?? "completed";
}

export function isHumanAnswered(outcome: CallOutcome): boolean {
  return humanAnsweredOutcomes.includes(outcome);
}
