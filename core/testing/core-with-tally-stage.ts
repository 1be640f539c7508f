// The core binary's entry point with one extra pipeline stage added through the list alone (tests only).
import { runNodeCli } from "../../shared/cli/node-cli.ts";
import { createCoreNode } from "../node.ts";
import { pipelineStages } from "../pipeline/pipeline-stages.ts";
import { tallyStage } from "./tally-stage.ts";

process.exit(await runNodeCli(createCoreNode([...pipelineStages, tallyStage])));
