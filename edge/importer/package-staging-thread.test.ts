import { afterEach, beforeEach, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment } from "../testing/edge-test-kit.ts";
import { importPackageFile } from "./campaign-import.usecases.ts";
import { beginImport, type ImportProgress } from "./import-lock.ts";

let edge: EdgeTestEnvironment;
let dir: TempDir;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
  dir = makeTempDir();
});
afterEach(async () => {
  await edge.dispose();
  dir.remove();
});

test("a package is checked and staged on its own thread: staging goes on while the serving thread is busy", async () => {
  const generated = await buildTestPackage(dir, "large.zip", { leads: 20_000, audioFiles: 10, campaignId: "LARGE" });
  let progress: ImportProgress | null = null;
  const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "large.zip", operator: null, onProgress: (current) => (progress = { ...current }) });
  const importing = importPackageFile(edge.runtime.importer, run, generated.path);
  await waitUntil("the leads to be staged", () => progress?.phase === "leads" && progress.leads_read > 0);
  // This thread now runs nothing but this loop: only another thread can still write staged leads.
  const wal = `${edge.database.filePath}-wal`;
  const before = statSync(wal).size;
  const deadline = Date.now() + 60_000;
  while (statSync(wal).size === before && Date.now() < deadline) {
    // busy, as a thread stuck in long work would be
  }
  expect(statSync(wal).size).toBeGreaterThan(before);
  expect((await importing).outcome).toBe("deployed");
});

test("the snapshot built from the staged leads is the one the database holds", async () => {
  const generated = await buildTestPackage(dir, "spring.zip", { leads: 3000, audioFiles: 40, campaignId: "SPRING", format: "sql" });
  const run = await beginImport(edge.runtime.importer, { source: "cli", fileName: "spring.zip", operator: null });
  expect((await importPackageFile(edge.runtime.importer, run, generated.path)).outcome).toBe("deployed");
  const switched = edge.runtime.deployment.served.current().active!;
  await edge.runtime.deployment.load();
  const reloaded = edge.runtime.deployment.served.current().active!;
  expect(reloaded).not.toBe(switched);
  expect(switched.leads.length).toBe(3000);
  expect(switched.leads).toEqual(reloaded.leads);
  expect([...switched.byLeadId]).toEqual([...reloaded.byLeadId]);
  expect([...switched.byVendorCode]).toEqual([...reloaded.byVendorCode]);
  expect([...switched.byPhone]).toEqual([...reloaded.byPhone]);
  expect(switched.audioSlots).toEqual(reloaded.audioSlots);
  expect(Object.isFrozen(switched.leads[0]) && Object.isFrozen(switched.leads[0]!.fields) && Object.isFrozen(switched.leads[0]!.audio)).toBe(true);
});

test("a staging thread that cannot open the database fails the import with its reason; nothing changes", async () => {
  const generated = await buildTestPackage(dir, "spring.zip", { leads: 50, audioFiles: 4, campaignId: "SPRING" });
  writeFileSync(dir.join("not-a-directory"), "");
  const importer = { ...edge.runtime.importer, stagingDatabase: { url: `file:${dir.join("not-a-directory")}/edge.db` } };
  const run = await beginImport(importer, { source: "cli", fileName: "spring.zip", operator: null });
  const report = await importPackageFile(importer, run, generated.path);
  expect(report).toMatchObject({ outcome: "failed", problems: [{ code: "import.internal_error" }] });
  expect(report.problems[0]!.message).toContain("not-a-directory");
  expect(await edge.runtime.importer.imports.findImport(run.id)).toMatchObject({ state: "failed", errorCode: "import.internal_error" });
  expect(edge.runtime.deployment.served.current().active).toBeNull();
});
