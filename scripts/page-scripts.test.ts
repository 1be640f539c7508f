import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { bundlePageScripts, generatedPageScriptsPath, pageScriptNodes } from "./page-scripts.ts";

test("every node's embedded page scripts are bundled from its current *.browser.ts files", async () => {
  let bundled = 0;
  for (const node of pageScriptNodes) {
    const expected = await bundlePageScripts(node);
    if (expected === null) continue;
    bundled++;
    const path = generatedPageScriptsPath(node);
    expect(existsSync(path)).toBe(true);
    // When this fails, run: bun scripts/page-scripts.ts
    expect(readFileSync(path, "utf8")).toBe(expected);
  }
  expect(bundled).toBeGreaterThan(0);
}, 60_000);
