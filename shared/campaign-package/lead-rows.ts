import {
  audioSlotOfColumn,
  campaignPackageLimits,
  checkLeadField,
  checkLeadId,
  checkPhoneNumber,
  columnNamePattern,
  normalizeAudioReference,
  requiredLeadColumns,
  reservedLeadColumns,
} from "../contracts/campaign-package.ts";

/**
 * A leads file (CSV or SQL INSERTs) read against the package contract's lead columns: the edge's
 * importer and the core's studio check the same header and rows the same way.
 */

/** One thing wrong with a leads file, precise enough to fix at the source. */
export interface LeadFileProblem {
  /** Stable dotted code, e.g. `leads.invalid_field`. */
  code: string;
  message: string;
  /** The file it concerns (`leads.csv`, `audio/greeting/1.wav`). */
  file?: string;
  /** Data row, counted from 1 after the header (for leads.sql: the n-th value tuple). */
  row?: number;
  /** Line of the leads file where that row starts. */
  line?: number;
  column?: string;
  /** The row's lead_id, when it could be read. */
  lead_id?: number;
}

type ImportProblem = LeadFileProblem;

export interface LeadColumnOptions {
  /**
   * `required`: a package's leads file names its audio in `audio`/`audio_<slot>` columns.
   * `refused`: leads for the studio, which makes the audio itself.
   */
  audioColumns: "required" | "refused";
}

/** What each column of a leads file means, decided once from its header. */
export interface LeadColumnPlan {
  file: string;
  columns: readonly string[];
  leadIdIndex: number;
  phoneIndex: number;
  /** Column index → audio slot. */
  audioSlots: ReadonlyMap<number, string>;
  /** Columns that become the lead's fields (everything but lead_id, phone_number and audio). */
  fieldIndexes: readonly number[];
}

export interface ParsedLead {
  leadId: number;
  rowNumber: number;
  vendorLeadCode: string;
  phoneNumber: string;
  fields: Record<string, string>;
  /** Slot → package path, "" for none. */
  audio: Record<string, string>;
}

export function planLeadColumns(file: string, header: readonly string[], options: LeadColumnOptions = { audioColumns: "required" }): { plan: LeadColumnPlan } | { problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const columns = header.map((name) => name.trim().toLowerCase());
  const seen = new Map<string, number>();
  if (columns.length > campaignPackageLimits.maxColumns) {
    problems.push({ code: "leads.too_many_columns", message: `${file} has ${columns.length} columns; at most ${campaignPackageLimits.maxColumns}`, file, line: 1 });
  }
  columns.forEach((name, index) => {
    const where = { file, line: 1, column: name || `#${index + 1}` };
    if (!columnNamePattern.test(name)) {
      problems.push({ code: "leads.bad_column_name", message: `column ${index + 1} of ${file} is named ${JSON.stringify(header[index])}; names are lowercase letters, digits and _ starting with a letter`, ...where });
    } else if ((reservedLeadColumns as readonly string[]).includes(name)) {
      problems.push({ code: "leads.reserved_column", message: `column ${name} of ${file} is reserved: the edge adds it to every lookup answer`, ...where });
    }
    if (seen.has(name)) problems.push({ code: "leads.duplicate_column", message: `${file} has two columns named ${name} (${seen.get(name)! + 1} and ${index + 1})`, ...where });
    seen.set(name, index);
  });
  for (const required of requiredLeadColumns) {
    if (!seen.has(required)) problems.push({ code: "leads.missing_column", message: `${file} has no ${required} column (its header is: ${columns.join(", ").slice(0, 200)})`, file, line: 1, column: required });
  }
  const audioSlots = new Map<number, string>();
  const fieldIndexes: number[] = [];
  columns.forEach((name, index) => {
    const slot = audioSlotOfColumn(name);
    if (slot) audioSlots.set(index, slot);
    else if (name !== "lead_id" && name !== "phone_number") fieldIndexes.push(index);
  });
  if (options.audioColumns === "refused") {
    for (const [index] of audioSlots) {
      problems.push({ code: "leads.audio_column", message: `column ${columns[index]} of ${file} names audio files; the studio makes each lead's audio from the script, so remove it`, file, line: 1, column: columns[index]! });
    }
  } else if (audioSlots.size === 0) {
    problems.push({ code: "leads.no_audio_column", message: `${file} has no audio column: name one "audio" or "audio_<slot>" (e.g. audio_greeting)`, file, line: 1 });
  }
  if (problems.length > 0) return { problems };
  return { plan: { file, columns, leadIdIndex: seen.get("lead_id")!, phoneIndex: seen.get("phone_number")!, audioSlots, fieldIndexes } };
}

export interface RowContext {
  rowNumber: number;
  line: number;
  /** Package paths of the .wav files the package holds. */
  wavFiles: ReadonlySet<string>;
}

/** Checks one row against the plan; a row with any problem yields problems and no lead. */
export function parseLeadRow(plan: LeadColumnPlan, values: readonly string[], context: RowContext): { lead: ParsedLead } | { problems: ImportProblem[] } {
  const where = (column?: string): Omit<ImportProblem, "code" | "message"> => ({ file: plan.file, row: context.rowNumber, line: context.line, ...(column ? { column } : {}) });
  const at = `${plan.file} row ${context.rowNumber} (line ${context.line})`;
  if (values.length !== plan.columns.length) {
    return { problems: [{ code: "leads.wrong_field_count", message: `${at} has ${values.length} fields; the header has ${plan.columns.length}`, ...where() }] };
  }
  const problems: ImportProblem[] = [];
  const leadId = checkLeadId(values[plan.leadIdIndex]!);
  if (!leadId.ok) problems.push({ code: "leads.invalid_field", message: `${at}, column lead_id: ${leadId.message}`, ...where("lead_id") });
  const whereInLead = (column: string) => ({ ...where(column), ...(leadId.ok ? { lead_id: Number(leadId.value) } : {}) });
  const phone = checkPhoneNumber(values[plan.phoneIndex]!);
  if (!phone.ok) problems.push({ code: "leads.invalid_field", message: `${at}, column phone_number: ${phone.message}`, ...whereInLead("phone_number") });
  const fields: Record<string, string> = {};
  for (const index of plan.fieldIndexes) {
    const column = plan.columns[index]!;
    const checked = checkLeadField(column, values[index]!);
    if (checked.ok) fields[column] = checked.value;
    else problems.push({ code: "leads.invalid_field", message: `${at}, column ${column}: ${checked.message}`, ...whereInLead(column) });
  }
  const audio: Record<string, string> = {};
  for (const [index, slot] of plan.audioSlots) {
    const column = plan.columns[index]!;
    const reference = normalizeAudioReference(values[index]!);
    if (!reference.ok) {
      problems.push({ code: "leads.invalid_field", message: `${at}, column ${column}: ${reference.message}`, ...whereInLead(column) });
      continue;
    }
    if (reference.value !== "" && !context.wavFiles.has(reference.value)) {
      problems.push({ code: "leads.missing_audio_file", message: `${at}, column ${column}: ${reference.value} is not in the package`, ...whereInLead(column) });
      continue;
    }
    audio[slot] = reference.value;
  }
  if (problems.length > 0 || !leadId.ok || !phone.ok) return { problems };
  return { lead: { leadId: Number(leadId.value), rowNumber: context.rowNumber, vendorLeadCode: fields.vendor_lead_code ?? "", phoneNumber: phone.value, fields, audio } };
}

/** Lead ids, and vendor lead codes when given, must each appear once in a leads file. */
export class LeadUniqueness {
  readonly #leadIds = new Map<number, number>();
  readonly #vendorCodes = new Map<string, number>();

  /** Records the lead, or names the earlier row it repeats. */
  check(file: string, lead: ParsedLead, line: number): ImportProblem | null {
    const where = { file, row: lead.rowNumber, line };
    const firstRow = this.#leadIds.get(lead.leadId);
    if (firstRow !== undefined) {
      return { code: "leads.duplicate_lead_id", message: `${file} row ${lead.rowNumber} (line ${line}): lead_id ${lead.leadId} already appears on row ${firstRow}`, ...where, column: "lead_id" };
    }
    this.#leadIds.set(lead.leadId, lead.rowNumber);
    if (lead.vendorLeadCode !== "") {
      const vendorRow = this.#vendorCodes.get(lead.vendorLeadCode);
      if (vendorRow !== undefined) {
        return {
          code: "leads.duplicate_vendor_lead_code",
          message: `${file} row ${lead.rowNumber} (line ${line}): vendor_lead_code ${JSON.stringify(lead.vendorLeadCode)} already appears on row ${vendorRow}`,
          ...where,
          column: "vendor_lead_code",
        };
      }
      this.#vendorCodes.set(lead.vendorLeadCode, lead.rowNumber);
    }
    return null;
  }
}
