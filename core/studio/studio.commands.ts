import { resolve } from "node:path";
import { type CommandOutput, reportingExpectedErrors } from "../../shared/cli/command-output.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { StudioPackageError } from "./studio-package.ts";
import { exportStudioPackage, type StudioDeps } from "./studio.usecases.ts";

export const campaignCommandUsage = "campaign export <campaign id> <file.zip>";

/** `salescontrol-core campaign export <id> <file>`: a ready studio campaign's package, written atomically. */
export async function runCampaignCommand(deps: StudioDeps, args: string[], output: CommandOutput): Promise<number> {
  const [action, id, file, ...rest] = args;
  if (action !== "export" || !id || !file || rest.length > 0 || !campaignIdPattern.test(id)) {
    output.err(`usage: salescontrol-core ${campaignCommandUsage}\n`);
    return 2;
  }
  return reportingExpectedErrors(output, async () => {
    try {
      const written = await exportStudioPackage(deps, id, resolve(file));
      output.out(`campaign ${id} exported to ${resolve(file)}: ${written.leads} leads, ${written.clips} clips, ${written.bytes} bytes\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof StudioPackageError)) throw error;
      output.err(`${error.message}\n`);
      return 1;
    }
  });
}
