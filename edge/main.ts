import { runNodeCli } from "../shared/cli/node-cli.ts";
import { stagingProcessCommand } from "./importer/package-staging-helper.ts";
import { runStagingProcess } from "./importer/package-staging.process.ts";
import { edgeNode } from "./node.ts";

process.exit(process.argv[2] === stagingProcessCommand ? await runStagingProcess() : await runNodeCli(edgeNode));
