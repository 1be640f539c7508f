import { type CommandOutput, reportingExpectedErrors } from "../../shared/cli/command-output.ts";
import { addMachineKey, listMachineKeys, type MachineKeysDeps, revokeMachineKey } from "./machine-keys.usecases.ts";

export const machineKeyUsage = [
  "usage: salescontrol-edge api-key add <name>     (prints the new key once)",
  "       salescontrol-edge api-key list",
  "       salescontrol-edge api-key revoke <name>",
  "",
].join("\n");

const day = (time: number | null) => (time === null ? "-" : new Date(time).toISOString().slice(0, 10));

/** `edge api-key add|list|revoke`: the keys a machine (the core's studio) pushes campaign packages with. */
export async function runMachineKeyCommand(deps: MachineKeysDeps, args: string[], output: CommandOutput): Promise<number> {
  const [action, name, ...rest] = args;
  return reportingExpectedErrors(output, async () => {
    switch (action) {
      case "add": {
        if (!name || rest.length > 0) break;
        const { key } = await addMachineKey(deps, name);
        // The key alone on stdout, so a script can capture it; the advice on stderr.
        output.out(`${key}\n`);
        output.err(`API key "${name}" added: store it now, it is shown only once. The core sends it as Authorization: Bearer <key> to POST /api/v1/campaign-packages\n`);
        return 0;
      }
      case "list": {
        if (name) break;
        const keys = await listMachineKeys(deps);
        if (keys.length === 0) output.out("no API keys yet: salescontrol-edge api-key add <name>\n");
        for (const key of keys) {
          output.out(`${key.name}  ${key.keyPrefix}…  since ${day(key.createdAt)}  last used ${day(key.lastUsedAt)}${key.revokedAt === null ? "" : `  revoked ${day(key.revokedAt)}`}\n`);
        }
        return 0;
      }
      case "revoke": {
        if (!name || rest.length > 0) break;
        await revokeMachineKey(deps, name);
        output.out(`API key "${name}" revoked: it opens nothing any more\n`);
        return 0;
      }
    }
    output.err(machineKeyUsage);
    return 2;
  });
}
