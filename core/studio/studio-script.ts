import { columnNamePattern } from "../../shared/contracts/campaign-package.ts";
import { fillTemplate, placeholdersOf } from "./script-template.ts";
import type { StudioLead } from "./studio-leads.ts";

export { parseTemplate, placeholdersOf, type TemplatePart } from "./script-template.ts";

/**
 * A campaign's script: one text per audio slot (`greeting`, `offer`, `voicemail`, …) with `{field}`
 * placeholders for lead fields. A lead that lacks a field a slot needs is reported, never spoken
 * with a hole in it.
 */
export type StudioScript = Readonly<Record<string, string>>;

/** A slot becomes the package column `audio_<slot>` (shared/contracts/campaign-package.ts). */
export const scriptSlotPattern = /^[a-z0-9][a-z0-9_]{0,31}$/;
export const scriptLimits = { maxSlots: 20, maxTextLength: 2000 } as const;

export interface ScriptProblem {
  code: "script.no_slots" | "script.too_many_slots" | "script.bad_slot_name" | "script.empty_text" | "script.text_too_long" | "script.bad_placeholder" | "script.unknown_field";
  message: string;
  slot?: string;
  field?: string;
}

/** The fields a lead offers to a script: its columns plus lead_id and phone_number. */
export function leadValues(lead: StudioLead): Record<string, string> {
  return { ...lead.fields, lead_id: String(lead.leadId), phone_number: lead.phoneNumber };
}

/**
 * Checks a script on its own and, given the leads' columns, that every placeholder names one of
 * them (a typo such as `{frist_name}` is caught before a single lead is rendered).
 */
export function checkScript(script: StudioScript, columns?: readonly string[]): ScriptProblem[] {
  const problems: ScriptProblem[] = [];
  const slots = Object.keys(script);
  if (slots.length === 0) problems.push({ code: "script.no_slots", message: "the script has no slots; write at least one text, e.g. greeting" });
  if (slots.length > scriptLimits.maxSlots) problems.push({ code: "script.too_many_slots", message: `the script has ${slots.length} slots; at most ${scriptLimits.maxSlots}` });
  const known = columns ? new Set([...columns, "lead_id", "phone_number"]) : null;
  for (const slot of slots) {
    const text = script[slot]!;
    if (!scriptSlotPattern.test(slot)) {
      problems.push({ code: "script.bad_slot_name", message: `slot ${JSON.stringify(slot)}: names are lowercase letters, digits and _ (at most 32), e.g. greeting`, slot });
      continue;
    }
    if (text.trim() === "") problems.push({ code: "script.empty_text", message: `slot ${slot} has no text`, slot });
    if (text.length > scriptLimits.maxTextLength) problems.push({ code: "script.text_too_long", message: `slot ${slot} is ${text.length} characters long; at most ${scriptLimits.maxTextLength}`, slot });
    for (const field of placeholdersOf(text)) {
      if (!columnNamePattern.test(field)) {
        problems.push({ code: "script.bad_placeholder", message: `slot ${slot}: {${field}} is not a lead field name (lowercase letters, digits and _, e.g. {first_name})`, slot, field });
      } else if (known && !known.has(field)) {
        problems.push({ code: "script.unknown_field", message: `slot ${slot}: {${field}} is not a column of the leads (${[...known].join(", ").slice(0, 300)})`, slot, field });
      }
    }
  }
  return problems;
}

export interface MissingField {
  leadId: number;
  slot: string;
  field: string;
}

export type RenderedSlot = { ok: true; text: string } | { ok: false; missing: MissingField[] };

/** A slot's text for one lead; a placeholder whose value is absent or blank makes it unrenderable. */
export function renderSlot(slot: string, template: string, lead: StudioLead): RenderedSlot {
  const filled = fillTemplate(template, leadValues(lead));
  return filled.ok ? filled : { ok: false, missing: filled.missing.map((field) => ({ leadId: lead.leadId, slot, field })) };
}

export interface RenderedLead {
  leadId: number;
  /** Slot → text to speak. */
  texts: Record<string, string>;
}

/** Every lead's texts, or every (lead, slot, field) that is missing. */
export function renderScript(script: StudioScript, leads: readonly StudioLead[]): { ok: true; leads: RenderedLead[] } | { ok: false; missing: MissingField[] } {
  const rendered: RenderedLead[] = [];
  const missing: MissingField[] = [];
  for (const lead of leads) {
    const texts: Record<string, string> = {};
    for (const [slot, template] of Object.entries(script)) {
      const slotText = renderSlot(slot, template, lead);
      if (slotText.ok) texts[slot] = slotText.text;
      else missing.push(...slotText.missing);
    }
    rendered.push({ leadId: lead.leadId, texts });
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, leads: rendered };
}
