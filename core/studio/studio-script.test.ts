import { describe, expect, test } from "bun:test";
import type { StudioLead } from "./studio-leads.ts";
import { checkScript, parseTemplate, placeholdersOf, renderScript, renderSlot } from "./studio-script.ts";

const maria: StudioLead = { leadId: 1001, rowNumber: 1, phoneNumber: "5550102000", vendorLeadCode: "", fields: { first_name: "Мария", city: "Москва", last_name: "" } };
const james: StudioLead = { leadId: 1002, rowNumber: 2, phoneNumber: "5550102001", vendorLeadCode: "", fields: { first_name: "James", city: "  ", last_name: "Smith" } };

describe("studio script", () => {
  test("a template is literal text and {field} placeholders; other braces stay text", () => {
    expect(parseTemplate("Здравствуйте, {first_name}! {} {not a field}")).toEqual([{ text: "Здравствуйте, " }, { field: "first_name" }, { text: "! " }, { field: "" }, { text: " {not a field}" }]);
    expect(placeholdersOf("{first_name}, {city}, {first_name}")).toEqual(["first_name", "city"]);
  });

  test("renders a slot for a lead, lead_id and phone_number included", () => {
    expect(renderSlot("greeting", "Здравствуйте, {first_name}!  Ваш номер {lead_id}.", maria)).toEqual({ ok: true, text: "Здравствуйте, Мария! Ваш номер 1001." });
  });

  test("a lead missing a field, or holding only blanks, is reported with lead, slot and field, never rendered with a hole", () => {
    expect(renderSlot("greeting", "Hello {first_name} {last_name} from {city}, {city}!", james)).toEqual({ ok: false, missing: [{ leadId: 1002, slot: "greeting", field: "city" }] });
    const script = { greeting: "Hello {first_name} {last_name}", offer: "In {city} we lower the bill to 49 dollars." };
    expect(renderScript(script, [maria, james])).toEqual({
      ok: false,
      missing: [
        { leadId: 1001, slot: "greeting", field: "last_name" },
        { leadId: 1002, slot: "offer", field: "city" },
      ],
    });
    const fine = renderScript({ greeting: "Hello {first_name}", offer: "Our fibre plan is 49 dollars." }, [maria, james]);
    expect(fine).toEqual({ ok: true, leads: [{ leadId: 1001, texts: { greeting: "Hello Мария", offer: "Our fibre plan is 49 dollars." } }, { leadId: 1002, texts: { greeting: "Hello James", offer: "Our fibre plan is 49 dollars." } }] });
  });

  test("checks a script: slot names, empty and long texts, placeholder names, and fields the leads do not have", () => {
    expect(checkScript({ greeting: "Hello {first_name}", offer: "Deal in {city}" }, ["lead_id", "phone_number", "first_name", "city"])).toEqual([]);
    expect(checkScript({}).map((problem) => problem.code)).toEqual(["script.no_slots"]);
    const problems = checkScript({ Greeting: "x", offer: " ", voicemail: "Hi {First}", main: `Hi {frist_name} ${"a".repeat(2000)}` }, ["first_name"]);
    expect(problems.map((problem) => [problem.code, problem.slot, problem.field])).toEqual([
      ["script.bad_slot_name", "Greeting", undefined],
      ["script.empty_text", "offer", undefined],
      ["script.bad_placeholder", "voicemail", "First"],
      ["script.text_too_long", "main", undefined],
      ["script.unknown_field", "main", "frist_name"],
    ]);
  });
});
