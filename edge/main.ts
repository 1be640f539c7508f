import { runNodeCli } from "../shared/cli/node-cli.ts";
import { edgeNode } from "./node.ts";

process.exit(await runNodeCli(edgeNode));
