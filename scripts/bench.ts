/**
 * Benchmarks. Each prints its figures beside a baseline measured in the same run.
 *   bun run bench                 list them
 *   bun run bench <name> [args]   run one (scripts/bench/<name>.bench.ts)
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const directory = join(import.meta.dir, "bench");
const available = readdirSync(directory)
  .filter((file) => file.endsWith(".bench.ts"))
  .map((file) => file.slice(0, -".bench.ts".length))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.log(`usage: bun run bench <name> [args]\navailable: ${available.join(", ")}`);
  process.exit(name ? 2 : 0);
}
const child = Bun.spawn([process.execPath, join(directory, `${name}.bench.ts`), ...args], { stdio: ["inherit", "inherit", "inherit"] });
process.exit(await child.exited);
