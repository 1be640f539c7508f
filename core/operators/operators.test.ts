/**
 * `salescontrol-core operator …`: the accounts the core's pages will sign in with, managed from the
 * command line as on the edge. A scope limits an account to some points (point ids are UUIDs).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type CliIo, runNodeCli } from "../../shared/cli/node-cli.ts";
import { openDatabase } from "../../shared/db/open-database.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import * as schema from "../db/schema.ts";
import { coreNode } from "../node.ts";

const main = join(import.meta.dir, "../main.ts");
const pointA = "00000000-0000-0000-0000-00000000000a";
const pointB = "00000000-0000-0000-0000-00000000000B";
const password = "correct horse battery";

let dir: TempDir;
let env: Record<string, string>;
beforeEach(() => {
  dir = makeTempDir("salescontrol-core-operators-");
  env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: process.env.TMPDIR ?? "/tmp", DATA_DIR: dir.join("data") };
});
afterEach(() => dir.remove());

/** The command in this process (for commands that read no password). */
async function core(args: string[]) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { argv: args, env, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) };
  return { code: await runNodeCli(coreNode, io), stdout, stderr };
}

/** The command as its own process, the password on stdin as an installer script would give it. */
function coreWithPassword(args: string[], typed = password) {
  const quoted = args.map((arg) => `'${arg}'`).join(" ");
  return runCommand("sh", ["-c", `printf '%s\\n' '${typed}' | '${process.execPath}' '${main}' ${quoted}`], { cwd: dir.path, env });
}

async function storedOperators() {
  const database = openDatabase({ url: `file:${dir.join("data/core.db")}` }, schema);
  try {
    return await database.db.select().from(schema.operators);
  } finally {
    database.close();
  }
}

describe("core operator command", () => {
  test("add a viewer limited to two points, list, widen, change the password, remove", async () => {
    const added = await coreWithPassword(["operator", "add", "olga", "--role", "viewer", "--scope", `${pointB},${pointA}`]);
    expect([added.code, added.stdout]).toEqual([0, `operator olga added as viewer limited to ${pointA}, ${pointB.toLowerCase()}\n`]);
    const [stored] = await storedOperators();
    expect(stored).toMatchObject({ username: "olga", role: "viewer", scope: [pointA, pointB.toLowerCase()] });
    expect(stored!.passwordHash).toStartWith("scrypt$");
    expect(stored!.passwordHash).not.toContain(password);

    const listed = await core(["operator", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^olga {2}since \\d{4}-\\d{2}-\\d{2} {2}0 active session\\(s\\) {2}viewer limited to ${pointA}, ${pointB.toLowerCase()}\\n$`));

    expect(await core(["operator", "access", "olga", "--role", "admin", "--scope", "all"])).toMatchObject({ code: 0, stdout: "operator olga is now admin seeing everything\n" });
    const changed = await coreWithPassword(["operator", "password", "olga"], "another long password");
    expect([changed.code, changed.stdout]).toEqual([0, "password of olga changed; their sessions were ended\n"]);
    expect((await storedOperators())[0]!.passwordHash).not.toBe(stored!.passwordHash);

    expect(await core(["operator", "remove", "olga"])).toMatchObject({ code: 0, stdout: "operator olga removed\n" });
    expect(await core(["operator", "list"])).toMatchObject({ code: 0, stdout: "no operators yet: salescontrol-core operator add <name>\n" });
  });

  test("refuses scopes that are not point ids, unknown roles, weak passwords and unknown accounts, and changes nothing", async () => {
    const notPoint = await coreWithPassword(["operator", "add", "olga", "--scope", "shop-7"]);
    expect([notPoint.code, notPoint.stdout]).toEqual([1, ""]);
    expect(notPoint.stderr).toContain('scope id "shop-7" is not valid: a point id is a UUID');
    const role = await coreWithPassword(["operator", "add", "olga", "--role", "root"]);
    expect([role.code, role.stderr]).toEqual([1, "--role is one of: admin, viewer\n"]);
    const weak = await coreWithPassword(["operator", "add", "olga"], "short");
    expect([weak.code, weak.stderr]).toEqual([1, "a password needs at least 10 characters\n"]);
    expect(await storedOperators()).toEqual([]);

    expect(await core(["operator", "access", "nobody", "--role", "viewer"])).toMatchObject({ code: 1, stderr: "no operator named nobody\n" });
    expect(await core(["operator", "remove", "nobody"])).toMatchObject({ code: 1, stderr: "no operator named nobody\n" });
    const usage = await core(["operator", "promote", "olga"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: salescontrol-core operator add <name> [--role admin|viewer] [--scope <id>,<id>…]");
  });

  test("the password never appears in what the command prints", async () => {
    const added = await coreWithPassword(["operator", "add", "olga"]);
    expect(added.code).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(password);
    expect((await core(["operator", "list"])).stdout).not.toContain("scrypt");
  });
});
