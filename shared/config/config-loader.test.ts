import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { configProblemsOf } from "../testing/config-problems.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { loadConfig } from "./config-loader.ts";
import { describeEffectiveConfig, formatConfigReference, maskedValue } from "./config-report.ts";
import { field } from "./config-spec.ts";
import { databaseUrl, flag, httpUrl, integer, oneOf, optional, port, text, timeOfDay, uuid } from "./config-types.ts";
import { parseDotenv } from "./dotenv.ts";

const spec = {
  pointId: field(uuid(), { env: "RA_POINT_ID", description: "point" }),
  ingestBaseUrl: field(httpUrl(), { env: "RA_INGEST_BASE_URL", description: "ingest" }),
  ingestToken: field(text({ minLength: 8 }), { env: "RA_INGEST_TOKEN", description: "token", secret: true }),
  chunkSeconds: field(integer({ min: 5, max: 3600 }), { env: "RA_CHUNK_SECONDS", default: 60, description: "chunk" }),
  scheduleStart: field(timeOfDay(), { env: "RA_SCHEDULE_START", default: "08:00", description: "start" }),
  healthPort: field(port(), { env: "RA_HEALTH_PORT", default: 8042, description: "port" }),
  debug: field(flag(), { env: "RA_DEBUG", default: false, description: "debug" }),
  mode: field(oneOf(["a", "b"] as const), { env: "RA_MODE", default: "a" as const, description: "mode" }),
  dataDir: field(text(), { env: "RA_DATA_DIR", default: "./data/pi", description: "data" }),
  databaseUrl: field(databaseUrl(), { env: "RA_DATABASE_URL", default: (resolved) => `file:${resolved.dataDir}/pi.db`, description: "db" }),
  audioDevice: field(optional(text()), { env: "RA_AUDIO_DEVICE", description: "device" }),
};

const validEnv = {
  RA_POINT_ID: "00000000-0000-0000-0000-000000000001",
  RA_INGEST_BASE_URL: "https://audio.example.com/",
  RA_INGEST_TOKEN: "secret-token-value",
};

let dir: TempDir;
afterEach(() => dir?.remove());

describe("loadConfig", () => {
  test("reads the environment, applies defaults and derived defaults, coerces types", () => {
    const loaded = loadConfig(spec, { env: { ...validEnv, RA_CHUNK_SECONDS: "30", RA_DEBUG: "yes" }, dotenvPath: null });
    expect(loaded.values.pointId).toBe("00000000-0000-0000-0000-000000000001");
    expect(loaded.values.ingestBaseUrl).toBe("https://audio.example.com");
    expect(loaded.values.chunkSeconds).toBe(30);
    expect(loaded.values.debug).toBe(true);
    expect(loaded.values.databaseUrl).toBe("file:./data/pi/pi.db");
    expect(loaded.values.audioDevice).toBeUndefined();
    expect(loaded.sources.chunkSeconds).toBe("environment");
    expect(loaded.sources.healthPort).toBe("default");
    expect(Object.isFrozen(loaded.values)).toBe(true);
  });

  test("a YAML file with sections is read; environment overrides it; .env sits between", () => {
    dir = makeTempDir();
    const file = dir.join("config.yaml");
    writeFileSync(
      file,
      [
        "identifiers:",
        '  point_id: "00000000-0000-0000-0000-000000000002"',
        "ingest:",
        '  ingest_base_url: "http://core.local:8000"',
        "  ingest_token: file-token-123",
        "chunk_seconds: 20",
        "schedule_start: \"09:30\"",
      ].join("\n"),
    );
    writeFileSync(dir.join(".env"), "RA_CHUNK_SECONDS=25\nRA_SCHEDULE_START='10:00'\n");
    const loaded = loadConfig(spec, { env: { RA_SCHEDULE_START: "11:15" }, file: { path: file, required: true }, dotenvPath: dir.join(".env") });
    expect(loaded.values.pointId).toBe("00000000-0000-0000-0000-000000000002");
    expect(loaded.values.ingestBaseUrl).toBe("http://core.local:8000");
    expect(loaded.values.chunkSeconds).toBe(25);
    expect(loaded.sources.chunkSeconds).toBe(".env");
    expect(loaded.values.scheduleStart).toBe("11:15");
    expect(loaded.sources.scheduleStart).toBe("environment");
    expect(loaded.sources.pointId).toBe("file");
    expect(loaded.filePath).toBe(file);
  });

  test("an unknown key in the file is refused, naming it and suggesting the close one", () => {
    dir = makeTempDir();
    const file = dir.join("config.yaml");
    writeFileSync(file, "chunk_second: 20\ningest:\n  ingest_tokn: x\n");
    const problems = configProblemsOf(() => loadConfig(spec, { env: validEnv, file: { path: file, required: true }, dotenvPath: null }));
    expect(problems).toContainEqual(expect.stringContaining('unknown key "chunk_second" (did you mean "chunk_seconds"?)'));
    expect(problems).toContainEqual(expect.stringContaining('unknown key "ingest.ingest_tokn"'));
  });

  test("a missing required value and a malformed URL are named with the expected form", () => {
    const problems = configProblemsOf(() => loadConfig(spec, { env: { ...validEnv, RA_POINT_ID: "", RA_INGEST_BASE_URL: "ftp://x" }, dotenvPath: null }));
    expect(problems).toContainEqual(expect.stringMatching(/^RA_POINT_ID \(point_id\): missing required value; expected a UUID/));
    expect(problems).toContainEqual(expect.stringMatching(/^RA_INGEST_BASE_URL \(ingest_base_url\): got "ftp:\/\/x", which is not an http:\/\/ or https:\/\/ URL/));
  });

  test("every bad value is reported at once, and secrets are never echoed", () => {
    const problems = configProblemsOf(() =>
      loadConfig(spec, {
        env: { ...validEnv, RA_INGEST_TOKEN: "short", RA_CHUNK_SECONDS: "1.5", RA_SCHEDULE_START: "25:00", RA_HEALTH_PORT: "70000", RA_DEBUG: "maybe", RA_MODE: "c" },
        dotenvPath: null,
      }),
    );
    expect(problems).toHaveLength(6);
    const text = problems.join("\n");
    expect(text).not.toContain("short");
    expect(text).toContain("RA_INGEST_TOKEN (ingest_token): got a value that is not a text value of at least 8 characters");
    expect(text).toContain("RA_CHUNK_SECONDS (chunk_seconds): got \"1.5\", which is not an integer from 5 to 3600");
    expect(text).toContain("HH:MM");
    expect(text).toContain("RA_HEALTH_PORT");
    expect(text).toContain("true or false");
    expect(text).toContain("one of a, b");
  });

  test("unknown variables with the node's prefix are refused; others are ignored", () => {
    const problems = configProblemsOf(() => loadConfig(spec, { env: { ...validEnv, RA_CHUNK_SECOND: "5", PATH: "/bin" }, envPrefix: "RA_", dotenvPath: null }));
    expect(problems).toEqual(["RA_CHUNK_SECOND (environment): unknown setting (did you mean RA_CHUNK_SECONDS?)"]);
  });

  test("a config file named explicitly must exist; a default one may be absent", () => {
    dir = makeTempDir();
    expect(configProblemsOf(() => loadConfig(spec, { env: validEnv, file: { path: dir.join("none.yaml"), required: true }, dotenvPath: null }))).toEqual([
      `config file ${dir.join("none.yaml")}: not found`,
    ]);
    expect(loadConfig(spec, { env: validEnv, file: { path: dir.join("none.yaml"), required: false }, dotenvPath: null }).filePath).toBeNull();
  });

  test("broken YAML and a non-mapping file are refused with the file named", () => {
    dir = makeTempDir();
    writeFileSync(dir.join("bad.yaml"), "chunk_seconds: [1,\n");
    expect(configProblemsOf(() => loadConfig(spec, { env: validEnv, file: { path: dir.join("bad.yaml"), required: true }, dotenvPath: null }))[0]).toContain(
      `config file ${dir.join("bad.yaml")}`,
    );
    writeFileSync(dir.join("list.yaml"), "- a\n- b\n");
    expect(configProblemsOf(() => loadConfig(spec, { env: validEnv, file: { path: dir.join("list.yaml"), required: true }, dotenvPath: null }))).toEqual([
      `config file ${dir.join("list.yaml")}: expected a mapping of keys to values at the top level`,
    ]);
    writeFileSync(dir.join("dup.yaml"), "chunk_seconds: 5\nchunk_seconds: 6\n");
    expect(configProblemsOf(() => loadConfig(spec, { env: validEnv, file: { path: dir.join("dup.yaml"), required: true }, dotenvPath: null }))[0]).toContain("unique");
  });

  test("the effective config masks secrets and names each source", () => {
    const loaded = loadConfig(spec, { env: validEnv, dotenvPath: null });
    const report = describeEffectiveConfig(spec, loaded);
    expect(report.ingest_token).toEqual({ env: "RA_INGEST_TOKEN", value: maskedValue, source: "environment" });
    expect(report.chunk_seconds).toEqual({ env: "RA_CHUNK_SECONDS", value: 60, source: "default" });
    expect(JSON.stringify(report)).not.toContain("secret-token-value");
  });

  test("the reference table lists every key with its variable and default", () => {
    const reference = formatConfigReference(spec);
    expect(reference).toContain("| `chunk_seconds` | `RA_CHUNK_SECONDS` | `60` |");
    expect(reference).toContain("| `point_id` | `RA_POINT_ID` | *required* |");
    expect(reference).toContain("*(secret)*");
    expect(reference).toContain("| `audio_device` | `RA_AUDIO_DEVICE` | *unset* |");
  });
});

describe("parseDotenv", () => {
  test("reads quotes, comments, export and CRLF", () => {
    expect(
      parseDotenv('# comment\r\nexport A=1\r\nB="two words" \r\nC=\'single # kept\'\r\nD=plain # trailing\r\nE="line\\nbreak"\r\nEMPTY=\r\n'),
    ).toEqual({ A: "1", B: "two words", C: "single # kept", D: "plain", E: "line\nbreak", EMPTY: "" });
  });

  test("refuses lines that are not KEY=value", () => {
    expect(() => parseDotenv("A=1\nnot a line\n")).toThrow(".env line 2: expected KEY=value");
    expect(() => parseDotenv('A="open\n')).toThrow("unterminated");
  });
});
