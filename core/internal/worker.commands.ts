import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { ConfigError } from "../../shared/config/config-loader.ts";
import { httpUrl } from "../../shared/config/config-types.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import { startRemoteAnalysisWorker } from "../pipeline/analysis/analysis-remote-worker.ts";
import { createUpsellAnalyser, llmSettingsOf } from "../pipeline/analysis/upsell-analyser.ts";
import { startRemoteAsrWorker } from "../pipeline/asr/asr-remote-worker.ts";
import { createTranscriptionProvider, transcriptionSettingsOf } from "../pipeline/asr/transcription-provider.ts";
import { startRemoteVadWorker } from "../pipeline/vad/vad-remote-worker.ts";
import { createInternalApiClient } from "./internal-api-client.ts";
import type { RemoteJobWorker } from "./remote-job-worker.ts";

export const workerRoles = ["vad", "asr", "analysis"] as const;
export type WorkerRole = (typeof workerRoles)[number];

export const workerUsage = "worker [--role vad|asr|analysis ...] [--core-url URL] [--token TOKEN]";

export interface WorkerArguments {
  roles: WorkerRole[];
  coreUrl: string | null;
  token: string | null;
}

/** `--role` may repeat or list roles with commas (`--role asr,analysis`); without it the worker finds speech (vad). */
export function parseWorkerArguments(args: readonly string[]): WorkerArguments {
  const roles = new Set<WorkerRole>();
  let coreUrl: string | null = null;
  let token: string | null = null;
  const problems: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const [flag, inline] = args[index]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!["--role", "--core-url", "--token"].includes(flag)) {
      problems.push(`unknown argument "${args[index]}"; usage: salescontrol-core ${workerUsage}`);
      continue;
    }
    const value = inline ?? args[++index];
    if (value === undefined || value === "") {
      problems.push(`${flag} needs a value`);
      continue;
    }
    if (flag === "--role") {
      for (const role of value.split(",").map((part) => part.trim())) {
        if ((workerRoles as readonly string[]).includes(role)) roles.add(role as WorkerRole);
        else problems.push(`--role ${role}: expected one of ${workerRoles.join(", ")}`);
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
  return { roles: roles.size > 0 ? [...roles] : ["vad"], coreUrl, token };
}

/**
 * `core worker`: the same job code as the core's own workers, pulling work from a core over its
 * internal API. Each role runs its own loops; the process stops cleanly on SIGTERM after the jobs
 * in flight are reported.
 */
export async function runWorkerCommand(deps: { config: ConfigOf<CoreConfigSpec>; clock: Clock; logger: Logger; shutdown: AbortSignal }, args: readonly string[]): Promise<number> {
  const { config, logger } = deps;
  const options = parseWorkerArguments(args);
  const coreUrl = options.coreUrl ?? config.ingestInternalBaseUrl;
  const token = options.token ?? config.internalToken;
  const problems: string[] = [];
  if (!coreUrl) problems.push("--core-url or INGEST_INTERNAL_BASE_URL (ingest_internal_base_url): missing; `core worker` needs the URL of the core it works for");
  if (!token) problems.push("--token or INTERNAL_TOKEN (internal_token): missing; `core worker` authenticates to the core's internal API with it");
  else if (token.length < 16) problems.push("--token / INTERNAL_TOKEN: expected at least 16 characters");
  const transcription = transcriptionSettingsOf(config);
  if (options.roles.includes("asr") && !transcription) {
    problems.push("TRANSCRIPTION_BASE_URL (transcription_base_url): missing; `core worker --role asr` needs a transcription server (https://api.openai.com/v1 for OpenAI's cloud)");
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const client = createInternalApiClient({ baseUrl: coreUrl!, token: token! });
  const remote = { client, clock: deps.clock, logger };
  const leaseSeconds = config.workerLeaseSeconds;
  const workers: RemoteJobWorker[] = [];
  for (const role of options.roles) {
    if (role === "vad") workers.push(await startRemoteVadWorker(remote, deps.shutdown));
    if (role === "asr") {
      workers.push(await startRemoteAsrWorker({ ...remote, provider: createTranscriptionProvider(transcription!), slots: transcription!.concurrency, leaseSeconds }, deps.shutdown));
    }
    if (role === "analysis") {
      const llm = llmSettingsOf(config);
      workers.push(startRemoteAnalysisWorker({ ...remote, analyser: createUpsellAnalyser(llm), slots: llm?.concurrency ?? 1, leaseSeconds }, deps.shutdown));
    }
  }
  logger.info("worker started", {
    core: coreUrl,
    roles: options.roles,
    ...(options.roles.includes("asr") ? { transcription: `${transcription!.model} at ${transcription!.endpoint.baseUrl}` } : {}),
    ...(options.roles.includes("analysis") ? { analysis: llmSettingsOf(config) ? `${config.llmModel} (LLM)` : "offline rules" } : {}),
  });
  await Promise.all(workers.map((worker) => worker.stop()));
  logger.info("worker stopped", { processed: workers.reduce((total, worker) => total + worker.processed(), 0) });
  return 0;
}
