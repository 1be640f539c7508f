/**
 * Dashboard aggregates on a year of analysed dialogues (100 registers at 20 points), generated
 * straight into a core database file with bulk INSERT … SELECT and kept under .cache/bench (keyed by
 * the generator's version and size), so a second run copies it instead of generating again; the facts
 * and totals built from it are kept too, under a hash of the analytics code that built them.
 * Printed: the catch-up that builds the facts and daily totals, then p50/p95 of each overview-page
 * call for a day, a month and a year, filtered list pages and searches, beside plain GROUP BY / LIKE
 * queries over the pipeline's own tables (no index or summary of the dashboard's) on the same rows in
 * the same run; and the bytes of each page (HTML with its inline script and style).
 *   bun run bench dashboard [dialogues=1000000] [repeats=15]
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { migrations } from "../../core/db/migrations.ts";
import * as schema from "../../core/db/schema.ts";
import { analyticsFactsVersion } from "../../core/analytics/analytics.repository.ts";
import { createAnalyticsDeps, getCategories, getDaily, getHourly, getOverview, getPoints, getQualityHistogram, listAnalysedDialogues, type PeriodQuery } from "../../core/analytics/analytics.usecases.ts";
import { defaultAnalysisSettings } from "../../core/pipeline/analysis/analysis-settings.ts";
import { createTestCore } from "../../core/testing/core-test-app.ts";
import { backupDatabase } from "../../shared/db/backup.ts";
import { applyMigrations } from "../../shared/db/migrations.ts";
import { openDatabase } from "../../shared/db/open-database.ts";
import { openTempDatabase } from "../../shared/testing/temp-database.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { median, percentile, printTable } from "./bench-report.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 15);
const timezone = "Europe/Belgrade";
const yearStart = Date.UTC(2025, 11, 1); // 2025-12-01
/** Bump when the generated rows change: the cached file's name carries it. */
const generatorVersion = 2;

const words = ["гарантию", "чехол", "наушники", "зарядку", "скидка", "пакет", "десерт", "кофе", "warranty", "case", "charger", "headphones", "bag", "discount", "receipt", "card"];
const reactions = ["accepted", "declined", "considering", "no_reaction", "not_applicable"];
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

/** The pipeline's tables as a year of analysed dialogues leaves them; the dashboard's own tables stay empty. */
async function generateDialogues(target: string): Promise<void> {
  const database = await openTempDatabase(migrations, schema);
  try {
    const { db, client } = database;
    const seq = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count - 1})`;
    // Dialogue i: register i % 100 (point register / 5), day i % 365, 07:00–19:00 UTC spread by a multiplicative hash.
    const start = `(${yearStart} + (i % 365) * 86400000 + 25200000 + ((i * 7919) % 43200000))`;
    const id = `printf('%08x-0000-4000-8000-%012d', i, i)`;
    await db.run(sql.raw(`${seq} INSERT INTO dialogues (dialogue_id, point_id, register_id, start_ts, end_ts, segment_count, speech_ms, status, close_reason, revision, created_at, updated_at, closed_at, asr_status, asr_pass, analysis_status, analysis_pass)
      SELECT ${id}, printf('00000000-0000-4000-a000-%012d', (i % 100) / 5), printf('00000000-0000-4000-b000-%012d', i % 100), ${start}, ${start} + 45000, 3, 40000, 'closed', 'silence', 1, ${start}, ${start}, ${start} + 60000, 'DONE', 1, 'DONE', 1 FROM seq`));
    // Three words per transcript from separate bits of a multiplicative hash, so two common words meet in about 2 % of them.
    const word = (shift: number) => `(CASE (((i * 2654435761) % 4294967296) >> ${shift}) & 15 ${words.map((text, index) => `WHEN ${index} THEN '${text}'`).join(" ")} END)`;
    await db.run(sql.raw(`${seq} INSERT INTO dialogue_transcripts (id, dialogue_id, revision, pass, text, segments, language, model, audio_ms, provider_ms, created_at)
      SELECT i + 1, ${id}, 1, 1, 'Добрый день. Хотите ' || ${word(8)} || ' или ' || ${word(16)} || '? Customer asks about ' || ${word(24)} || ' number ' || i || '.', NULL, 'ru', 'bench', 40000, 100, 0 FROM seq`));
    await db.run(sql.raw(`${seq} INSERT INTO dialogue_analyses (id, dialogue_id, transcript_id, pass, method, model, language, upsell_attempted, customer_reaction, quality_score, rubric, quality_rationale, summary, created_at)
      SELECT i + 1, ${id}, i + 1, 1, 'rules', NULL, 'ru', (i * 11) % 10 < 6, CASE WHEN (i * 11) % 10 < 6 THEN (CASE (i * 3) % 4 ${[0, 1, 2, 3].map((index) => `WHEN ${index} THEN '${reactions[index]}'`).join(" ")} END) ELSE 'not_applicable' END, (i * 17) % 11, 'rubric', 'rationale', 'summary of dialogue ' || i, 0 FROM seq`));
    await db.run(sql.raw(`${seq} INSERT INTO upsell_offers (analysis_id, position, category, product, quote, quote_start, quote_end)
      SELECT i + 1, 0, CASE (i * 5) % 3 WHEN 0 THEN 'warranty' WHEN 1 THEN 'accessory' ELSE 'other' END, NULL, 'Хотите', 12, 18 FROM seq WHERE (i * 11) % 10 < 6`));
    await backupDatabase(client, target);
  } finally {
    database.dispose();
  }
}

const cacheDirectory = join(import.meta.dir, "../../.cache/bench");
mkdirSync(cacheDirectory, { recursive: true });
const cachedPath = join(cacheDirectory, `dashboard-${count}-v${generatorVersion}.db`);
let origin = `reused ${cachedPath}`;
if (!existsSync(cachedPath)) {
  const [, generateMs] = await timed(() => generateDialogues(cachedPath));
  origin = `generated in ${(generateMs / 1000).toFixed(1)} s into ${cachedPath}`;
}
// The facts, search index and totals built from those rows are kept under a hash of what shapes them (the
// migrations, the local calendar and the facts' version), so a second run skips the build.
const factsKey = createHash("sha256")
  .update(["../../core/db/migrations.ts", "../../core/analytics/local-time.ts"].map((path) => readFileSync(join(import.meta.dir, path), "utf8")).join("\n"))
  .update(`facts version ${analyticsFactsVersion}`)
  .digest("hex")
  .slice(0, 12);
const builtPrefix = `dashboard-${count}-v${generatorVersion}-facts-`;
const builtPath = join(cacheDirectory, `${builtPrefix}${factsKey}.db`);
const work = makeTempDir("salescontrol-dashboard-bench-");
const reuseBuilt = existsSync(builtPath) && existsSync(`${builtPath}.json`);
const [database, copyMs] = await timed(async () => {
  copyFileSync(reuseBuilt ? builtPath : cachedPath, work.join("core.db"));
  const opened = openDatabase({ url: `file:${work.join("core.db")}` }, schema);
  await applyMigrations(opened.client, migrations);
  return opened;
});
const { db, client } = database;
const deps = createAnalyticsDeps({ db, timezone, settings: defaultAnalysisSettings });
let built: string;
if (reuseBuilt) {
  const recorded = JSON.parse(readFileSync(`${builtPath}.json`, "utf8")) as { catchUpSeconds: number };
  built = `reused ${builtPath} (the build took ${recorded.catchUpSeconds.toFixed(1)} s when it was made)`;
} else {
  const [, catchUpMs] = await timed(() => deps.repository.refresh(deps.calendar));
  built = `built from them in ${(catchUpMs / 1000).toFixed(1)} s`;
  for (const file of readdirSync(cacheDirectory).filter((name) => name.startsWith(builtPrefix))) rmSync(join(cacheDirectory, file), { force: true });
  await backupDatabase(client, builtPath);
  writeFileSync(`${builtPath}.json`, JSON.stringify({ catchUpSeconds: catchUpMs / 1000 }));
}
// Requests catch up first: with nothing new that is the cheap check every measured call pays.
await deps.repository.refresh(deps.calendar);
const pages = await createTestCore();

try {
  console.log(`${count} analysed dialogues over a year of 100 registers: ${origin}; copied and migrated in ${(copyMs / 1000).toFixed(1)} s; facts, search index and daily totals ${built}`);

  const all = { kind: "all" } as const;
  const periods: Array<[string, PeriodQuery, number, number]> = [
    ["day", { from: "2026-03-29", to: "2026-03-29" }, Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22)],
    ["month", { from: "2026-03-01", to: "2026-03-31" }, Date.UTC(2026, 1, 28, 23), Date.UTC(2026, 2, 31, 22)],
    ["year", { from: "2025-12-01", to: "2026-11-30" }, Date.UTC(2025, 10, 30, 23), Date.UTC(2026, 10, 30, 23)],
  ];
  const calls: Array<[string, (query: PeriodQuery) => Promise<unknown>]> = [
    ["overview", (query) => getOverview(deps, all, query)],
    ["hourly", (query) => getHourly(deps, all, query)],
    ["daily", (query) => getDaily(deps, all, query)],
    ["categories", (query) => getCategories(deps, all, query)],
    ["quality", (query) => getQualityHistogram(deps, all, query)],
    ["points", (query) => getPoints(deps, all, query)],
  ];
  const joined = "FROM dialogues d JOIN dialogue_analyses a ON a.dialogue_id = d.dialogue_id AND a.pass = d.analysis_pass";
  const local = "(d.start_ts + 3600000)"; // a fixed +01:00: the baseline ignores daylight saving
  const baselines: Record<string, (from: number, to: number) => string[]> = {
    overview: (from, to) => [from - (to - from), from].map((low) => `SELECT count(*), sum(a.upsell_attempted), sum(a.customer_reaction = 'accepted'), avg(a.quality_score) ${joined} WHERE d.start_ts >= ${low} AND d.start_ts < ${low + (to - from)}`),
    hourly: (from, to) => [`SELECT (${local} / 3600000) % 24 AS hour, count(*), sum(a.upsell_attempted), avg(a.quality_score) ${joined} WHERE d.start_ts >= ${from} AND d.start_ts < ${to} GROUP BY hour`],
    daily: (from, to) => [`SELECT ${local} / 86400000 AS day, count(*), sum(a.upsell_attempted), sum(a.customer_reaction = 'accepted'), avg(a.quality_score) ${joined} WHERE d.start_ts >= ${from} AND d.start_ts < ${to} GROUP BY day`],
    categories: (from, to) => [`SELECT o.category, count(DISTINCT a.id), sum(a.customer_reaction = 'accepted') ${joined} JOIN upsell_offers o ON o.analysis_id = a.id WHERE d.start_ts >= ${from} AND d.start_ts < ${to} GROUP BY o.category`],
    quality: (from, to) => [`SELECT a.quality_score, count(*) ${joined} WHERE d.start_ts >= ${from} AND d.start_ts < ${to} GROUP BY a.quality_score`],
    points: (from, to) => [`SELECT d.point_id, d.register_id, count(*), sum(a.upsell_attempted), sum(a.customer_reaction = 'accepted'), avg(a.quality_score) ${joined} WHERE d.start_ts >= ${from} AND d.start_ts < ${to} GROUP BY d.point_id, d.register_id`],
  };
  const measure = async (work: () => Promise<unknown>, times: number) => {
    await work();
    const samples: number[] = [];
    for (let index = 0; index < times; index++) samples.push((await timed(work))[1]);
    return samples;
  };
  const row = (name: string, ours: number[], plain: number[]) => [name, median(ours).toFixed(1), percentile(ours, 0.95).toFixed(1), median(plain).toFixed(1), percentile(plain, 0.95).toFixed(1)];
  const rows: Array<Array<string | number>> = [];
  for (const [periodName, query, from, to] of periods) {
    const pageOurs: number[] = [];
    const pagePlain: number[] = [];
    for (const [callName, call] of calls) {
      const ours = await measure(() => call(query), repeats);
      const plain = await measure(async () => {
        for (const statement of baselines[callName]!(from, to)) await client.execute(statement);
      }, Math.max(3, Math.ceil(repeats / 3)));
      rows.push(row(`${periodName} ${callName}`, ours, plain));
      pageOurs.push(median(ours));
      pagePlain.push(median(plain));
    }
    rows.push([`${periodName}: whole overview page (sum of p50)`, pageOurs.reduce((a, b) => a + b, 0).toFixed(1), "", pagePlain.reduce((a, b) => a + b, 0).toFixed(1), ""]);
  }
  const month = periods[1]![1];
  const pointId = "00000000-0000-4000-a000-000000000007";
  rows.push(
    row(
      "list page: month, one point, upsell, quality ≥ 5, 50 by time",
      await measure(() => listAnalysedDialogues(deps, all, { ...month, pointId, upsell: true, qualityMin: 5, sort: "time_desc", limit: 50 }), repeats),
      await measure(() => client.execute(`SELECT d.dialogue_id, d.start_ts, a.upsell_attempted, a.quality_score, a.customer_reaction, a.summary ${joined} WHERE d.start_ts >= ${periods[1]![2]} AND d.start_ts < ${periods[1]![3]} AND d.point_id = '${pointId}' AND a.upsell_attempted = 1 AND a.quality_score >= 5 ORDER BY d.start_ts DESC LIMIT 51`), repeats),
    ),
  );
  rows.push(
    row(
      "list page: year, quality ≤ 2, 50 by quality",
      await measure(() => listAnalysedDialogues(deps, all, { ...periods[2]![1], qualityMax: 2, sort: "quality_desc", limit: 50 }), repeats),
      await measure(() => client.execute(`SELECT d.dialogue_id, d.start_ts, a.quality_score ${joined} WHERE d.start_ts >= ${periods[2]![2]} AND d.start_ts < ${periods[2]![3]} AND a.quality_score <= 2 ORDER BY a.quality_score DESC, d.start_ts DESC LIMIT 51`), Math.max(3, Math.ceil(repeats / 3))),
    ),
  );
  for (const [label, q, query, from, to] of [
    ["search: month, one number", `number ${Math.floor(count / 2)}`, month, periods[1]![2], periods[1]![3]],
    ["search: month, two common words", "гарантию кофе", month, periods[1]![2], periods[1]![3]],
    ["search: year, two common words", "гарантию кофе", periods[2]![1], periods[2]![2], periods[2]![3]],
    ["search: year, one number", `number ${Math.floor(count / 2)}`, periods[2]![1], periods[2]![2], periods[2]![3]],
  ] as const) {
    const like = q
      .split(" ")
      .map((word) => `t.text LIKE '%${word}%'`)
      .join(" AND ");
    rows.push(
      row(
        label,
        await measure(() => listAnalysedDialogues(deps, all, { ...query, q, sort: "time_desc", limit: 50 }), repeats),
        await measure(() => client.execute(`SELECT d.dialogue_id, d.start_ts ${joined} JOIN dialogue_transcripts t ON t.id = a.transcript_id WHERE d.start_ts >= ${from} AND d.start_ts < ${to} AND ${like} ORDER BY d.start_ts DESC LIMIT 51`), 3),
      ),
    );
  }
  printTable(["call (ms)", "ours p50", "ours p95", "plain GROUP BY p50", "plain p95"], rows);
  console.log("targets: month ≤ 50 ms p95, year ≤ 150 ms p95 per call, list page ≤ 30 ms, search ≤ 100 ms");

  // Everything a page loads: its HTML carries its script and style inline; the icon is the one other request.
  const bytesOf = async (path: string) => (await pages.app.request(path)).arrayBuffer().then((body) => body.byteLength);
  const icon = await bytesOf("/favicon.ico");
  const pageBytes: Array<Array<string | number>> = [];
  for (const path of ["/login", "/dashboard", "/dialogues", "/dialogues/00000000-0000-4000-8000-000000000000"]) {
    const html = await bytesOf(path);
    pageBytes.push([path, html, icon, ((html + icon) / 1024).toFixed(1)]);
  }
  printTable(["page", "HTML+script+style bytes", "icon bytes", "total KB"], pageBytes);
  console.log("target: all HTML, script and style of one page ≤ 150 KB");
} finally {
  pages.dispose();
  database.close();
  work.remove();
}
