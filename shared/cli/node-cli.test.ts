import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { storageConfig } from "../config/common-config.ts";
import { field } from "../config/config-spec.ts";
import { httpUrl, optional, text } from "../config/config-types.ts";
import { openDatabase } from "../db/open-database.ts";
import { jobs } from "../jobs/jobs.schema.ts";
import { migrationsForSchema } from "../testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { type CliIo, runNodeCli } from "./node-cli.ts";
import type { NodeDefinition } from "./node-definition.ts";

const spec = {
  ...storageConfig("core", { dataDir: "DATA_DIR", databaseUrl: "DATABASE_URL", databaseAuthToken: "DATABASE_AUTH_TOKEN", litestream: "LITESTREAM", logLevel: "LOG_LEVEL" }),
  baseUrl: field(optional(httpUrl()), { env: "BASE_URL", description: "public URL" }),
  adminToken: field(text({ minLength: 16 }), { env: "ADMIN_TOKEN", description: "admin token", secret: true }),
};
const schema = { jobs };
let dir: TempDir;
afterEach(() => dir?.remove());

async function definition(): Promise<NodeDefinition<typeof spec, typeof schema>> {
  return {
    name: "core",
    summary: "test node",
    configSpec: spec,
    checkConfig: (config) => (config.baseUrl?.startsWith("http://") ? ["BASE_URL (base_url): must be https:// for this test node"] : []),
    schema,
    migrations: await migrationsForSchema(schema),
    database: (config) => ({ url: config.databaseUrl, underLitestream: config.litestream }),
    logLevel: () => "error",
    serve: async () => ({ url: "http://test", stop: async () => {} }),
    writableDirectories: (config) => [{ setting: "BASE_URL", path: config.baseUrl ? new URL(config.baseUrl).pathname : `${config.dataDir}/files` }],
    commands: {
      hello: { usage: "hello", summary: "answers without a database", database: false, run: async ({ config }) => (config.adminToken ? 0 : 1) },
      "count-jobs": {
        usage: "count-jobs",
        summary: "print how many jobs exist",
        run: async ({ database }, args) => {
          const rows = await database.client.execute("SELECT count(*) FROM jobs");
          return Number(rows.rows[0]?.[0]) === 0 && args.length === 0 ? 0 : 1;
        },
      },
    },
  };
}

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { argv, env: { ADMIN_TOKEN: "admin-token-0123456789", DATA_DIR: dir.join("data"), ...env }, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runNodeCli(await definition(), io);
  return { code, stdout, stderr };
}

describe("node CLI", () => {
  test("--version and --help answer without touching config or database", async () => {
    dir = makeTempDir();
    const version = await run(["--version"], { ADMIN_TOKEN: "" });
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^salescontrol-core \d+\.\d+\.\d+ \(commit \w+/);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const word of ["serve", "migrate", "check-config", "backup <file>", "self-test", "count-jobs", "ADMIN_TOKEN", "admin_token"]) expect(help.stdout).toContain(word);
    expect(existsSync(dir.join("data"))).toBe(false);
  });

  test("a command without a database never creates one; serve refuses a directory it cannot write, naming the setting and the fix", async () => {
    dir = makeTempDir();
    expect((await run(["hello"])).code).toBe(0);
    expect(existsSync(dir.join("data"))).toBe(false);
    writeFileSync(dir.join("a-file"), "");
    const refused = await run(["serve"], { BASE_URL: `https://x.example.com${dir.join("a-file")}/below` });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`BASE_URL: ${dir.join("a-file")}/below cannot be written (ENOTDIR)`);
    expect(refused.stderr).toContain("systemctl edit salescontrol-core");
    expect(existsSync(dir.join("data/core.db"))).toBe(false);
  });

  test("check-config prints the effective config with secrets masked", async () => {
    dir = makeTempDir();
    const result = await run(["check-config"], { BASE_URL: "https://core.example.com/" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"https://core.example.com"');
    expect(result.stdout).toMatch(/admin_token\s+ADMIN_TOKEN\s+"\*\*\*\*\*\*\*\*"\s+environment/);
    expect(result.stdout).not.toContain("admin-token-0123456789");
  });

  test("bad configuration exits 2 naming each key: unknown file key, malformed URL, missing value", async () => {
    dir = makeTempDir();
    writeFileSync(dir.join("core.yaml"), "base_url: https://ok.example.com\nbase_ulr: typo\n");
    const unknownKey = await run(["-c", dir.join("core.yaml"), "serve"]);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('unknown key "base_ulr" (did you mean "base_url"?)');
    const badUrl = await run(["migrate"], { BASE_URL: "not a url" });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("BASE_URL (base_url)");
    const missing = await run(["migrate"], { ADMIN_TOKEN: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("ADMIN_TOKEN (admin_token): missing required value");
    const missingFile = await run(["--config", dir.join("nope.yaml")]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain("not found");
  });

  test("--log-level beats every other source and accepts any case; checks across settings exit 2", async () => {
    dir = makeTempDir();
    const result = await run(["check-config", "--log-level", "DEBUG"], { LOG_LEVEL: "warn" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/log_level\s+LOG_LEVEL\s+"debug"\s+command line/);
    expect((await run(["check-config", "--log-level=Error"])).stdout).toMatch(/log_level\s+LOG_LEVEL\s+"error"\s+command line/);
    const bad = await run(["check-config", "--log-level", "chatty"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("LOG_LEVEL (log_level)");
    expect((await run(["--log-level"])).stderr).toContain("--log-level needs a level");
    const crossed = await run(["migrate"], { BASE_URL: "http://insecure.example.com" });
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toContain("BASE_URL (base_url): must be https:// for this test node");
    expect(existsSync(dir.join("data"))).toBe(false);
  });

  test("unknown commands and options are refused with usage", async () => {
    dir = makeTempDir();
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const dangling = await run(["-c"]);
    expect(dangling.code).toBe(2);
    expect(dangling.stderr).toContain("-c needs a file path");
  });

  test("migrate, node commands, backup and self-test work on the configured database", async () => {
    dir = makeTempDir();
    const migrated = await run(["migrate"]);
    expect(migrated).toMatchObject({ code: 0, stdout: "applied 1 migration(s): 0000_test_schema\n" });
    expect((await run(["migrate"])).stdout).toBe("database is up to date (1 migration(s) applied)\n");
    expect((await run(["count-jobs"])).code).toBe(0);
    const backup = await run(["backup", dir.join("snapshots/a.db")]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`backup written to ${dir.join("snapshots/a.db")}`);
    const copy = openDatabase({ url: `file:${dir.join("snapshots/a.db")}` });
    expect((await copy.client.execute("SELECT count(*) FROM jobs")).rows[0]?.[0]).toBe(0);
    copy.close();
    const again = await run(["backup", dir.join("snapshots/a.db")]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect((await run(["backup"])).code).toBe(2);
    const selfTest = await run(["self-test"]);
    expect(selfTest.code).toBe(0);
    expect(JSON.parse(selfTest.stdout).database).toMatchObject({ ok: true, roundTrip: "ok", pragmas: { journal_mode: { actual: "wal" } } });
  });

  test("a database migrated by a newer build is refused with a clear message", async () => {
    dir = makeTempDir();
    await run(["migrate"]);
    const database = openDatabase({ url: `file:${dir.join("data/core.db")}` });
    await database.client.execute("INSERT INTO _salescontrol_migrations (tag, hash, applied_at) VALUES ('9999_future', 'x', 0)");
    database.close();
    const result = await run(["serve"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("migration 9999_future, which this build does not know");
  });
});
