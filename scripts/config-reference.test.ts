import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderReadmeReference } from "./config-reference.ts";

test("the README's configuration reference matches the settings the nodes accept (bun scripts/config-reference.ts --write)", () => {
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  expect(renderReadmeReference(readme)).toBe(readme);
});
