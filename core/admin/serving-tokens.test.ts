import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { runNodeCli } from "../../shared/cli/node-cli.ts";
import { ConfigError } from "../../shared/config/config-loader.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { coreNode } from "../node.ts";
import { weakTokenReason } from "./admin-auth.ts";
import { resolveServingAdminToken } from "./serving-tokens.ts";

let dir: TempDir;
afterEach(() => dir?.remove());

const strong = "9c1f4e7a2b8d5063fa1e";

describe("serving tokens", () => {
  test("placeholders and low-entropy values are recognised; random tokens are not", () => {
    expect(weakTokenReason("changeme-admin-token")).toContain("changeme");
    expect(weakTokenReason("your-secret-internal-token")).toContain("placeholder");
    expect(weakTokenReason("aaaaaaaaaaaaaaaaaaaa")).toContain("distinct");
    expect(weakTokenReason(strong)).toBeNull();
    expect(weakTokenReason("3f9a1c7e5b2d8f04a6c1e9b7d3f5a2c8e0b4d6f8a1c3e5b7")).toBeNull();
  });

  test("outside dev mode a missing or placeholder ADMIN_TOKEN, or a placeholder INTERNAL_TOKEN, stops the core", () => {
    dir = makeTempDir();
    const settings = { adminToken: strong, internalToken: undefined, devMode: false, dataDir: dir.path };
    expect(resolveServingAdminToken(settings, silentLogger)).toBe(strong);
    expect(() => resolveServingAdminToken({ ...settings, adminToken: undefined }, silentLogger)).toThrow(/ADMIN_TOKEN \(admin_token\): missing/);
    expect(() => resolveServingAdminToken({ ...settings, adminToken: "changeme-admin-token" }, silentLogger)).toThrow(ConfigError);
    expect(() => resolveServingAdminToken({ ...settings, internalToken: "your-secret-internal-token" }, silentLogger)).toThrow(/INTERNAL_TOKEN/);
    expect(resolveServingAdminToken({ ...settings, internalToken: "4b7e1a9c3d6f0285eb1c" }, silentLogger)).toBe(strong);
  });

  test("INTERNAL_TOKEN equal to ADMIN_TOKEN stops the core, in dev mode too", () => {
    dir = makeTempDir();
    for (const devMode of [false, true]) {
      expect(() => resolveServingAdminToken({ adminToken: strong, internalToken: strong, devMode, dataDir: dir.path }, silentLogger)).toThrow(
        /INTERNAL_TOKEN \(internal_token\) and ADMIN_TOKEN \(admin_token\): hold the same value/,
      );
    }
  });

  test("in dev mode a missing admin token is generated once into <data_dir>/admin-token (0600) and kept", () => {
    dir = makeTempDir();
    const settings = { adminToken: undefined, internalToken: undefined, devMode: true, dataDir: dir.path };
    const first = resolveServingAdminToken(settings, silentLogger);
    expect(first).toMatch(/^[0-9a-f]{48}$/);
    expect(readFileSync(dir.join("admin-token"), "utf8").trim()).toBe(first);
    expect(statSync(dir.join("admin-token")).mode & 0o777).toBe(0o600);
    expect(resolveServingAdminToken(settings, silentLogger)).toBe(first);
    expect(resolveServingAdminToken({ ...settings, adminToken: "changeme-admin-token" }, silentLogger)).toBe("changeme-admin-token");
  });

  test("`serve` without an admin token and `worker` without its settings exit 2 naming the key", async () => {
    dir = makeTempDir();
    const run = async (argv: string[], env: Record<string, string>) => {
      let stderr = "";
      const code = await runNodeCli(coreNode, { argv, env: { DATA_DIR: dir.path, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "error", ...env }, stdout: () => {}, stderr: (text) => (stderr += text) });
      return { code, stderr };
    };
    const serve = await run(["serve"], {});
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain("ADMIN_TOKEN (admin_token): missing");
    const placeholder = await run(["serve"], { ADMIN_TOKEN: "changeme-admin-token" });
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toContain("placeholder");
    const sameSecret = await run(["serve"], { ADMIN_TOKEN: strong, INTERNAL_TOKEN: strong });
    expect(sameSecret.code).toBe(2);
    expect(sameSecret.stderr).toContain("INTERNAL_TOKEN (internal_token) and ADMIN_TOKEN (admin_token)");
    const worker = await run(["worker"], {});
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain("INGEST_INTERNAL_BASE_URL (ingest_internal_base_url): missing");
    expect(worker.stderr).toContain("INTERNAL_TOKEN (internal_token): missing");
  });
});
