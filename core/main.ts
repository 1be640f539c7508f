import { runNodeCli } from "../shared/cli/node-cli.ts";
import { coreNode } from "./node.ts";

process.exit(await runNodeCli(coreNode));
