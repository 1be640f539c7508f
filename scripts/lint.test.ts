import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runCommand } from "../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";

const projectRoot = join(import.meta.dir, "..");
const biome = join(projectRoot, "node_modules/.bin/biome");

/**
 * Each file is linted with the project's biome.json at the same path inside an otherwise empty
 * directory, so a rule is proven on a file that breaks it and on one it must leave alone.
 */
const files: Record<string, { source: string; expected: string[] }> = {
  "core/ingest/default-export.ts": { source: "export default function ingest(): void {}\n", expected: ["lint/style/noDefaultExport"] },
  "core/drizzle.config.ts": { source: "export default { dialect: 'sqlite' };\n", expected: [] },
  "edge/sync/value-import-for-type.ts": {
    source: 'import { Clock } from "../../shared/runtime/clock.ts";\nexport function later(clock: Clock): number {\n  return clock.now() + 1;\n}\n',
    expected: ["lint/style/useImportType"],
  },
  "edge/sync/type-import.ts": {
    source: 'import type { Clock } from "../../shared/runtime/clock.ts";\nexport function later(clock: Clock): number {\n  return clock.now() + 1;\n}\n',
    expected: [],
  },
  "core/calls/reaches-edge.ts": { source: 'import { createEdgeApp } from "../../edge/app.ts";\nexport const app = createEdgeApp;\n', expected: ["lint/style/noRestrictedImports"] },
  "edge/reaches-pi.ts": { source: 'import { piNode } from "../pi/node.ts";\nexport const node = piNode;\n', expected: ["lint/style/noRestrictedImports"] },
  "pi/spool/reaches-core.test.ts": { source: 'import { coreNode } from "../../core/node.ts";\nexport const node = coreNode;\n', expected: ["lint/style/noRestrictedImports"] },
  "shared/http/reaches-core.ts": { source: 'import { coreNode } from "../../core/node.ts";\nexport const node = coreNode;\n', expected: ["lint/style/noRestrictedImports"] },
  "core/calls/uses-shared.ts": { source: 'import { sha256Hex } from "../../shared/runtime/hashing.ts";\nexport const hash = sha256Hex;\n', expected: [] },
  "core/calls/drizzle.routes.ts": { source: 'import { sql } from "drizzle-orm";\nexport const query = sql`SELECT 1`;\n', expected: ["lint/style/noRestrictedImports"] },
  "core/calls/tables.routes.ts": { source: 'import { sqliteTable } from "drizzle-orm/sqlite-core";\nexport const table = sqliteTable;\n', expected: ["lint/style/noRestrictedImports"] },
  "pi/app/everything.routes.ts": {
    source: 'import { sql } from "drizzle-orm";\nimport { coreNode } from "../../core/node.ts";\nexport const parts = [sql, coreNode, Bun.version];\n',
    expected: ["lint/style/noRestrictedImports", "lint/style/noRestrictedImports", "lint/style/noRestrictedGlobals"],
  },
  "edge/importer/client.routes.ts": { source: 'import type { Client } from "@libsql/client";\nexport type Database = Client;\n', expected: ["lint/style/noRestrictedImports"] },
  "edge/importer/repository.routes.ts": { source: 'import { findImport } from "./import.repository.ts";\nexport const find = findImport;\n', expected: ["lint/style/noRestrictedImports"] },
  "edge/importer/repository-types.routes.ts": {
    source: 'import type { ImportRecord } from "./import.repository.ts";\nimport { ImportLockTakenError } from "./import.repository.ts";\nexport type Record = ImportRecord;\nexport const refused = ImportLockTakenError;\n',
    expected: [],
  },
  "edge/importer/repository-namespace.routes.ts": { source: 'import * as imports from "./import.repository.ts";\nexport const find = imports.findImport;\n', expected: ["lint/style/noRestrictedImports"] },
  "edge/importer/sql.usecases.ts": { source: 'import { sql } from "drizzle-orm";\nimport { findImport } from "./import.repository.ts";\nexport const parts = [sql, findImport];\n', expected: [] },
  "pi/recorder/bun-global.ts": { source: 'export const bytes = await Bun.file("chunk.opus").bytes();\n', expected: ["lint/style/noRestrictedGlobals"] },
  "shared/jobs/bun-module.ts": { source: 'import { Database } from "bun:sqlite";\nexport const database = new Database(":memory:");\n', expected: ["lint/style/noRestrictedImports"] },
  "edge/bun-types.ts": { source: 'import type { Server } from "bun";\nexport type BunServer = Server<unknown>;\n', expected: ["lint/style/noRestrictedImports"] },
  "shared/runtime/bun-adapter.ts": {
    source: 'import { Database } from "bun:sqlite";\nexport const database = new Database(":memory:");\nexport const bytes = await Bun.file("x").bytes();\n',
    expected: [],
  },
  "pi/recorder/bun-in.test.ts": { source: 'export const bytes = await Bun.file("chunk.opus").bytes();\n', expected: [] },
  "core/testing/bun-in-kit.ts": { source: 'export const bytes = await Bun.file("chunk.opus").bytes();\n', expected: [] },
  "scripts/bun-in-script.ts": { source: 'import type { BunPlugin } from "bun";\nexport const bytes = await Bun.file("x").bytes();\nexport type Plugin = BunPlugin;\n', expected: [] },
};

let dir: TempDir;
let found: Map<string, string[]>;
let checkedFiles: number;

beforeAll(async () => {
  dir = makeTempDir("salescontrol-lint-");
  copyFileSync(join(projectRoot, "biome.json"), dir.join("biome.json"));
  for (const [path, { source }] of Object.entries(files)) {
    mkdirSync(dirname(dir.join(path)), { recursive: true });
    writeFileSync(dir.join(path), source);
  }
  // The copy has no git work tree around it, so the project's .gitignore cannot be consulted.
  const result = await runCommand(biome, ["lint", "--vcs-enabled=false", "--reporter=json", "--max-diagnostics=none"], { cwd: dir.path });
  const report = JSON.parse(result.stdout) as {
    summary: { changed: number; unchanged: number };
    diagnostics: Array<{ category: string; location: { path: string } | null }>;
  };
  checkedFiles = report.summary.changed + report.summary.unchanged;
  found = new Map();
  for (const diagnostic of report.diagnostics) {
    const path = diagnostic.location?.path ?? "";
    found.set(path, [...(found.get(path) ?? []), diagnostic.category]);
  }
});

afterAll(() => dir?.remove());

describe("biome.json keeps STYLE.md's habits", () => {
  for (const [path, { expected }] of Object.entries(files)) {
    test(`${path}: ${expected.length === 0 ? "passes" : expected.join(", ")}`, () => {
      expect((found.get(path) ?? []).sort()).toEqual([...expected].sort());
    });
  }

  test("every file was linted, since a file the config skipped would pass every rule unseen", () => {
    expect(checkedFiles).toBe(Object.keys(files).length + 1); // and biome.json itself
  });
});

test("the tree passes the lint (npx biome lint)", async () => {
  const result = await runCommand(biome, ["lint", "--error-on-warnings"], { cwd: projectRoot });
  expect(`${result.stdout}${result.stderr}`).toContain("Checked");
  expect(result.code).toBe(0);
});
