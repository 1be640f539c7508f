/** Column values of a libSQL row, for repositories mapping rows to objects. */
export function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
