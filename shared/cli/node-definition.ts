import type { CommandOutput } from "./command-output.ts";
import type { ConfigOf, ConfigSpec } from "../config/config-spec.ts";
import type { Migration } from "../db/migrations.ts";
import type { NodeDatabase } from "../db/open-database.ts";
import type { MetricsRegistry } from "../http/metrics.ts";
import type { Logger, LogLevel } from "../log/logger.ts";
import type { Clock } from "../runtime/clock.ts";

export type NodeName = "core" | "edge" | "pi";

export interface NodeContext<S extends ConfigSpec, TSchema extends Record<string, unknown>> {
  config: ConfigOf<S>;
  database: NodeDatabase<TSchema>;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  /** Aborts when the node is asked to stop (SIGTERM/SIGINT). */
  shutdown: AbortSignal;
}

/** What `serve` leaves running; `stop` must stop accepting work and finish what is in flight. */
export interface RunningNode {
  /** Where the node listens, for the start-up log line. */
  url: string;
  stop(): Promise<void>;
}

export type NodeCommand<S extends ConfigSpec, TSchema extends Record<string, unknown>> = DatabaseCommand<S, TSchema> | CommandWithoutDatabase<S>;

/** What a one-off command runs with: the node's context and the one place it prints to. */
export interface CommandContext<S extends ConfigSpec, TSchema extends Record<string, unknown>> extends NodeContext<S, TSchema> {
  /** The command's result on `out`; progress and errors on `err`. */
  output: CommandOutput;
}

export interface DatabaseCommand<S extends ConfigSpec, TSchema extends Record<string, unknown>> {
  usage: string;
  summary: string;
  database?: true;
  /** Returns the process exit code. */
  run(context: CommandContext<S, TSchema>, args: string[]): Promise<number>;
}

/** A command that never opens (or creates) the database, e.g. listing the microphones. */
export interface CommandWithoutDatabase<S extends ConfigSpec> {
  usage: string;
  summary: string;
  database: false;
  run(context: Omit<CommandContext<S, Record<string, unknown>>, "database" | "metrics">, args: string[]): Promise<number>;
}

/** A directory the node writes, and the setting that names it (for the message when it cannot). */
export interface WritableDirectory {
  setting: string;
  path: string;
}

export interface NodeDefinition<S extends ConfigSpec, TSchema extends Record<string, unknown>> {
  name: NodeName;
  summary: string;
  configSpec: S;
  /** A config file read when present (the recorder's /etc/recorder-agent/config.yaml). */
  defaultConfigFile?: string;
  /** Environment variables with this prefix must be known settings. */
  envPrefix?: string;
  schema: TSchema;
  migrations: readonly Migration[];
  /** Checks that span several settings; each returned problem names its keys and stops the node (exit 2). */
  checkConfig?(config: ConfigOf<S>): string[];
  /** Directories `serve` and `self-test` must be able to write; checked before the database opens. */
  writableDirectories?(config: ConfigOf<S>): WritableDirectory[];
  /** Lines `check-config` prints under the settings: what they add up to (where data is sent). */
  describeSetup?(config: ConfigOf<S>): string[];
  database(config: ConfigOf<S>): { url: string; authToken?: string; underLitestream: boolean };
  logLevel(config: ConfigOf<S>): LogLevel;
  serve(context: NodeContext<S, TSchema>): Promise<RunningNode>;
  commands?: Record<string, NodeCommand<S, TSchema>>;
}
