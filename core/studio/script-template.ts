/**
 * A script slot's template: literal text with `{field}` placeholders for lead fields. Plain code with
 * no imports, so the studio's page fills the same templates the same way for its live preview.
 */
export type TemplatePart = { text: string } | { field: string };

const placeholderPattern = /\{([^{}\s]*)\}/g;

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(placeholderPattern)) {
    if (match.index > last) parts.push({ text: template.slice(last, match.index) });
    parts.push({ field: match[1]! });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return parts;
}

/** The fields a template names, each once, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set(parseTemplate(template).flatMap((part) => ("field" in part ? [part.field] : [])))];
}

/** The template with the lead's values; a placeholder whose value is absent or blank is missing, never spoken as a hole. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): { ok: true; text: string } | { ok: false; missing: string[] } {
  const missing: string[] = [];
  let text = "";
  for (const part of parseTemplate(template)) {
    if ("text" in part) text += part.text;
    else {
      const value = values[part.field]?.trim() ?? "";
      if (value === "") missing.push(part.field);
      text += value;
    }
  }
  if (missing.length > 0) return { ok: false, missing: [...new Set(missing)] };
  return { ok: true, text: text.replace(/\s+/g, " ").trim() };
}
