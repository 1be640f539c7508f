import { ConfigError } from "../../shared/config/config-loader.ts";
import { httpUrl } from "../../shared/config/config-types.ts";
import type { CoreDeps } from "../core-deps.ts";
import { type PipelineStage, type PipelineStages, stageOf } from "../pipeline/pipeline-stage.ts";
import { createInternalApiClient } from "./internal-api-client.ts";
import type { RemoteJobWorker } from "./remote-job-worker.ts";

/** `worker [--role a|b|c ...] …` with the roles these stages offer. */
export function workerUsageOf(stages: PipelineStages): string {
  return `worker [--role ${stages.map((stage) => stage.queue).join("|")} ...] [--core-url URL] [--token TOKEN]`;
}

/** What `core worker` does, for `--help`. */
export function workerSummaryOf(stages: PipelineStages): string {
  return `do a core's pipeline work on this host over its internal API: ${stages.map((stage) => stage.summary).join(", ")}`;
}

export interface WorkerArguments {
  roles: PipelineStage[];
  coreUrl: string | null;
  token: string | null;
}

/** `--role` may repeat or list roles with commas (`--role asr,analysis`); without it the worker runs the first stage (vad). */
export function parseWorkerArguments(args: readonly string[], stages: PipelineStages): WorkerArguments {
  const roles = new Set<PipelineStage>();
  let coreUrl: string | null = null;
  let token: string | null = null;
  const problems: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const [flag, inline] = args[index]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!["--role", "--core-url", "--token"].includes(flag)) {
      problems.push(`unknown argument "${args[index]}"; usage: salescontrol-core ${workerUsageOf(stages)}`);
      continue;
    }
    const value = inline ?? args[++index];
    if (value === undefined || value === "") {
      problems.push(`${flag} needs a value`);
      continue;
    }
    if (flag === "--role") {
      for (const role of value.split(",").map((part) => part.trim())) {
        const stage = stageOf(stages, role);
        if (stage) roles.add(stage);
        else problems.push(`--role ${role}: expected one of ${stages.map((known) => known.queue).join(", ")}`);
      }
    } else if (flag === "--core-url") {
      const parsed = httpUrl().schema.safeParse(value);
      if (parsed.success) coreUrl = parsed.data;
      else problems.push(`--core-url ${value}: expected an http:// or https:// URL such as http://core:8000`);
    } else {
      token = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { roles: roles.size > 0 ? [...roles] : [stages[0]!], coreUrl, token };
}

/**
 * `core worker`: the same job code as the core's own workers, pulling work from a core over its
 * internal API. Each role runs its own loops; the process stops cleanly on SIGTERM after the jobs
 * in flight are reported.
 */
export async function runWorkerCommand(deps: Pick<CoreDeps, "config" | "clock" | "logger" | "stages">, shutdown: AbortSignal, args: readonly string[]): Promise<number> {
  const { config, logger } = deps;
  const options = parseWorkerArguments(args, deps.stages);
  const coreUrl = options.coreUrl ?? config.ingestInternalBaseUrl;
  const token = options.token ?? config.internalToken;
  const problems: string[] = [];
  if (!coreUrl) problems.push("--core-url or INGEST_INTERNAL_BASE_URL (ingest_internal_base_url): missing; `core worker` needs the URL of the core it works for");
  if (!token) problems.push("--token or INTERNAL_TOKEN (internal_token): missing; `core worker` authenticates to the core's internal API with it");
  else if (token.length < 16) problems.push("--token / INTERNAL_TOKEN: expected at least 16 characters");
  for (const stage of options.roles) problems.push(...stage.worker.problems(config));
  if (problems.length > 0) throw new ConfigError(problems);

  const host = { config, client: createInternalApiClient({ baseUrl: coreUrl!, token: token! }), clock: deps.clock, logger };
  const workers: RemoteJobWorker[] = [];
  for (const stage of options.roles) workers.push(await stage.worker.start(host, shutdown));
  logger.info("worker started", {
    core: coreUrl,
    roles: options.roles.map((stage) => stage.queue),
    ...Object.fromEntries(options.roles.map((stage) => [stage.healthKey, stage.describe(config)])),
  });
  await Promise.all(workers.map((worker) => worker.stop()));
  logger.info("worker stopped", { processed: workers.reduce((total, worker) => total + worker.processed(), 0) });
  return 0;
}
