import { createHash } from "node:crypto";
import type { CallResultWire } from "../../shared/contracts/call-results.ts";

/** A vicidial_log row as mysql2 returns it with `dateStrings` (DATETIME as MariaDB prints it). */
export interface VicidialLogRow {
  uniqueid: string;
  lead_id: number | string;
  list_id: number | string | null;
  campaign_id: string | null;
  call_date: string | null;
  start_epoch: number | null;
  end_epoch: number | null;
  length_in_sec: number | null;
  status: string | null;
  phone_code: string | null;
  phone_number: string | null;
  user: string | null;
  comments: string | null;
  user_group: string | null;
  term_reason: string | null;
  alt_dial: string | null;
  called_count: number | null;
}

export const vicidialLogColumns =
  "uniqueid, lead_id, list_id, campaign_id, call_date, start_epoch, end_epoch, length_in_sec, status, phone_code, phone_number, user, comments, user_group, term_reason, alt_dial, called_count";

export interface SerializedCallResult {
  uniqueid: string;
  callDate: string | null;
  /** The JSON the core receives. */
  payload: string;
  /** Changes whenever any synced column of the row changes. */
  fingerprint: string;
}

/** The seed's field names for one row; `timestamp` is what the seed's scripts sent (end, else start). */
export function callResultWireOf(row: VicidialLogRow): CallResultWire {
  return {
    uniqueid: row.uniqueid,
    leadId: row.lead_id === null ? null : String(row.lead_id),
    listId: row.list_id === null ? null : String(row.list_id),
    campaignId: row.campaign_id,
    phoneNumber: row.phone_number,
    phoneCode: row.phone_code,
    disposition: row.status,
    duration: row.length_in_sec,
    agentId: row.user,
    userGroup: row.user_group,
    termReason: row.term_reason,
    comments: row.comments,
    altDial: row.alt_dial,
    calledCount: row.called_count,
    callDate: row.call_date,
    startEpoch: row.start_epoch,
    endEpoch: row.end_epoch,
    timestamp: row.end_epoch ?? row.start_epoch,
  };
}

export function serializeCallResult(row: VicidialLogRow): SerializedCallResult {
  const payload = JSON.stringify(callResultWireOf(row));
  return { uniqueid: row.uniqueid, callDate: row.call_date, payload, fingerprint: createHash("sha1").update(payload).digest("base64url") };
}
