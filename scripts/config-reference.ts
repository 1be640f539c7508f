/**
 * The README's configuration reference is generated from the nodes' config specs, so it cannot
 * drift from what the binaries accept.
 *   bun scripts/config-reference.ts          print the tables
 *   bun scripts/config-reference.ts --write  rewrite them in README.md
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { coreConfigSpec } from "../core/config.ts";
import { edgeConfigSpec } from "../edge/config.ts";
import { piConfigSpec } from "../pi/config.ts";
import { formatConfigReference } from "../shared/config/config-report.ts";
import type { ConfigSpec } from "../shared/config/config-spec.ts";

export const configSpecs: Record<string, ConfigSpec> = { core: coreConfigSpec, edge: edgeConfigSpec, pi: piConfigSpec };
const readmePath = join(import.meta.dir, "../README.md");

export function renderReadmeReference(readme: string): string {
  let result = readme;
  for (const [node, spec] of Object.entries(configSpecs)) {
    const start = `<!-- config:${node} -->`;
    const end = `<!-- /config:${node} -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    result = `${result.slice(0, from + start.length)}\n${formatConfigReference(spec)}\n${result.slice(to)}`;
  }
  return result;
}

if (import.meta.main) {
  if (process.argv.includes("--write")) {
    writeFileSync(readmePath, renderReadmeReference(readFileSync(readmePath, "utf8")));
    console.log("README.md configuration reference updated");
  } else {
    for (const [node, spec] of Object.entries(configSpecs)) console.log(`## ${node}\n\n${formatConfigReference(spec)}\n`);
  }
}
