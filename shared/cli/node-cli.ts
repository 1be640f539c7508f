import { dirname } from "node:path";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/config-loader.ts";
import { formatEffectiveConfig } from "../config/config-report.ts";
import { unwritableDirectoryProblems } from "../config/writable-directories.ts";
import type { ConfigSpec } from "../config/config-spec.ts";
import { fileKeyOf } from "../config/config-spec.ts";
import { BackupError, backupDatabase } from "../db/backup.ts";
import { applyMigrations, MigrationError } from "../db/migrations.ts";
import { databaseFilePath, type NodeDatabase, openDatabase } from "../db/open-database.ts";
import { runDatabaseSelfTest } from "../db/self-test.ts";
import { MetricsRegistry, registerProcessMetrics } from "../http/metrics.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { buildInfo, describeBuild } from "../runtime/build-info.ts";
import { systemClock } from "../runtime/clock.ts";
import type { CommandOutput } from "./command-output.ts";
import type { DatabaseCommand, NodeContext, NodeDefinition } from "./node-definition.ts";

export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: commands redraw progress on one line. */
  interactive?: boolean;
}

const shutdownGraceMs = 25_000;
const duplicateSignalWindowMs = 5_000;

/** Exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
export async function runNodeCli<S extends ConfigSpec, T extends Record<string, unknown>>(
  node: NodeDefinition<S, T>,
  io: CliIo = {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
  },
): Promise<number> {
  // Built-in commands and the node's own print through the same output.
  const output: CommandOutput = { out: io.stdout, err: io.stderr, interactive: io.interactive ?? false };
  let parsed: ParsedArguments;
  try {
    parsed = parseArguments(io.argv);
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${usageText(node)}`);
    return 2;
  }
  if (parsed.flags.has("version")) {
    output.out(`${describeBuild(node.name)}\n`);
    return 0;
  }
  const command = parsed.command ?? "serve";
  if (parsed.flags.has("help") || command === "help") {
    output.out(usageText(node));
    return 0;
  }
  const known = ["serve", "migrate", "check-config", "backup", "self-test", ...Object.keys(node.commands ?? {})];
  if (!known.includes(command)) {
    output.err(`unknown command "${command}"\n\n${usageText(node)}`);
    return 2;
  }

  let loaded: LoadedConfig<S>;
  try {
    const file = parsed.configFile
      ? { path: parsed.configFile, required: true }
      : node.defaultConfigFile
        ? { path: node.defaultConfigFile, required: false }
        : null;
    const overrides = parsed.logLevel === null ? undefined : { log_level: parsed.logLevel };
    loaded = loadConfig(node.configSpec, { env: io.env, file, envPrefix: node.envPrefix, overrides });
    const problems = node.checkConfig?.(loaded.values) ?? [];
    if (problems.length > 0) throw new ConfigError(problems);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(`salescontrol-${node.name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  if (command === "check-config") {
    output.out(formatEffectiveConfig(node.configSpec, loaded));
    const setup = node.describeSetup?.(loaded.values) ?? [];
    if (setup.length > 0) output.out(`\n${setup.join("\n")}\n`);
    return 0;
  }

  const config = loaded.values;
  const logger = createLogger({ node: node.name, level: node.logLevel(config) });
  const nodeCommand = node.commands?.[command];
  if (nodeCommand?.database === false) {
    return runWithSignals((signal) => nodeCommand.run({ config, logger, clock: systemClock, output, shutdown: signal }, parsed.positionals));
  }
  const databaseOptions = node.database(config);
  if (command === "serve" || command === "self-test") {
    const filePath = databaseFilePath(databaseOptions.url);
    const spec = node.configSpec as ConfigSpec;
    const databaseSetting = `${spec.dataDir?.env ?? "DATA_DIR"} / ${spec.databaseUrl?.env ?? "DATABASE_URL"}`;
    const directories = [...(filePath && filePath !== ":memory:" ? [{ setting: databaseSetting, path: dirname(filePath) }] : []), ...(node.writableDirectories?.(config) ?? [])];
    const problems = unwritableDirectoryProblems(node.name, directories);
    if (problems.length > 0) {
      output.err(`salescontrol-${node.name}: ${new ConfigError(problems).message}\n`);
      return 2;
    }
  }
  let database: NodeDatabase<T>;
  try {
    database = openDatabase({ url: databaseOptions.url, authToken: databaseOptions.authToken, underLitestream: databaseOptions.underLitestream }, node.schema);
  } catch (error) {
    output.err(`salescontrol-${node.name}: cannot open database ${databaseOptions.url}: ${(error as Error).message}\n`);
    return 1;
  }

  try {
    const migrated = await applyMigrations(database.client, node.migrations);
    if (command === "migrate") {
      output.out(
        migrated.applied.length > 0
          ? `applied ${migrated.applied.length} migration(s): ${migrated.applied.join(", ")}\n`
          : `database is up to date (${migrated.alreadyApplied} migration(s) applied)\n`,
      );
      return 0;
    }
    if (migrated.applied.length > 0) logger.info("migrations applied", { migrations: migrated.applied });

    if (command === "backup") {
      const target = parsed.positionals[0];
      if (!target) {
        output.err(`usage: salescontrol-${node.name} backup <file>\n`);
        return 2;
      }
      const written = await backupDatabase(database.client, target);
      output.out(`backup written to ${written.path} (${written.bytes} bytes)\n`);
      return 0;
    }

    if (command === "self-test") {
      const result = await runDatabaseSelfTest(database.client, { underLitestream: databaseOptions.underLitestream, isFile: database.filePath !== null });
      output.out(`${JSON.stringify({ node: node.name, version: buildInfo.version, commit: buildInfo.commit, arch: process.arch, database: { path: database.filePath, ...result } }, null, 2)}\n`);
      return result.ok ? 0 : 1;
    }

    const metrics = new MetricsRegistry();
    registerProcessMetrics(metrics, { node: node.name, version: buildInfo.version, commit: buildInfo.commit }, Date.now());
    const shutdown = new AbortController();
    const context: NodeContext<S, T> = { config, database, logger, metrics, clock: systemClock, shutdown: shutdown.signal };

    if (command !== "serve") return await runWithSignals((signal) => (nodeCommand as DatabaseCommand<S, T>).run({ ...context, output, shutdown: signal }, parsed.positionals));
    return await serveUntilSignalled(node, context, logger, shutdown);
  } catch (error) {
    // A node may refuse settings that only matter to one command (serve's admin token).
    if (error instanceof ConfigError) {
      output.err(`salescontrol-${node.name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof MigrationError || error instanceof BackupError) {
      output.err(`salescontrol-${node.name}: ${error.message}\n`);
      return 1;
    }
    logger.error("command failed", { command, error, stack: (error as Error).stack });
    output.err(`salescontrol-${node.name}: ${command} failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    database.close();
  }
}

/** Runs a one-off command; SIGTERM/SIGINT abort the signal it is given instead of killing it mid-write. */
async function runWithSignals(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await run(stop.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

async function serveUntilSignalled<S extends ConfigSpec, T extends Record<string, unknown>>(
  node: NodeDefinition<S, T>,
  context: NodeContext<S, T>,
  logger: Logger,
  shutdown: AbortController,
): Promise<number> {
  let firstSignalAt: number | null = null;
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (signal: string) => {
      if (firstSignalAt === null) {
        firstSignalAt = Date.now();
        resolve(signal);
        return;
      }
      // Under systemd, Litestream forwards the unit's SIGTERM and systemd may deliver its own:
      // one stop, two signals. Only a later, deliberate second signal cuts the shutdown short.
      if (Date.now() - firstSignalAt < duplicateSignalWindowMs) return;
      logger.warn("second stop signal; exiting without waiting", { signal });
      process.exit(1);
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  });
  const running = await node.serve(context);
  logger.info("serving", { url: running.url, version: buildInfo.version, commit: buildInfo.commit, pid: process.pid });
  const signal = await stopRequested;
  logger.info("stopping", { signal });
  shutdown.abort();
  const stopped = running.stop().then(() => "stopped" as const);
  const outcome = await Promise.race([stopped, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), shutdownGraceMs).unref())]);
  if (outcome === "timeout") logger.warn("in-flight work did not finish in time; closing anyway", { graceMs: shutdownGraceMs });
  logger.info("stopped");
  return 0;
}

interface ParsedArguments {
  command: string | null;
  positionals: string[];
  flags: Set<string>;
  configFile: string | null;
  logLevel: string | null;
}

function parseArguments(argv: string[]): ParsedArguments {
  const result: ParsedArguments = { command: null, positionals: [], flags: new Set(), configFile: null, logLevel: null };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === "--version" || argument === "-V") result.flags.add("version");
    else if (argument === "--help" || argument === "-h") result.flags.add("help");
    else if (argument === "-c" || argument === "--config") {
      const value = argv[++index];
      if (!value) throw new Error(`${argument} needs a file path`);
      result.configFile = value;
    } else if (argument.startsWith("--config=")) result.configFile = argument.slice("--config=".length);
    else if (argument === "--log-level") {
      const value = argv[++index];
      if (!value) throw new Error("--log-level needs a level (debug, info, warn, error)");
      result.logLevel = value;
    } else if (argument.startsWith("--log-level=")) result.logLevel = argument.slice("--log-level=".length);
    else if (result.command === null && !argument.startsWith("-")) result.command = argument;
    else result.positionals.push(argument);
  }
  return result;
}

export function usageText<S extends ConfigSpec, T extends Record<string, unknown>>(node: NodeDefinition<S, T>): string {
  const commands: Array<[string, string]> = [
    ["serve", "run the node (default)"],
    ["migrate", "apply database migrations and exit"],
    ["check-config", "print the effective configuration, secrets masked"],
    ["backup <file>", "write a consistent snapshot of the database to <file>"],
    ["self-test", "prove this host can run the node: database write/read round trip and pragmas"],
    ...Object.values(node.commands ?? {}).map((command) => [command.usage, command.summary] as [string, string]),
  ];
  const width = Math.max(...commands.map(([usage]) => usage.length));
  const settings = Object.entries(node.configSpec).map(([key, field]) => `  ${field.env.padEnd(28)} ${fileKeyOf(key).padEnd(24)} ${field.description}`);
  return [
    `salescontrol-${node.name} — ${node.summary}`,
    "",
    `usage: salescontrol-${node.name} [-c <config file>] [command] [arguments]`,
    "",
    "commands:",
    ...commands.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    "options:",
    `  -c, --config <file>  read settings from a YAML file${node.defaultConfigFile ? ` (default ${node.defaultConfigFile}, if present)` : ""}`,
    "  --log-level <level>  least severe log level written (debug, info, warn, error; any case), beating the settings",
    "  -h, --help           show this text",
    "  -V, --version        print version and commit",
    "",
    "settings (environment variable, config file key, meaning; a .env file in the working directory is honoured):",
    ...settings,
    "",
  ].join("\n");
}
