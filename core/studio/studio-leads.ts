import { campaignPackageLimits } from "../../shared/contracts/campaign-package.ts";
import { type LeadFileProblem, LeadUniqueness, type ParsedLead, parseLeadRow, planLeadColumns } from "../../shared/campaign-package/lead-rows.ts";
import { CsvReader, CsvSyntaxError } from "../../shared/csv/csv-reader.ts";

/**
 * A campaign's leads from a CSV with VICIdial's lead fields, checked exactly as a package's
 * leads.csv is (shared/campaign-package/lead-rows.ts) except that audio columns are refused: the
 * studio makes the audio. All or nothing: one bad row and no lead is taken.
 */
export interface StudioLead {
  leadId: number;
  rowNumber: number;
  phoneNumber: string;
  vendorLeadCode: string;
  /** Every other column, trimmed (first_name, city, custom columns …). */
  fields: Record<string, string>;
}

export type StudioLeadsResult =
  | { ok: true; columns: string[]; leads: StudioLead[] }
  | { ok: false; problems: LeadFileProblem[]; problemCount: number };

export interface ReadStudioLeadsOptions {
  /** Rows at most; the package contract's limit by default. */
  maxLeads?: number;
  /** Problems kept in the answer; the rest are only counted. */
  maxProblems?: number;
}

const leadsFileName = "leads.csv";

/** Reads the CSV's bytes (a string, bytes or a stream of bytes), refusing text that is not UTF-8. */
export async function readStudioLeads(input: string | Uint8Array | ReadableStream<Uint8Array>, options: ReadStudioLeadsOptions = {}): Promise<StudioLeadsResult> {
  const maxLeads = options.maxLeads ?? campaignPackageLimits.maxLeads;
  const maxProblems = options.maxProblems ?? 100;
  const problems: LeadFileProblem[] = [];
  let problemCount = 0;
  const report = (problem: LeadFileProblem) => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(problem);
  };
  const leads: StudioLead[] = [];
  const uniqueness = new LeadUniqueness();
  let plan: ReturnType<typeof planLeadColumns> | null = null;
  let columns: string[] = [];
  let rowNumber = 0;
  let stopped = false;

  const reader = new CsvReader((record) => {
    if (stopped) return;
    if (!plan) {
      plan = planLeadColumns(leadsFileName, record.fields, { audioColumns: "refused" });
      if ("problems" in plan) {
        for (const problem of plan.problems) report(problem);
        stopped = true;
      } else columns = [...plan.plan.columns];
      return;
    }
    if ("problems" in plan) return;
    rowNumber++;
    if (rowNumber > maxLeads) {
      report({ code: "leads.too_many", message: `${leadsFileName} holds more than ${maxLeads} leads`, file: leadsFileName, row: rowNumber, line: record.line });
      stopped = true;
      return;
    }
    const parsed = parseLeadRow(plan.plan, record.fields, { rowNumber, line: record.line, wavFiles: new Set() });
    if ("problems" in parsed) {
      for (const problem of parsed.problems) report(problem);
      return;
    }
    const repeated = uniqueness.check(leadsFileName, parsed.lead, record.line);
    if (repeated) {
      report(repeated);
      return;
    }
    if (problemCount === 0) leads.push(studioLeadOf(parsed.lead));
  }, campaignPackageLimits.maxFieldLength * 4);

  const decoder = new TextDecoder("utf-8", { fatal: true });
  let bytesRead = 0;
  const pushBytes = (bytes: Uint8Array, final: boolean) => {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: !final });
    } catch {
      throw new LeadsFileUnreadable({ code: "leads.not_utf8", message: `${leadsFileName} is not UTF-8 text (invalid bytes near byte ${bytesRead}); save it as UTF-8`, file: leadsFileName });
    }
    bytesRead += bytes.length;
    if (!stopped) reader.push(text);
  };
  try {
    if (typeof input === "string") reader.push(input);
    else if (input instanceof Uint8Array) pushBytes(input, true);
    else {
      for await (const chunk of input) {
        if (stopped) break;
        pushBytes(chunk, false);
      }
      pushBytes(new Uint8Array(0), true);
    }
    if (!stopped) reader.end();
  } catch (error) {
    if (error instanceof LeadsFileUnreadable) report(error.problem);
    else if (error instanceof CsvSyntaxError) report({ code: "leads.csv_syntax", message: `${leadsFileName} ${error.message}`, file: leadsFileName, line: error.line });
    else throw error;
  }
  if (!plan && problemCount === 0) report({ code: "leads.empty", message: `${leadsFileName} is empty: it needs a header (lead_id, phone_number, …) and at least one lead`, file: leadsFileName });
  else if (problemCount === 0 && leads.length === 0) report({ code: "leads.empty", message: `${leadsFileName} has a header but no leads`, file: leadsFileName, line: 2 });
  if (problemCount > 0) return { ok: false, problems, problemCount };
  return { ok: true, columns, leads };
}

class LeadsFileUnreadable extends Error {
  constructor(readonly problem: LeadFileProblem) {
    super(problem.message);
  }
}

function studioLeadOf(lead: ParsedLead): StudioLead {
  return { leadId: lead.leadId, rowNumber: lead.rowNumber, phoneNumber: lead.phoneNumber, vendorLeadCode: lead.vendorLeadCode, fields: lead.fields };
}
