import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";

/**
 * A node installed by install.sh into a throwaway root, used the way an operator does: commands
 * typed from another directory, as root and as the service user, and `serve` as the unit starts it.
 * Run as root, the service user is `nobody` and the commands really change user; otherwise both
 * are the current user. The "binary" runs the node's source with this Bun.
 */
const repo = join(import.meta.dir, "../..");
const asRoot = userInfo().uid === 0;
const serviceUser = asRoot ? "nobody" : (await runCommand("id", ["-un"])).stdout.trim();
const serviceUid = asRoot ? Number((await runCommand("id", ["-u", "nobody"])).stdout.trim()) : userInfo().uid;

let dir: TempDir;
let root: string;
let elsewhere: string;
let basePath: string;
beforeAll(() => {
  dir = makeTempDir("salescontrol-install-");
  chmodSync(dir.path, 0o755);
  root = dir.join("root");
  elsewhere = dir.join("elsewhere");
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(elsewhere, { mode: 0o777 });
  // A .env where the operator stands must not move the node to another database.
  writeFileSync(join(elsewhere, ".env"), `DATA_DIR=${join(elsewhere, "wrong")}\nRA_DATA_DIR=${join(elsewhere, "wrong")}\n`);
  basePath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
});
afterAll(() => dir?.remove());

function standInBinary(node: string): string {
  const path = dir.join(`${node}-binary`);
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${join(repo, node, "main.ts")}" "$@"\n`, { mode: 0o755 });
  return path;
}

async function install(node: string) {
  return runCommand("bash", [join(repo, "scripts/deploy/install.sh"), "--root", root, "--user", serviceUser, node, standInBinary(node)], { cwd: elsewhere, env: { PATH: basePath, HOME: "/root" } });
}

/** The installed command, typed in `elsewhere`; `asService` runs it as the service user. */
function typed(node: string, args: string[], options: { asService?: boolean; stdin?: string; env?: Record<string, string> } = {}) {
  const command = [join(root, `usr/local/bin/salescontrol-${node}`), ...args].map((part) => `'${part}'`).join(" ");
  const line = `${options.stdin === undefined ? "" : `printf '%s\\n' '${options.stdin}' | `}${command}`;
  const asService = options.asService && asRoot ? ["setpriv", `--reuid=${serviceUser}`, `--regid=${serviceUser === "nobody" ? "nogroup" : serviceUser}`, "--init-groups", "--"] : [];
  return runCommand(asService[0] ?? "sh", [...asService.slice(1), ...(asService.length > 0 ? ["sh"] : []), "-c", line], { cwd: elsewhere, env: { PATH: basePath, HOME: "/root", ...options.env } });
}

function filesUnder(path: string): string[] {
  return readdirSync(path, { recursive: true }).map((entry) => join(path, String(entry)));
}

describe("an installed edge", () => {
  const state = () => join(root, "var/lib/salescontrol/edge");

  test("install.sh lays out command, binary, settings and unit under the root and passes the self-test", async () => {
    const installed = await install("edge");
    expect(installed.stderr).not.toContain('"level":"error"');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain("self-test passed");
    expect(readFileSync(join(root, "usr/local/bin/salescontrol-edge"), "utf8")).toContain(`root='${root}'`);
    expect(existsSync(join(root, "usr/local/lib/salescontrol/salescontrol-edge"))).toBe(true);
    expect(statSync(join(root, "etc/salescontrol/edge.env")).mode & 0o777).toBe(0o640);
    expect(existsSync(join(root, "etc/systemd/system/salescontrol-edge.service"))).toBe(true);
    expect(existsSync(join(state(), "edge.db"))).toBe(true);
  }, 60_000);

  test("commands from another directory, as root or as the service user, act on the service's database", async () => {
    const added = await typed("edge", ["operator", "add", "olga"], { stdin: "correct-horse-battery-7" });
    expect(added.stderr).toBe("");
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining("operator olga added") });
    const listed = await typed("edge", ["operator", "list"], { asService: true });
    expect(listed).toMatchObject({ code: 0, stdout: expect.stringContaining("olga") });
    // A variable in the caller's environment does not move the command either.
    const status = await typed("edge", ["sync", "--status"], { env: { DATA_DIR: join(elsewhere, "also-wrong") } });
    expect(status.code).toBe(0);
    const backup = await typed("edge", ["backup", join(root, "var/backups/salescontrol/edge-copy.db")]);
    expect(backup).toMatchObject({ code: 0, stdout: expect.stringContaining("backup written") });

    expect(readdirSync(elsewhere)).toEqual([".env"]);
    const written = [...filesUnder(state()), join(root, "var/backups/salescontrol/edge-copy.db")];
    expect(written).toContain(join(state(), "edge.db"));
    for (const path of written) expect(`${path}: ${statSync(path).uid}`).toBe(`${path}: ${serviceUid}`);
  }, 60_000);

  test("serve runs plain without Litestream and replicated with it; /health says which", async () => {
    const port = await findFreePort();
    const envFile = join(root, "etc/salescontrol/edge.env");
    writeFileSync(envFile, `${readFileSync(envFile, "utf8")}\nHOST=127.0.0.1\nPORT=${port}\nLOG_LEVEL=info\n`);
    const serve = async (path: string) => {
      const edge = await startNodeProcess(join(root, "usr/local/bin/salescontrol-edge"), ["serve"], { cwd: elsewhere, env: { PATH: path, HOME: "/root" } });
      try {
        return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { database: { replication: string } };
      } finally {
        expect(await edge.stop("SIGTERM")).toBe(0);
      }
    };
    expect((await serve(basePath)).database.replication).toBe("none");

    // A stand-in Litestream: records its arguments and runs the -exec command as the real one does.
    const tools = join(root, "opt/litestream-bin");
    mkdirSync(tools, { recursive: true, mode: 0o755 });
    const calls = join(tools, "calls");
    writeFileSync(calls, "", { mode: 0o666 });
    chmodSync(calls, 0o666);
    writeFileSync(
      join(tools, "litestream"),
      `#!/bin/sh\nprintf '%s|' "$@" >> '${calls}'\necho "DATA_DIR=$DATA_DIR NODE=$NODE DEVICE_ID=$DEVICE_ID LITESTREAM_REPLICA_URL=$LITESTREAM_REPLICA_URL LITESTREAM_METRICS_PORT=$LITESTREAM_METRICS_PORT" >> '${calls}'\n` +
        `[ "$1" = replicate ] || exit 0\nwhile [ "$1" != -exec ]; do shift; done\neval "exec $2"\n`,
      { mode: 0o755 },
    );
    expect((await serve(`${tools}:${basePath}`)).database.replication).toBe("litestream");
    const [restore, replicate] = readFileSync(calls, "utf8").trim().split("\n");
    const litestreamConfig = join(root, "etc/salescontrol/litestream.yml");
    expect(restore).toBe(
      `restore|-config|${litestreamConfig}|-if-db-not-exists|-if-replica-exists|${state()}/edge.db|DATA_DIR=${state()} NODE=edge DEVICE_ID=${(await runCommand("uname", ["-n"])).stdout.trim()} LITESTREAM_REPLICA_URL=file:///var/backups/salescontrol LITESTREAM_METRICS_PORT=9091`,
    );
    expect(replicate).toStartWith(`replicate|-config|${litestreamConfig}|-exec|${join(root, "usr/local/lib/salescontrol/salescontrol-edge")} serve|`);

    // Configured off (no replica URL): plain again, even with Litestream installed.
    writeFileSync(envFile, readFileSync(envFile, "utf8").replace(/^LITESTREAM_REPLICA_URL=.*$/m, "LITESTREAM_REPLICA_URL="));
    expect((await serve(`${tools}:${basePath}`)).database.replication).toBe("none");
  }, 60_000);

  test("a data path the service cannot write stops serve with the setting and the fix", async () => {
    const blocked = join(dir.path, "a-file");
    writeFileSync(blocked, "");
    const envFile = join(root, "etc/salescontrol/edge.env");
    const before = readFileSync(envFile, "utf8");
    writeFileSync(envFile, `${before}\nAUDIO_STORAGE_PATH=${blocked}/campaigns\n`);
    try {
      const result = await typed("edge", ["serve"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`AUDIO_STORAGE_PATH: ${blocked}/campaigns cannot be written (ENOTDIR)`);
      expect(result.stderr).toContain(`ReadWritePaths=${blocked}/campaigns`);
    } finally {
      writeFileSync(envFile, before);
    }
  }, 60_000);
});

describe("an installed recorder", () => {
  const state = () => join(root, "var/lib/salescontrol/pi");

  test("commands that need no database neither open nor create one; the others use the service's", async () => {
    const installed = await install("pi");
    expect(installed.code).toBe(0);
    // The example config.yaml still has placeholders: the self-test stops at the config.
    expect(installed.stdout).toContain("self-test did not pass yet");
    for (const args of [["--help"], ["--version"], ["check-config"]]) await typed("pi", args);
    const badConfig = await typed("pi", ["check-config"]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("RA_POINT_ID");

    const configFile = join(root, "etc/recorder-agent/config.yaml");
    writeFileSync(
      configFile,
      readFileSync(configFile, "utf8")
        .replace("<POINT_ID>", "00000000-0000-0000-0000-000000000001")
        .replace("<REGISTER_ID>", "00000000-0000-0000-0000-000000000002")
        .replace("<DEVICE_ID>", "00000000-0000-0000-0000-000000000003")
        .replace("<DEVICE_TOKEN>", "0123456789abcdef"),
    );
    const devices = await typed("pi", ["devices"]);
    expect(devices.code).toBeLessThan(2);
    const checked = await typed("pi", ["check-config"]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(new RegExp(`spool_dir\\s+RA_SPOOL_DIR\\s+"${state()}/spool"\\s+environment`));
    expect(readdirSync(state()).filter((name) => name.startsWith("pi.db"))).toEqual([]);
    expect(readdirSync(elsewhere)).not.toContain("data");

    const requeued = await typed("pi", ["requeue"]);
    expect(requeued).toMatchObject({ code: 0, stdout: "0 rejected chunk(s) queued for upload again\n" });
    expect(existsSync(join(state(), "pi.db"))).toBe(true);
    for (const path of filesUnder(state())) expect(`${path}: ${statSync(path).uid}`).toBe(`${path}: ${serviceUid}`);
  }, 60_000);
});
