import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { type ConfigOf, type ConfigSpec, fileKeyOf } from "./config-spec.ts";
import { parseDotenv } from "./dotenv.ts";

export type ConfigSource = "default" | "file" | ".env" | "environment" | "command line";

export interface LoadedConfig<S extends ConfigSpec> {
  values: ConfigOf<S>;
  sources: Record<keyof S & string, ConfigSource>;
  /** The config file that was read, if any. */
  filePath: string | null;
}

export interface ConfigFileChoice {
  path: string;
  /** An explicitly named file must exist; the node's default path may be absent. */
  required: boolean;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  file?: ConfigFileChoice | null;
  /** Path of the .env file to honour; defaults to `.env` in the working directory, null to skip. */
  dotenvPath?: string | null;
  /** Environment variables with this prefix must all be known settings (the recorder's RA_). */
  envPrefix?: string;
  /** Values given on the command line (by file key, e.g. `log_level`); they beat every other source. */
  overrides?: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig<S extends ConfigSpec>(spec: S, options: LoadConfigOptions = {}): LoadedConfig<S> {
  const problems: string[] = [];
  const raw = new Map<string, { value: unknown; source: ConfigSource }>();
  const keyByFileKey = new Map(Object.keys(spec).map((key) => [fileKeyOf(key), key]));
  const keyByEnv = new Map(Object.entries(spec).map(([key, field]) => [field.env, key]));

  const filePath = readConfigFile(options.file ?? null, keyByFileKey, raw, problems);

  const dotenvPath = options.dotenvPath === undefined ? join(process.cwd(), ".env") : options.dotenvPath;
  if (dotenvPath && existsSync(dotenvPath)) {
    try {
      applyEnvironment(parseDotenv(readFileSync(dotenvPath, "utf8")), ".env", keyByEnv, raw, problems, options.envPrefix);
    } catch (error) {
      problems.push(`${dotenvPath}: ${(error as Error).message}`);
    }
  }
  applyEnvironment(options.env ?? process.env, "environment", keyByEnv, raw, problems, options.envPrefix);
  for (const [fileKey, value] of Object.entries(options.overrides ?? {})) {
    const key = keyByFileKey.get(fileKey);
    if (!key) problems.push(`command line: unknown setting "${fileKey}"`);
    else raw.set(key, { value, source: "command line" });
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const [key, field] of Object.entries(spec)) {
    const given = raw.get(key);
    let value: unknown;
    if (given) {
      value = given.value;
      sources[key] = given.source;
    } else {
      value = typeof field.default === "function" ? (field.default as (resolved: Record<string, unknown>) => unknown)(values) : field.default;
      sources[key] = "default";
    }
    const parsed = field.type.schema.safeParse(value);
    if (parsed.success) {
      values[key] = parsed.data;
      continue;
    }
    const name = `${field.env} (${fileKeyOf(key)})`;
    if (value === undefined) {
      problems.push(`${name}: missing required value; expected ${field.type.expected}`);
    } else {
      const shown = field.secret ? "a value that" : `${describeValue(value)}, which`;
      problems.push(`${name}: got ${shown} is not ${field.type.expected}`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { values: Object.freeze(values) as ConfigOf<S>, sources: sources as LoadedConfig<S>["sources"], filePath };
}

function readConfigFile(
  choice: ConfigFileChoice | null,
  keyByFileKey: Map<string, string>,
  raw: Map<string, { value: unknown; source: ConfigSource }>,
  problems: string[],
): string | null {
  if (!choice) return null;
  if (!existsSync(choice.path)) {
    if (choice.required) problems.push(`config file ${choice.path}: not found`);
    return null;
  }
  let text: string;
  try {
    text = readFileSync(choice.path, "utf8");
  } catch (error) {
    problems.push(`config file ${choice.path}: cannot be read (${(error as Error).message})`);
    return null;
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) problems.push(`config file ${choice.path}: ${error.message.split("\n")[0]}`);
    return choice.path;
  }
  const content: unknown = document.toJS();
  if (content === null || content === undefined) return choice.path;
  if (!isPlainObject(content)) {
    problems.push(`config file ${choice.path}: expected a mapping of keys to values at the top level`);
    return choice.path;
  }
  const take = (fileKey: string, value: unknown, shownAs: string) => {
    const key = keyByFileKey.get(fileKey);
    if (!key) {
      const hint = closestKey(fileKey, [...keyByFileKey.keys()]);
      problems.push(`config file ${choice.path}: unknown key "${shownAs}"${hint ? ` (did you mean "${hint}"?)` : ""}`);
      return;
    }
    raw.set(key, { value, source: "file" });
  };
  for (const [fileKey, value] of Object.entries(content)) {
    // One level of sections (identifiers:, ingest:, …) groups keys for people; the keys stay flat.
    if (!keyByFileKey.has(fileKey) && isPlainObject(value)) {
      for (const [innerKey, innerValue] of Object.entries(value)) take(innerKey, innerValue, `${fileKey}.${innerKey}`);
    } else {
      take(fileKey, value, fileKey);
    }
  }
  return choice.path;
}

function applyEnvironment(
  environment: Record<string, string | undefined>,
  source: ConfigSource,
  keyByEnv: Map<string, string>,
  raw: Map<string, { value: unknown; source: ConfigSource }>,
  problems: string[],
  envPrefix: string | undefined,
): void {
  for (const [name, value] of Object.entries(environment)) {
    const key = keyByEnv.get(name);
    if (!key) {
      if (envPrefix && name.startsWith(envPrefix)) {
        const hint = closestKey(name, [...keyByEnv.keys()]);
        problems.push(`${name} (${source}): unknown setting${hint ? ` (did you mean ${hint}?)` : ""}`);
      }
      continue;
    }
    // An empty variable means "not set", as in the seed's `INTERNAL_TOKEN=` examples.
    if (value === undefined || value === "") continue;
    raw.set(key, { value, source });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describeValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function closestKey(input: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
