import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
      "${HOSTNAME} is not set by the installed salescontrol-<node> command and would expand to an empty string",
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
  const text = readFileSync(join(here, `salescontrol-${node}.service`), "utf8");
  const unit = parseUnit(text);
  const dataDir = `/var/lib/salescontrol/${node}`;

  test("starts the installed command, which reads the settings and picks Litestream or not itself", () => {
    expect(unit.get("ExecStart")).toEqual([`/usr/local/bin/salescontrol-${node} serve`]);
    // Neither a hard dependency on /usr/bin/litestream nor settings a shell would not get.
    expect(text).not.toMatch(/^[^#]*litestream/m);
    expect(unit.get("ExecStartPre")).toBeUndefined();
    expect(unit.get("Environment")).toBeUndefined();
    expect(unit.get("EnvironmentFile")).toBeUndefined();
    expect(unit.get("KillSignal")).toEqual(["SIGTERM"]);
    // Only the main process (Litestream, or the node) gets the SIGTERM, so the node is stopped once and exits 0.
    expect(unit.get("KillMode")).toEqual(["mixed"]);
    expect(unit.get("Restart")).toEqual(["on-failure"]);
  });

  test("keeps its data and an exec-able TMPDIR under /var/lib, the only writable place", () => {
    expect(unit.get("StateDirectory")).toEqual([`salescontrol/${node} salescontrol/${node}/tmp`]);
    expect(unit.get("User")).toEqual(["salescontrol"]);
    expect(unit.get("ProtectSystem")).toEqual(["strict"]);
    expect(unit.get("ReadWritePaths")?.[0]?.split(" ")).toEqual([dataDir, "-/var/backups/salescontrol"]);
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

describe("the installed command (salescontrol-command.sh)", () => {
  const template = readFileSync(join(here, "salescontrol-command.sh"), "utf8");

  test("sets every variable litestream.yml expands, TMPDIR inside the state directory, and the recorder's paths", () => {
    expect(template).toContain('export NODE="$node" DATA_DIR="$state" TMPDIR="$state/tmp" DEVICE_ID="$(uname -n)"');
    expect(template).toContain('pi) export LITESTREAM_METRICS_PORT=9092 RA_DATA_DIR="$state" RA_SPOOL_DIR="$state/spool" ;;');
    for (const variable of unitVariables) {
      if (variable === "LITESTREAM_REPLICA_URL") continue; // site-specific: from the env file
      expect(template).toMatch(new RegExp(`export [^\\n]*\\b${variable}=`));
    }
    for (const node of ["core", "edge", "pi"]) expect(parseDotenv(readFileSync(join(here, `${node}.env.example`), "utf8")).LITESTREAM_REPLICA_URL).toBeTruthy();
  });

  test("is a POSIX shell script that reads the env file as systemd would, and the env file beats the caller", async () => {
    expect((await runCommand("sh", ["-n", join(here, "salescontrol-command.sh")])).code).toBe(0);
    const dir = makeTempDir();
    try {
      const root = dir.path;
      mkdirSync(join(root, "usr/local/lib/salescontrol"), { recursive: true });
      mkdirSync(join(root, "etc/salescontrol"), { recursive: true });
      writeFileSync(join(root, "usr/local/lib/salescontrol/salescontrol-core"), '#!/bin/sh\nenv | sort\necho "args: $*"\n', { mode: 0o755 });
      writeFileSync(join(root, "usr/local/bin-command"), template.replaceAll("@NODE@", "core").replaceAll("@ROOT@", root).replaceAll("@USER@", (await runCommand("id", ["-un"])).stdout.trim()), { mode: 0o755 });
      writeFileSync(
        join(root, "etc/salescontrol/core.env"),
        '# comment\r\n  ; another\r\nexport ADMIN_TOKEN="quoted value $HOME"\r\nPORT = 8123\nBASE_URL=\'https://core.example.com\'\nDATA_DIR=/srv/core\nnot a setting\nLITESTREAM_REPLICA_URL=\n',
      );
      const result = await runCommand(join(root, "usr/local/bin-command"), ["backup", "/tmp/x y.db"], { env: { PATH: "/usr/bin:/bin", PORT: "9999", LITESTREAM: "true" } });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const env = Object.fromEntries(result.stdout.split("\n").filter((line) => line.includes("=")).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
      expect(env).toMatchObject({ ADMIN_TOKEN: "quoted value $HOME", PORT: "8123", BASE_URL: "https://core.example.com", DATA_DIR: "/srv/core", NODE: "core", LITESTREAM: "false" });
      expect(env.TMPDIR).toBe(join(root, "var/lib/salescontrol/core/tmp"));
      expect(result.stdout).toContain("args: backup /tmp/x y.db");
    } finally {
      dir.remove();
    }
  });
  test("an env file the service user cannot read stops the command naming the file and the fix, instead of running without its settings", async () => {
    const dir = makeTempDir();
    try {
      const root = dir.path;
      chmodSync(root, 0o755);
      // As root the command switches to `nobody`, who cannot read a root-only file; otherwise the file is unreadable to its owner.
      const asRoot = process.getuid?.() === 0;
      const serviceUser = asRoot ? "nobody" : (await runCommand("id", ["-un"])).stdout.trim();
      mkdirSync(join(root, "usr/local/lib/salescontrol"), { recursive: true, mode: 0o755 });
      mkdirSync(join(root, "etc/salescontrol"), { recursive: true, mode: 0o755 });
      writeFileSync(join(root, "usr/local/lib/salescontrol/salescontrol-core"), '#!/bin/sh\necho "ran with ADMIN_TOKEN=$ADMIN_TOKEN"\n', { mode: 0o755 });
      writeFileSync(join(root, "usr/local/bin-command"), template.replaceAll("@NODE@", "core").replaceAll("@ROOT@", root).replaceAll("@USER@", serviceUser), { mode: 0o755 });
      const envFile = join(root, "etc/salescontrol/core.env");
      writeFileSync(envFile, "ADMIN_TOKEN=from-the-env-file\n");
      chmodSync(envFile, asRoot ? 0o600 : 0o000);
      const result = await runCommand(join(root, "usr/local/bin-command"), ["check-config"], { cwd: root, env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } });
      expect(result.stdout).not.toContain("ran with");
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${envFile} cannot be read by ${serviceUser}`);
      expect(result.stderr).toContain(`chmod 0640 ${envFile}`);
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
