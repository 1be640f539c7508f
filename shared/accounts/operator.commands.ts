import { AppError, badRequest } from "../http/app-error.ts";
import { type CommandOutput, reportingExpectedErrors } from "../cli/command-output.ts";
import { operatorRoles, type OperatorRole } from "./accounts.schema.ts";
import {
  type AccountsDeps,
  addOperator,
  changeOperatorAccess,
  changeOperatorPassword,
  listOperatorAccounts,
  type OperatorAccess,
  removeOperator,
} from "./accounts.usecases.ts";

export interface PasswordSource {
  /** Reads a password: hidden prompt on a terminal (asked twice), the first line of stdin otherwise. */
  read(prompt: string): Promise<string>;
}

export type OperatorCommandDeps = Pick<AccountsDeps, "accounts" | "clock" | "node" | "scopeIds" | "signInPage">;

export function operatorUsage(node: string): string {
  return [
    `usage: salescontrol-${node} operator add <name> [--role admin|viewer] [--scope <id>,<id>…]`,
    `       salescontrol-${node} operator access <name> --role admin|viewer [--scope <id>,<id>… | --scope all]`,
    `       salescontrol-${node} operator password <name> | remove <name> | list`,
    "  (the password is asked for on the terminal, or read from the first line of stdin)",
    "",
  ].join("\n");
}

/** `<node> operator add|access|password|remove|list`: the accounts that may sign in to the node's pages. */
export async function runOperatorCommand(deps: OperatorCommandDeps, args: string[], output: CommandOutput, passwords: PasswordSource): Promise<number> {
  const [action, username, ...options] = args;
  return reportingExpectedErrors(output, async () => {
    switch (action) {
      case "add": {
        if (!username || username.startsWith("-")) break;
        const access = accessOptions(options, { role: "admin", scope: null });
        if (!access) break;
        const password = await passwords.read(`password for ${username}: `);
        const added = await addOperator(deps, username, password, access);
        output.out(`operator ${username} added${describeAccess(added, " as ")}${deps.signInPage ? `; sign in at ${deps.signInPage}` : ""}\n`);
        return 0;
      }
      case "access": {
        if (!username || username.startsWith("-") || !options.includes("--role")) break;
        const access = accessOptions(options, { role: "admin", scope: null });
        if (!access) break;
        const changed = await changeOperatorAccess(deps, username, access);
        output.out(`operator ${username} is now ${changed.role}${changed.scope ? ` limited to ${changed.scope.join(", ")}` : " seeing everything"}\n`);
        return 0;
      }
      case "password": {
        if (!username || options.length > 0) break;
        const password = await passwords.read(`password for ${username}: `);
        await changeOperatorPassword(deps, username, password);
        output.out(`password of ${username} changed; their sessions were ended\n`);
        return 0;
      }
      case "remove":
        if (!username || options.length > 0) break;
        await removeOperator(deps, username);
        output.out(`operator ${username} removed\n`);
        return 0;
      case "list": {
        if (username) break;
        const accounts = await listOperatorAccounts(deps);
        if (accounts.length === 0) output.out(`no operators yet: salescontrol-${deps.node} operator add <name>\n`);
        for (const account of accounts) {
          output.out(`${account.username}  since ${new Date(account.createdAt).toISOString().slice(0, 10)}  ${account.activeSessions} active session(s)${describeAccess(account, "  ")}\n`);
        }
        return 0;
      }
    }
    output.err(operatorUsage(deps.node));
    return 2;
  });
}

/** Full access (admin, no scope) says nothing; anything narrower is spelled out. */
function describeAccess(access: OperatorAccess, prefix: string): string {
  if (access.role === "admin" && access.scope === null) return "";
  return `${prefix}${access.role}${access.scope ? ` limited to ${access.scope.join(", ")}` : ""}`;
}

/** `--role R` and `--scope a,b` (or `--scope all`), in either order; null on anything else. */
function accessOptions(options: string[], defaults: OperatorAccess): OperatorAccess | null {
  let role: string = defaults.role;
  let scope = defaults.scope;
  for (let index = 0; index < options.length; index += 2) {
    const [option, value] = [options[index], options[index + 1]];
    if (value === undefined) return null;
    if (option === "--role") role = value;
    else if (option === "--scope") scope = value === "all" ? null : value.split(",").map((id) => id.trim()).filter((id) => id !== "");
    else return null;
  }
  if (!operatorRoles.includes(role as OperatorRole)) throw badRequest("operator.bad_role", `--role is one of: ${operatorRoles.join(", ")}`);
  return { role: role as OperatorRole, scope };
}

/** Passwords from the process's terminal or stdin. */
export function processPasswordSource(): PasswordSource {
  return {
    async read(prompt) {
      if (!process.stdin.isTTY) {
        const text = await new Response(process.stdin as unknown as ReadableStream).text();
        return text.split(/\r?\n/)[0] ?? "";
      }
      const first = await readHiddenLine(prompt);
      const second = await readHiddenLine("again: ");
      if (first !== second) throw new AppError("operator.password_mismatch", 400, "the two passwords differ");
      return first;
    },
  };
}

function readHiddenLine(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = "";
    const onData = (data: Buffer) => {
      for (const character of data.toString("utf8")) {
        if (character === "\r" || character === "\n") {
          finish();
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (character === "\u0003") {
          finish();
          reject(new AppError("operator.cancelled", 400, "cancelled"));
          return;
        }
        if (character === "\u007f" || character === "\b") typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on("data", onData);
  });
}
