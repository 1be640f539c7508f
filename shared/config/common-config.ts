import { join } from "node:path";
import { field } from "./config-spec.ts";
import { addressAllowList } from "../http/address-list.ts";
import { databaseUrl, flag, logLevel, optional, port, text } from "./config-types.ts";

/** Where a node keeps its data and which database it opens. */
export function storageConfig(node: string, env: { dataDir: string; databaseUrl: string; databaseAuthToken: string; litestream: string; logLevel: string }, defaultDataDir = `./data/${node}`) {
  return {
    dataDir: field(text({ minLength: 1 }), {
      env: env.dataDir,
      default: defaultDataDir,
      description: `Directory for the ${node} node's database and files.`,
    }),
    databaseUrl: field(databaseUrl(), {
      env: env.databaseUrl,
      default: (resolved) => `file:${join(String(resolved.dataDir), `${node}.db`)}`,
      description: `Database: file:<path> (embedded, default <data_dir>/${node}.db) or libsql://host for a libSQL server.`,
    }),
    databaseAuthToken: field(optional(text()), {
      env: env.databaseAuthToken,
      description: "Auth token for a libsql:// database server.",
      secret: true,
    }),
    litestream: field(flag(), {
      env: env.litestream,
      default: false,
      description: "Set when the node runs under `litestream replicate -exec`: the node then never checkpoints the WAL itself.",
    }),
    logLevel: field(logLevel(), { env: env.logLevel, default: "info" as const, description: "Least severe log level written to stderr." }),
  };
}

/** The HTTP listener, and the proxies in front of it whose forwarding headers are believed. */
export function listenConfig(options: { hostEnv: string; portEnv: string; defaultHost: string; defaultPort: number }) {
  return {
    host: field(text({ minLength: 1 }), { env: options.hostEnv, default: options.defaultHost, description: "Address the HTTP server listens on." }),
    port: field(port(), { env: options.portEnv, default: options.defaultPort, description: "TCP port of the HTTP server (0 picks a free port)." }),
    trustedProxies: field(optional(addressAllowList()), {
      env: "TRUSTED_PROXIES",
      description:
        "Proxies (a TLS proxy on this host: loopback) whose X-Forwarded-For, Forwarded and X-Real-IP headers name the real client; unset trusts none, and a request with those headers from any other peer is never treated as loopback.",
    }),
  };
}
