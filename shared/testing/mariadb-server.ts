import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { runCommand, spawnProcess } from "../runtime/process.ts";
import { findFreePort } from "./free-port.ts";
import { makeTempDir } from "./temp-dir.ts";

export interface MariaDbServer {
  host: "127.0.0.1";
  port: number;
  socket: string;
  /** Root has no password and may connect over TCP from 127.0.0.1. */
  rootUser: "root";
  /** Runs SQL as root (several statements allowed). */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  connect(options?: { user?: string; password?: string; database?: string }): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

const mariadbd = "/usr/sbin/mariadbd";

/**
 * Starts a private MariaDB (Debian's mariadbd) on its own data dir and a free port, for tests that
 * need a real server. The initialised system tables are made once per machine and copied per server.
 */
export async function startMariaDb(): Promise<MariaDbServer> {
  if (!existsSync(mariadbd)) throw new Error(`${mariadbd} not found: install the Debian package mariadb-server`);
  const template = await ensureTemplateDataDir();
  const dir = makeTempDir("salescontrol-mariadb-");
  const dataDir = dir.join("data");
  cpSync(template, dataDir, { recursive: true });
  const port = await findFreePort();
  const socket = dir.join("mysqld.sock");
  const args = [
    "--no-defaults",
    `--datadir=${dataDir}`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    `--socket=${socket}`,
    `--pid-file=${dir.join("mysqld.pid")}`,
    `--log-error=${dir.join("error.log")}`,
    "--skip-log-bin",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--max-connections=200",
    "--character-set-server=utf8mb4",
  ];
  if (userInfo().uid === 0) args.push("--user=root");
  const server = spawnProcess(mariadbd, args, { stdout: "ignore", stderr: "ignore" });
  let exited = false;
  server.exited.then(() => (exited = true));

  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const connection = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 });
      await connection.end();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      await Bun.sleep(100);
    }
  }
  if (exited || lastError !== undefined) {
    server.kill("SIGKILL");
    const log = existsSync(dir.join("error.log")) ? readFileSync(dir.join("error.log"), "utf8").slice(-2000) : "";
    dir.remove();
    throw new Error(`MariaDB did not start on port ${port}: ${String(lastError)}\n${log}`);
  }

  const root = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", multipleStatements: true });
  return {
    host: "127.0.0.1",
    port,
    socket,
    rootUser: "root",
    async query<T>(sql: string, params?: unknown[]) {
      const [rows] = await root.query(sql, params);
      return rows as T;
    },
    connect: (options = {}) =>
      mysql.createConnection({ host: "127.0.0.1", port, user: options.user ?? "root", password: options.password, database: options.database, multipleStatements: true }),
    async stop() {
      await root.end().catch(() => {});
      server.kill("SIGTERM");
      const stopped = await Promise.race([server.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!stopped) server.kill("SIGKILL");
      dir.remove();
    },
  };
}

async function ensureTemplateDataDir(): Promise<string> {
  const version = (await runCommand(mariadbd, ["--version"])).stdout.trim().replace(/[^A-Za-z0-9.-]+/g, "_");
  const template = join(tmpdir(), `salescontrol-mariadb-template-${version}`);
  if (existsSync(join(template, "mysql"))) return template;
  const staging = `${template}.${process.pid}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const args = ["--no-defaults", `--datadir=${staging}`, "--auth-root-authentication-method=normal", "--skip-test-db"];
  if (userInfo().uid === 0) args.push("--user=root");
  const installed = await runCommand("/usr/bin/mariadb-install-db", args);
  if (installed.code !== 0) throw new Error(`mariadb-install-db failed:\n${installed.stdout}\n${installed.stderr}`);
  try {
    renameSync(staging, template);
  } catch {
    // Another test process made the template first; use theirs.
    rmSync(staging, { recursive: true, force: true });
  }
  return template;
}
