import { AppError } from "../../shared/http/app-error.ts";
import { type CommandOutput, reportingExpectedErrors } from "../cli-output.ts";
import { addOperator, changeOperatorPassword, listOperatorAccounts, type OperatorDeps, removeOperator } from "./operators.usecases.ts";

export interface PasswordSource {
  /** Reads a password: hidden prompt on a terminal (asked twice), the first line of stdin otherwise. */
  read(prompt: string): Promise<string>;
}

/** `edge operator add|password|remove|list [name]`: the accounts that may open the importer and dashboard. */
export async function runOperatorCommand(deps: Pick<OperatorDeps, "client" | "clock">, args: string[], output: CommandOutput, passwords: PasswordSource): Promise<number> {
  const [action, username] = args;
  const usage = "usage: salescontrol-edge operator add <name> | password <name> | remove <name> | list\n  (the password is asked for on the terminal, or read from the first line of stdin)\n";
  return reportingExpectedErrors(output, async () => {
    switch (action) {
      case "add":
      case "password": {
        if (!username) break;
        const password = await passwords.read(`password for ${username}: `);
        if (action === "add") await addOperator(deps, username, password);
        else await changeOperatorPassword(deps, username, password);
        output.out(action === "add" ? `operator ${username} added; sign in at /login\n` : `password of ${username} changed; their sessions were ended\n`);
        return 0;
      }
      case "remove":
        if (!username) break;
        await removeOperator(deps, username);
        output.out(`operator ${username} removed\n`);
        return 0;
      case "list": {
        const accounts = await listOperatorAccounts(deps);
        if (accounts.length === 0) output.out("no operators yet: salescontrol-edge operator add <name>\n");
        for (const account of accounts) output.out(`${account.username}  since ${new Date(account.createdAt).toISOString().slice(0, 10)}  ${account.activeSessions} active session(s)\n`);
        return 0;
      }
    }
    output.err(usage);
    return 2;
  });
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
