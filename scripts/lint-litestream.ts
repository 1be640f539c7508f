/**
 * Lints litestream.yml: Litestream ignores keys it does not know, so a typo silently disables a
 * setting. Checks known keys (Litestream 0.5), one replica per database, no two databases sharing a
 * replica destination, metrics bound to loopback, and this project's variables.
 *   bun scripts/lint-litestream.ts [file]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const topLevelKeys = new Set([
  "dbs", "addr", "logging", "exec", "levels", "snapshot", "l0-retention", "l0-retention-check-interval", "mcp-addr",
  "shutdown-sync-timeout", "shutdown-sync-interval", "access-key-id", "secret-access-key", "region", "endpoint",
  "force-path-style", "skip-verify", "sync-interval", "validation-interval",
]);
const databaseKeys = new Set([
  "path", "dir", "pattern", "recursive", "watch", "meta-path", "monitor-interval", "checkpoint-interval", "busy-timeout",
  "min-checkpoint-page-count", "truncate-page-n", "replica", "replicas",
]);
const replicaKeys = new Set([
  "type", "name", "path", "url", "sync-interval", "validation-interval",
  "access-key-id", "secret-access-key", "region", "bucket", "endpoint", "force-path-style", "sign-payload", "require-content-md5", "skip-verify", "part-size", "concurrency",
  "account-name", "account-key", "host", "user", "password", "key-path", "concurrent-writes", "host-key",
  "webdav-url", "webdav-username", "webdav-password",
]);
const loggingKeys = new Set(["level", "type", "stderr"]);
const secretKeys = ["secret-access-key", "account-key", "password", "webdav-password"];
/** Variables the installed command (scripts/deploy/salescontrol-command.sh) sets; anything else would expand to an empty string. */
export const unitVariables = new Set(["NODE", "DATA_DIR", "DEVICE_ID", "LITESTREAM_REPLICA_URL", "LITESTREAM_METRICS_PORT"]);

export function lintLitestreamConfig(source: string): string[] {
  const problems: string[] = [];
  for (const match of source.replace(/^\s*#.*$/gm, "").matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
    if (!unitVariables.has(match[1]!)) problems.push(`\${${match[1]}} is not set by the installed salescontrol-<node> command and would expand to an empty string`);
  }
  let config: unknown;
  try {
    config = parse(source, { uniqueKeys: true });
  } catch (error) {
    return [...problems, `not valid YAML: ${(error as Error).message.split("\n")[0]}`];
  }
  if (!isMapping(config)) return [...problems, "the top level must be a mapping"];

  unknownKeys(config, topLevelKeys, "top level", problems);
  if (isMapping(config.logging)) unknownKeys(config.logging, loggingKeys, "logging", problems);
  if (typeof config.addr === "string" && !/^127\.0\.0\.1:/.test(config.addr)) problems.push(`addr ${config.addr} must bind 127.0.0.1 so metrics stay on loopback`);
  for (const key of secretKeys) if (key in config) problems.push(`${key} must come from the environment, not the file`);

  if (!Array.isArray(config.dbs) || config.dbs.length === 0) return [...problems, "dbs must list at least one database"];
  const destinations = new Map<string, number>();
  config.dbs.forEach((db: unknown, index: number) => {
    const where = `dbs[${index}]`;
    if (!isMapping(db)) {
      problems.push(`${where} must be a mapping`);
      return;
    }
    unknownKeys(db, databaseKeys, where, problems);
    if (("path" in db) === ("dir" in db)) problems.push(`${where} needs exactly one of path and dir`);
    if (typeof db.path === "string" && !db.path.includes("${NODE}")) problems.push(`${where}.path should name the node's database as \${DATA_DIR}/\${NODE}.db`);
    if ("replica" in db && "replicas" in db) {
      problems.push(`${where} has both replica and replicas; Litestream 0.5 allows one replica per database`);
      return;
    }
    let replica: unknown = db.replica;
    if ("replicas" in db) {
      if (!Array.isArray(db.replicas) || db.replicas.length !== 1) {
        problems.push(`${where}.replicas must hold exactly one replica (Litestream 0.5 allows one per database)`);
        return;
      }
      replica = db.replicas[0];
    }
    if (!isMapping(replica)) {
      problems.push(`${where} has no replica`);
      return;
    }
    unknownKeys(replica, replicaKeys, `${where}.replica`, problems);
    for (const key of secretKeys) if (key in replica) problems.push(`${where}.replica.${key} must come from the environment, not the file`);
    const destination = typeof replica.url === "string" ? replica.url : [replica.type, replica.bucket, replica.host, replica.path].filter(Boolean).join(":");
    if (!destination) problems.push(`${where}.replica has neither url nor type/path`);
    if (typeof replica.url === "string" && "path" in replica) problems.push(`${where}.replica sets both url and path`);
    if (!destination.includes("${DEVICE_ID}")) problems.push(`${where}.replica destination must contain \${DEVICE_ID} so each machine replicates to its own path`);
    const previous = destinations.get(destination);
    if (previous !== undefined) problems.push(`${where}.replica writes to the same destination as dbs[${previous}]: ${destination}`);
    destinations.set(destination, index);
  });
  return problems;
}

function unknownKeys(mapping: Record<string, unknown>, known: Set<string>, where: string, problems: string[]): void {
  for (const key of Object.keys(mapping)) if (!known.has(key)) problems.push(`${where}: unknown key "${key}" (Litestream would ignore it)`);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

if (import.meta.main) {
  const file = process.argv[2] ?? join(import.meta.dir, "../litestream.yml");
  const problems = lintLitestreamConfig(readFileSync(file, "utf8"));
  if (problems.length > 0) {
    console.error(`${file}:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    process.exit(1);
  }
  console.log(`${file}: ok`);
}
