/** North American numbers as dialers write them: "4155551234", "14155551234", "+1 (415) 555-1234". */
export function phoneKeyOf(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const digits = phone.replace(/\D/g, "");
  if (digits.length === 0) return null;
  return digits.length === 11 && digits.startsWith("1") ? digits.slice(1) : digits;
}

/** The NANP area code (NPA) of a number, or null for numbers outside the plan. */
export function areaCodeOf(phone: string | null | undefined): string | null {
  const key = phoneKeyOf(phone);
  if (!key || key.length !== 10 || !/^[2-9]\d{2}[2-9]/.test(key)) return null;
  return key.slice(0, 3);
}
