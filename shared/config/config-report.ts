import type { LoadedConfig } from "./config-loader.ts";
import { type ConfigSpec, fileKeyOf } from "./config-spec.ts";

export const maskedValue = "********";

/** The effective configuration as `check-config` prints it: secrets masked, source named. */
export function describeEffectiveConfig<S extends ConfigSpec>(spec: S, loaded: LoadedConfig<S>): Record<string, { env: string; value: unknown; source: string }> {
  const report: Record<string, { env: string; value: unknown; source: string }> = {};
  for (const [key, field] of Object.entries(spec)) {
    const value = (loaded.values as Record<string, unknown>)[key];
    report[fileKeyOf(key)] = {
      env: field.env,
      value: field.secret && value !== undefined && value !== "" ? maskedValue : (value ?? null),
      source: loaded.sources[key as keyof S & string],
    };
  }
  return report;
}

export function formatEffectiveConfig<S extends ConfigSpec>(spec: S, loaded: LoadedConfig<S>): string {
  const rows = Object.entries(describeEffectiveConfig(spec, loaded)).map(([key, entry]) => [key, entry.env, JSON.stringify(entry.value), entry.source]);
  const header = ["key", "environment", "value", "source"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  const fileLine = loaded.filePath ? `config file: ${loaded.filePath}\n` : "config file: none\n";
  return `${fileLine}${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Markdown table of every setting, used for the README's configuration reference. */
export function formatConfigReference(spec: ConfigSpec): string {
  const rows = Object.entries(spec).map(([key, field]) => {
    const fallback =
      field.default !== undefined
        ? typeof field.default === "function"
          ? "*derived*"
          : `\`${String(field.default)}\``
        : field.type.schema.safeParse(undefined).success
          ? "*unset*"
          : "*required*";
    return `| \`${fileKeyOf(key)}\` | \`${field.env}\` | ${fallback} | ${field.description}${field.secret ? " *(secret)*" : ""} Expected: ${field.type.expected}. |`;
  });
  return ["| key | environment | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
