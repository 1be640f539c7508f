import { readFileSync } from "node:fs";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { parseAstguiclientConf } from "./astguiclient-conf.ts";
import { parseDidsConf } from "./dids-conf.ts";
import type { vicidialConfig } from "./vicidial.config.ts";

export type SettingSource = "setting" | "astguiclient.conf" | "dids.conf" | "default";

export interface VicidialDatabaseSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sources: Record<"host" | "port" | "user" | "password" | "database", SettingSource>;
}

export interface DidOptimizerApiSettings {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
  sources: Record<"baseUrl" | "apiKey", SettingSource | "none">;
}

export interface ConfigFileState {
  path: string;
  state: "read" | "missing" | "unreadable";
  error?: string;
}

export interface VicidialSettings {
  database: VicidialDatabaseSettings;
  api: DidOptimizerApiSettings;
  files: { astguiclient: ConfigFileState; dids: ConfigFileState };
  /** Values present but unusable (a port that is not a number, …): the sync reports them and waits. */
  problems: string[];
}

export const vicidialDefaults = { host: "localhost", port: 3306, user: "cron", password: "1234", database: "asterisk", apiBaseUrl: "http://127.0.0.1:8000" };
const defaultApiTimeoutMs = 30_000;

type FileReader = (path: string) => string;

/**
 * The effective VICIdial database and DID Optimizer API settings: the edge's own settings (env,
 * .env, -c file) override the VICIdial files, astguiclient.conf wins over dids.conf's db_* keys,
 * and VICIdial's defaults fill the rest. A missing file is normal; an unreadable one is reported.
 */
export function resolveVicidialSettings(config: ConfigOf<typeof vicidialConfig>, readText: FileReader = (path) => readFileSync(path, "utf8")): VicidialSettings {
  const problems: string[] = [];
  const astguiclient = readOptional(config.astguiclientConf, readText);
  const dids = readOptional(config.didsConf, readText);
  const agc = astguiclient.text === null ? {} : parseAstguiclientConf(astguiclient.text);
  const ini = dids.text === null ? new Map<string, string>() : parseDidsConf(dids.text);

  const pick = <T>(setting: T | undefined, fromAgc: T | undefined, fromIni: T | undefined, fallback: T): [T, SettingSource] => {
    if (setting !== undefined) return [setting, "setting"];
    if (fromAgc !== undefined) return [fromAgc, "astguiclient.conf"];
    if (fromIni !== undefined) return [fromIni, "dids.conf"];
    return [fallback, "default"];
  };
  // VICIdial itself treats an empty server, database or user as absent, and an empty or zero port as 3306.
  const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
  const [host, hostSource] = pick(config.vicidialDbHost, nonEmpty(agc.server), nonEmpty(ini.get("db_host")), vicidialDefaults.host);
  const [database, databaseSource] = pick(config.vicidialDbName, nonEmpty(agc.database), nonEmpty(ini.get("db_name")), vicidialDefaults.database);
  const [user, userSource] = pick(config.vicidialDbUser, nonEmpty(agc.user), nonEmpty(ini.get("db_user")), vicidialDefaults.user);
  const [password, passwordSource] = pick(config.vicidialDbPass, agc.pass, ini.get("db_pass"), vicidialDefaults.password);
  const portText = (value: string | undefined, where: string) => {
    if (value === undefined || value === "" || value === "0") return undefined;
    const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) {
      problems.push(`${where}: database port "${value}" is not a TCP port number`);
      return undefined;
    }
    return port;
  };
  const [port, portSource] = pick(
    config.vicidialDbPort,
    portText(agc.port, `${config.astguiclientConf} VARDB_port`),
    portText(ini.get("db_port"), `${config.didsConf} db_port`),
    vicidialDefaults.port,
  );

  const [baseUrl, baseUrlSource] = pick(config.didOptimizerApiUrl, undefined, apiBaseUrlOf(ini, config.didsConf, problems), vicidialDefaults.apiBaseUrl);
  const fileKey = nonEmpty(ini.get("api_key"));
  const apiKey = config.didOptimizerApiKey ?? fileKey ?? null;
  const timeoutSeconds = Number(ini.get("api_timeout"));
  for (const file of [astguiclient, dids]) if (file.state.state === "unreadable") problems.push(`${file.state.path}: cannot be read (${file.state.error})`);

  return {
    database: { host, port, user, password, database, sources: { host: hostSource, port: portSource, user: userSource, password: passwordSource, database: databaseSource } },
    api: {
      baseUrl,
      apiKey,
      timeoutMs: Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : defaultApiTimeoutMs,
      sources: { baseUrl: baseUrlSource, apiKey: config.didOptimizerApiKey !== undefined ? "setting" : fileKey !== undefined ? "dids.conf" : "none" },
    },
    files: { astguiclient: astguiclient.state, dids: dids.state },
    problems,
  };
}

/** `api_base_url`, or the base of the older `api_url` (the full …/api/v1/dids/next address). */
function apiBaseUrlOf(ini: Map<string, string>, path: string, problems: string[]): string | undefined {
  const given = ini.get("api_base_url") || ini.get("api_url");
  if (!given) return undefined;
  try {
    const url = new URL(given);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
    const base = `${url.origin}${url.pathname.replace(/\/api\/v1(\/.*)?$/, "")}`;
    return base.replace(/\/+$/, "");
  } catch {
    problems.push(`${path}: api_base_url "${given}" is not an http(s) URL`);
    return undefined;
  }
}

function readOptional(path: string, readText: FileReader): { text: string | null; state: ConfigFileState } {
  try {
    return { text: readText(path), state: { path, state: "read" } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { text: null, state: { path, state: "missing" } };
    return { text: null, state: { path, state: "unreadable", error: code ?? (error as Error).message } };
  }
}

/** The database as logs and messages name it: `user@host:port/database`, never the password. */
export function describeDatabase(database: Pick<VicidialDatabaseSettings, "user" | "host" | "port" | "database">): string {
  return `${database.user}@${database.host}:${database.port}/${database.database}`;
}

/** The settings as check-config style lines, the password and key masked. */
export function describeVicidialSettings(settings: VicidialSettings): string[] {
  const { database, api } = settings;
  return [
    `vicidial database: ${describeDatabase(database)} (host from ${database.sources.host}, user from ${database.sources.user}, password from ${database.sources.password})`,
    `did optimizer api: ${api.baseUrl} (from ${api.sources.baseUrl}), api key ${api.apiKey ? `set (from ${api.sources.apiKey})` : "missing"}`,
    `files: ${settings.files.astguiclient.path} ${settings.files.astguiclient.state}, ${settings.files.dids.path} ${settings.files.dids.state}`,
    ...settings.problems.map((problem) => `problem: ${problem}`),
  ];
}
