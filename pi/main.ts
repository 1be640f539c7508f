import { runNodeCli } from "../shared/cli/node-cli.ts";
import { piNode } from "./node.ts";

process.exit(await runNodeCli(piNode));
