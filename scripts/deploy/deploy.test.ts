import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { piConfigSpec } from "../../pi/config.ts";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { fileKeyOf } from "../../shared/config/config-spec.ts";
import { parseDotenv } from "../../shared/config/dotenv.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { configSpecs } from "../config-reference.ts";
import { lintLitestreamConfig, unitVariables } from "../lint-litestream.ts";

const here = import.meta.dir;
const root = join(here, "../..");

/** systemd unit → key → values (keys may repeat). */
function parseUnit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    entries.set(match[1]!, [...(entries.get(match[1]!) ?? []), match[2]!]);
  }
  return entries;
}

describe("litestream.yml", () => {
  test("the shipped file passes the lint", () => {
    expect(lintLitestreamConfig(readFileSync(join(root, "litestream.yml"), "utf8"))).toEqual([]);
  });

  test("the lint catches unknown keys, several replicas, shared destinations, public metrics and stray variables", () => {
    const bad = `
addr: "0.0.0.0:9090"
snapshot-interval: 1h
dbs:
  - path: \${DATA_DIR}/\${NODE}.db
    replicas:
      - url: s3://bucket/\${NODE}/\${DEVICE_ID}
      - url: file:///backup/\${NODE}/\${DEVICE_ID}
  - path: \${DATA_DIR}/\${NODE}-b.db
    replica:
      url: s3://bucket/x/\${DEVICE_ID}
      sync-intervall: 1s
  - path: \${DATA_DIR}/\${NODE}-c.db
    replica:
      url: s3://bucket/x/\${DEVICE_ID}
  - path: \${DATA_DIR}/\${NODE}-d.db
    replica:
      url: s3://bucket/\${HOSTNAME}
`;
    const problems = lintLitestreamConfig(bad);
    expect(problems).toEqual([
      "${HOSTNAME} is not set by the systemd units and would expand to an empty string",
      'top level: unknown key "snapshot-interval" (Litestream would ignore it)',
      "addr 0.0.0.0:9090 must bind 127.0.0.1 so metrics stay on loopback",
      "dbs[0].replicas must hold exactly one replica (Litestream 0.5 allows one per database)",
      'dbs[1].replica: unknown key "sync-intervall" (Litestream would ignore it)',
      "dbs[2].replica writes to the same destination as dbs[1]: s3://bucket/x/${DEVICE_ID}",
      "dbs[3].replica destination must contain ${DEVICE_ID} so each machine replicates to its own path",
    ]);
    expect(lintLitestreamConfig("dbs: []\n")).toEqual(["dbs must list at least one database"]);
    expect(lintLitestreamConfig("dbs:\n  - path: /x/${NODE}.db\n    replica:\n      url: s3://b/${DEVICE_ID}\n      secret-access-key: abc\n")).toEqual([
      "dbs[0].replica.secret-access-key must come from the environment, not the file",
    ]);
  });
});

describe.each(["core", "edge", "pi"] as const)("salescontrol-%s.service", (node) => {
  const unit = parseUnit(readFileSync(join(here, `salescontrol-${node}.service`), "utf8"));
  const environment = new Map((unit.get("Environment") ?? []).map((entry) => entry.split("=", 2) as [string, string]));
  const dataDir = `/var/lib/salescontrol/${node}`;

  test("runs the node under litestream replicate -exec and restores a missing database first", () => {
    expect(unit.get("ExecStart")).toEqual([`/usr/bin/litestream replicate -config /etc/salescontrol/litestream.yml -exec "/usr/local/bin/salescontrol-${node} serve"`]);
    expect(unit.get("ExecStartPre")).toEqual([
      `/usr/bin/litestream restore -config /etc/salescontrol/litestream.yml -if-db-not-exists -if-replica-exists ${dataDir}/${node}.db`,
    ]);
    expect(unit.get("KillSignal")).toEqual(["SIGTERM"]);
    // Litestream alone gets the SIGTERM and forwards it, so the node is stopped once and exits 0.
    expect(unit.get("KillMode")).toEqual(["mixed"]);
    expect(unit.get("Restart")).toEqual(["on-failure"]);
  });

  test("sets every variable litestream.yml expands, and tells the node it runs under Litestream", () => {
    expect(environment.get("NODE")).toBe(node);
    expect(environment.get("DATA_DIR")).toBe(dataDir);
    for (const variable of unitVariables) {
      if (variable === "LITESTREAM_REPLICA_URL") continue; // site-specific: from the env file
      expect(environment.has(variable)).toBe(true);
    }
    const envExample = parseDotenv(readFileSync(join(here, `${node}.env.example`), "utf8"));
    expect(envExample.LITESTREAM_REPLICA_URL).toBeTruthy();
    expect(environment.get(node === "pi" ? "RA_LITESTREAM" : "LITESTREAM")).toBe("true");
    if (node === "pi") expect(environment.get("RA_DATA_DIR")).toBe(dataDir);
    expect(unit.get("EnvironmentFile")).toEqual([`/etc/salescontrol/${node}.env`]);
  });

  test("keeps its data and an exec-able TMPDIR under /var/lib, the only writable place", () => {
    expect(environment.get("TMPDIR")).toBe(`${dataDir}/tmp`);
    expect(unit.get("StateDirectory")).toEqual([`salescontrol/${node} salescontrol/${node}/tmp`]);
    expect(unit.get("ProtectSystem")).toEqual(["strict"]);
    expect(unit.get("ReadWritePaths")?.[0]).toStartWith(dataDir);
  });

  test("every setting in the env example is a setting the node knows", () => {
    const known = new Set([...Object.values(configSpecs[node]!).map((field) => field.env), ...unitVariables, "LITESTREAM_ACCESS_KEY_ID", "LITESTREAM_SECRET_ACCESS_KEY"]);
    const text = readFileSync(join(here, `${node}.env.example`), "utf8");
    const mentioned = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]!);
    expect(mentioned.length).toBeGreaterThan(0);
    for (const name of mentioned) expect(known.has(name) ? name : `unknown: ${name}`).toBe(name);
  });
});

describe("the recorder's deployment", () => {
  const unit = parseUnit(readFileSync(join(here, "salescontrol-pi.service"), "utf8"));
  const environment = new Map((unit.get("Environment") ?? []).map((entry) => entry.split("=", 2) as [string, string]));

  test("keeps database and spool in the state directory Litestream and the unit agree on", () => {
    const dataDir = environment.get("DATA_DIR")!;
    expect(environment.get("RA_DATA_DIR")).toBe(dataDir);
    expect(environment.get("RA_SPOOL_DIR")).toBe(`${dataDir}/spool`);
    expect(unit.get("ReadWritePaths")?.[0]?.split(" ")).toContain(dataDir);
    expect(unit.get("ExecStartPre")?.[0]).toEndWith(`${dataDir}/pi.db`);
  });

  test("stops through Litestream alone, so the recorder can finish the current chunk", () => {
    expect(unit.get("KillMode")).toEqual(["mixed"]);
    expect(Number(unit.get("TimeoutStopSec")?.[0])).toBeGreaterThanOrEqual(30);
    expect(unit.get("SupplementaryGroups")).toEqual(["audio"]);
  });

  test("config.yaml.example names only settings the recorder knows and loads once filled in", () => {
    const text = readFileSync(join(root, "pi/config.yaml.example"), "utf8");
    const known = new Set(Object.keys(piConfigSpec).map(fileKeyOf));
    const mentioned = [...text.matchAll(/^#?\s*([a-z_]+):(?:\s|$)/gm)].map((match) => match[1]!).filter((key) => key !== "identifiers" && key !== "ingest");
    expect(mentioned.length).toBeGreaterThan(15);
    for (const key of mentioned) expect(known.has(key) ? key : `unknown: ${key}`).toBe(key);
    const dir = makeTempDir();
    try {
      const filled = text
        .replace("<POINT_ID>", "00000000-0000-0000-0000-000000000001")
        .replace("<REGISTER_ID>", "00000000-0000-0000-0000-000000000002")
        .replace("<DEVICE_ID>", "00000000-0000-0000-0000-000000000003")
        .replace("<DEVICE_TOKEN>", "0123456789abcdef");
      writeFileSync(dir.join("config.yaml"), filled);
      const loaded = loadConfig(piConfigSpec, { env: {}, file: { path: dir.join("config.yaml"), required: true }, dotenvPath: null });
      expect(loaded.values).toMatchObject({ deviceId: "00000000-0000-0000-0000-000000000003", scheduleStart: "08:00", chunkSeconds: 60 });
    } finally {
      dir.remove();
    }
  });
});

describe("install.sh", () => {
  test("is valid bash and refuses to run without a node and a binary", async () => {
    const script = join(here, "install.sh");
    expect((await runCommand("bash", ["-n", script])).code).toBe(0);
    const usage = await runCommand("bash", [script]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage:");
    const missing = await runCommand("bash", [script, "core", "/nonexistent/binary"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("binary not found");
  });
});
