import type { ConfigType } from "./config-types.ts";

/** One setting: where it comes from, what it must look like, and what it means. */
export interface ConfigField<T = unknown> {
  type: ConfigType<T>;
  /** Environment variable that sets it. */
  env: string;
  /** A fixed default, or one derived from settings declared before it. */
  default?: T | ((resolved: Record<string, unknown>) => T);
  /** One sentence for --help, check-config and the README reference. */
  description: string;
  secret?: boolean;
}

export type ConfigSpec = Record<string, ConfigField<any>>;

export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends ConfigField<infer T> ? T : never;
};

export function field<T>(type: ConfigType<T>, options: Omit<ConfigField<T>, "type">): ConfigField<T> {
  return { type, ...options };
}

/** camelCase spec key → snake_case file key (`databaseUrl` → `database_url`). */
export function fileKeyOf(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
