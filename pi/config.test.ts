import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { type CliIo, runNodeCli } from "../shared/cli/node-cli.ts";
import { loadConfig } from "../shared/config/config-loader.ts";
import { fileKeyOf } from "../shared/config/config-spec.ts";
import { configProblemsOf } from "../shared/testing/config-problems.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { checkPiConfig, piConfigSpec } from "./config.ts";
import { piNode } from "./node.ts";

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

const required = {
  RA_POINT_ID: "00000000-0000-0000-0000-000000000001",
  RA_REGISTER_ID: "00000000-0000-0000-0000-000000000002",
  RA_DEVICE_ID: "00000000-0000-0000-0000-000000000003",
  RA_INGEST_BASE_URL: "https://audio.example.com",
  RA_INGEST_TOKEN: "your-token",
};

function load(env: Record<string, string>, file?: string) {
  return loadConfig(piConfigSpec, { env, file: file ? { path: file, required: true } : null, envPrefix: "RA_", dotenvPath: null });
}

describe("recorder configuration", () => {
  test("keys, variables and defaults are the original agent's reference table", () => {
    // Seed 002, "Справочник конфигурации": key → [environment variable, default].
    const seedTable: Record<string, [string, string | number | undefined]> = {
      point_id: ["RA_POINT_ID", undefined],
      register_id: ["RA_REGISTER_ID", undefined],
      device_id: ["RA_DEVICE_ID", undefined],
      ingest_base_url: ["RA_INGEST_BASE_URL", undefined],
      ingest_token: ["RA_INGEST_TOKEN", undefined],
      schedule_start: ["RA_SCHEDULE_START", "08:00"],
      schedule_end: ["RA_SCHEDULE_END", "22:00"],
      chunk_seconds: ["RA_CHUNK_SECONDS", 60],
      opus_bitrate_kbps: ["RA_OPUS_BITRATE_KBPS", 24],
      audio_device: ["RA_AUDIO_DEVICE", undefined],
      sample_rate: ["RA_SAMPLE_RATE", 48000],
      spool_dir: ["RA_SPOOL_DIR", "/var/lib/recorder-agent/spool"],
      max_spool_days: ["RA_MAX_SPOOL_DAYS", 7],
      max_spool_gb: ["RA_MAX_SPOOL_GB", 20],
      retry_min_s: ["RA_RETRY_MIN_S", 2],
      retry_max_s: ["RA_RETRY_MAX_S", 300],
      health_port: ["RA_HEALTH_PORT", 8042],
    };
    const specByFileKey = new Map(Object.entries(piConfigSpec).map(([key, field]) => [fileKeyOf(key), field]));
    for (const [key, [env, fallback]] of Object.entries(seedTable)) {
      const field = specByFileKey.get(key);
      expect(field ? [key, field.env, field.default] : [key, "missing"]).toEqual([key, env, fallback]);
    }
    expect(specByFileKey.get("audio_input")?.env).toBe("RA_AUDIO_INPUT");
    expect(load(required).values).toMatchObject({ chunkSeconds: 60, sampleRate: 48000, scheduleStart: "08:00", retryMaxS: 300, audioDevice: undefined, audioInput: undefined });
  });

  test("a missing required setting is named with the form it expects", () => {
    const problems = configProblemsOf(() => load({}));
    for (const name of ["RA_POINT_ID (point_id)", "RA_REGISTER_ID (register_id)", "RA_DEVICE_ID (device_id)", "RA_INGEST_BASE_URL (ingest_base_url)", "RA_INGEST_TOKEN (ingest_token)"]) {
      expect(problems).toContainEqual(expect.stringContaining(`${name}: missing required value`));
    }
  });

  test("identifiers must be UUIDs, the URL http(s), and the token fit for a header (and never echoed)", () => {
    const problems = configProblemsOf(() => load({ ...required, RA_POINT_ID: "shop-1", RA_DEVICE_ID: "../../etc", RA_INGEST_BASE_URL: "ftp://x", RA_INGEST_TOKEN: "two words" }));
    expect(problems).toContainEqual('RA_POINT_ID (point_id): got "shop-1", which is not a UUID such as 3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f');
    expect(problems).toContainEqual(expect.stringContaining("RA_DEVICE_ID (device_id)"));
    expect(problems).toContainEqual(expect.stringContaining("RA_INGEST_BASE_URL (ingest_base_url)"));
    expect(problems).toContainEqual("RA_INGEST_TOKEN (ingest_token): got a value that is not a token of printable characters without spaces");
    expect(problems.join("\n")).not.toContain("two words");
  });

  test("the seed's YAML layout with identifiers: and ingest: sections is read; RA_* variables override it", () => {
    dir = makeTempDir();
    const file = dir.join("config.yaml");
    writeFileSync(
      file,
      [
        "identifiers:",
        '  point_id: "00000000-0000-0000-0000-00000000000A"',
        '  register_id: "00000000-0000-0000-0000-00000000000b"',
        '  device_id: "00000000-0000-0000-0000-00000000000c"',
        "ingest:",
        '  ingest_base_url: "http://your-server:8000/"',
        '  ingest_token: "0123abcd"',
        "schedule_start: \"07:30\"",
        "chunk_seconds: 30",
        "audio_input: lavfi:sine=frequency=440",
      ].join("\n"),
    );
    const loaded = load({ RA_CHUNK_SECONDS: "10" }, file);
    expect(loaded.values).toMatchObject({
      pointId: "00000000-0000-0000-0000-00000000000a",
      ingestBaseUrl: "http://your-server:8000",
      ingestToken: "0123abcd",
      scheduleStart: "07:30",
      chunkSeconds: 10,
      audioInput: "lavfi:sine=frequency=440",
    });
    expect(loaded.sources).toMatchObject({ pointId: "file", chunkSeconds: "environment" });
  });

  test("ranges: Opus sample rates only, chunks up to an hour, times as HH:MM", () => {
    const problems = configProblemsOf(() => load({ ...required, RA_SAMPLE_RATE: "44100", RA_CHUNK_SECONDS: "7200", RA_SCHEDULE_END: "24:00", RA_MAX_SPOOL_GB: "-1" }));
    expect(problems).toContainEqual('RA_SAMPLE_RATE (sample_rate): got "44100", which is not one of 8000, 12000, 16000, 24000, 48000 (the rates Opus encodes at)');
    expect(problems).toContainEqual(expect.stringContaining("RA_CHUNK_SECONDS (chunk_seconds)"));
    expect(problems).toContainEqual(expect.stringContaining("RA_SCHEDULE_END (schedule_end)"));
    expect(problems).toContainEqual(expect.stringContaining("RA_MAX_SPOOL_GB (max_spool_gb)"));
    expect(load({ ...required, RA_SAMPLE_RATE: "16000" }).values.sampleRate).toBe(16000);
  });

  test("a retry ceiling below the floor is refused, naming both settings", () => {
    expect(checkPiConfig(load({ ...required, RA_RETRY_MIN_S: "30", RA_RETRY_MAX_S: "5" }).values)).toEqual([
      "RA_RETRY_MAX_S (retry_max_s): 5 is shorter than RA_RETRY_MIN_S (retry_min_s) 30",
    ]);
    expect(checkPiConfig(load(required).values)).toEqual([]);
  });

  test("an unknown RA_ variable is refused with the close name", () => {
    expect(configProblemsOf(() => load({ ...required, RA_CHUNK_SECOND: "5" }))).toEqual(["RA_CHUNK_SECOND (environment): unknown setting (did you mean RA_CHUNK_SECONDS?)"]);
  });
});

describe("salescontrol-pi on the command line", () => {
  async function run(argv: string[], env: Record<string, string>) {
    let stdout = "";
    let stderr = "";
    const io: CliIo = { argv, env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
    return { code: await runNodeCli(piNode, io), stdout, stderr };
  }

  test("-c <file> --log-level DEBUG, as the original was started; the token is masked", async () => {
    dir = makeTempDir();
    const file = dir.join("config.yaml");
    writeFileSync(file, "identifiers:\n  point_id: 00000000-0000-0000-0000-000000000001\n");
    const result = await run(["-c", file, "check-config", "--log-level", "DEBUG"], { ...required, RA_POINT_ID: "" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`config file: ${file}`);
    expect(result.stdout).toMatch(/log_level\s+RA_LOG_LEVEL\s+"debug"\s+command line/);
    expect(result.stdout).toMatch(/point_id\s+RA_POINT_ID\s+"00000000-0000-0000-0000-000000000001"\s+file/);
    expect(result.stdout).toMatch(/ingest_token\s+RA_INGEST_TOKEN\s+"\*\*\*\*\*\*\*\*"/);
    expect(result.stdout).not.toContain("your-token");
  });

  test("bad settings stop the recorder with exit code 2 before it touches anything", async () => {
    dir = makeTempDir();
    const crossed = await run(["serve"], { ...required, RA_DATA_DIR: dir.join("data"), RA_RETRY_MIN_S: "10", RA_RETRY_MAX_S: "1" });
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toContain("RA_RETRY_MAX_S (retry_max_s): 1 is shorter than RA_RETRY_MIN_S (retry_min_s) 10");
    const level = await run(["check-config", "--log-level", "LOUD"], required);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain("RA_LOG_LEVEL (log_level)");
    const missing = await run(["serve"], { RA_DATA_DIR: dir.join("data") });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("RA_INGEST_TOKEN (ingest_token): missing required value");
    expect(existsSync(dir.join("data"))).toBe(false);
  });
});
