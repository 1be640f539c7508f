import { describe, expect, test } from "bun:test";
import { checkRephrasing, cleanRephrasing, namesIn, numbersIn } from "./rephrasing-check.ts";

const template = "Hello {first_name}, this is Anna from Acme Telecom. Our fibre plan costs $49.99 a month for 12 months.";
const values = { first_name: "Maria" };
const plainText = "Hello Maria, this is Anna from Acme Telecom. Our fibre plan costs $49.99 a month for 12 months.";
const check = (candidate: string) => checkRephrasing({ template, values, plainText, candidate });

describe("rephrasing check", () => {
  test("finds the template's names (not sentence-initial words, not placeholders) and numbers", () => {
    expect(namesIn(template)).toEqual(["Anna", "Acme", "Telecom"]);
    expect(namesIn("Здравствуйте, {first_name}! Вас беспокоит Ольга из компании МегаСвязь, тариф iPhone.")).toEqual(["Ольга", "МегаСвязь", "iPhone"]);
    expect(numbersIn(plainText)).toEqual(["49.99", "12"]);
  });

  test("accepts different wording with the same facts, stripping the quotes models add", () => {
    expect(check('"Hi Maria, Anna here from Acme Telecom. For 12 months our fibre plan is just $49.99 a month."')).toEqual({
      ok: true,
      text: "Hi Maria, Anna here from Acme Telecom. For 12 months our fibre plan is just $49.99 a month.",
    });
    expect(cleanRephrasing("  «Привет»  ")).toBe("Привет");
  });

  test.each([
    ["a dropped price", "Hi Maria, Anna here from Acme Telecom. Our fibre plan is cheap for 12 months.", "rephrase.number_lost", "49.99"],
    ["a changed price", "Hi Maria, Anna here from Acme Telecom. Our fibre plan is $39.99 a month for 12 months.", "rephrase.number_lost", "49.99"],
    ["an added number", "Hi Maria, Anna here from Acme Telecom. Our fibre plan is $49.99 a month for 12 months, 2 routers free.", "rephrase.number_added", "2"],
    ["a changed name", "Hi Maria, Anna here from Apex Telecom. Our fibre plan is $49.99 a month for 12 months.", "rephrase.name_lost", "Acme"],
    ["the lead's name lost", "Hi there, Anna here from Acme Telecom. Our fibre plan is $49.99 a month for 12 months.", "rephrase.value_lost", "Maria"],
    ["a placeholder left in", "Hi {first_name}, Anna here from Acme Telecom. Our fibre plan is $49.99 a month for 12 months.", "rephrase.placeholder_left", "{first_name}"],
    ["far too long", `Hi Maria, Anna here from Acme Telecom. Our fibre plan is $49.99 a month for 12 months. ${"It is really very good. ".repeat(5)}`, "rephrase.too_long", "over 160%"],
    ["nothing", "  ", "rephrase.empty", "empty"],
  ])("rejects %s", (_name, candidate, code, detail) => {
    const checked = check(candidate);
    expect(checked).toMatchObject({ ok: false, code });
    expect(checked.ok ? "" : checked.message).toContain(detail);
  });

  test("a name must survive as a word, not as part of another word; values compare without regard to case", () => {
    const named = { template: "This is Anna calling.", values: {}, plainText: "This is Anna calling." };
    expect(checkRephrasing({ ...named, candidate: "Annabel is calling you." })).toMatchObject({ ok: false, code: "rephrase.name_lost" });
    expect(checkRephrasing({ template: "Hello {first_name}!", values: { first_name: "MARIA" }, plainText: "Hello MARIA!", candidate: "Hi there, Maria!" })).toMatchObject({ ok: true });
  });
});
