import type { CommandContext, NodeDefinition } from "../shared/cli/node-definition.ts";
import { processPasswordSource, runOperatorCommand } from "../shared/accounts/operator.commands.ts";
import { type FetchHandler, startHttpServer } from "../shared/runtime/http-server.ts";
import { createEdgeApp } from "./app.ts";
import { runCampaignsCommand, runRollbackCommand } from "./campaigns/campaign.commands.ts";
import { type EdgeConfigSpec, edgeConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { DefaultPromptError } from "./dialer/default-prompt.ts";
import { withDialerFastPath } from "./dialer/dialer.routes.ts";
import { buildEdgeDeps, type EdgeDeps } from "./edge-deps.ts";
import { runImportCommand } from "./importer/import.commands.ts";
import { runMachineKeyCommand } from "./machine-keys/machine-key.commands.ts";
import { runSyncCommand } from "./sync/sync.commands.ts";

type EdgeContext = CommandContext<EdgeConfigSpec, typeof schema>;

/** A one-off command runs on the same deps as the server, without a listener or loops. */
function withEdgeDeps(run: (deps: EdgeDeps, args: string[], context: EdgeContext) => Promise<number>): (context: EdgeContext, args: string[]) => Promise<number> {
  return async (context, args) => run(await buildEdgeDeps(context.config, context.database, context.clock, { logger: context.logger, metrics: context.metrics }), args, context);
}

export const edgeNode: NodeDefinition<EdgeConfigSpec, typeof schema> = {
  name: "edge",
  summary: "the SalesControl node on a VICIdial server: campaign packages, the dialer's local API, call-result sync",
  configSpec: edgeConfigSpec,
  schema,
  migrations,
  writableDirectories: (config) => [{ setting: "AUDIO_STORAGE_PATH", path: config.audioStoragePath }],
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock, shutdown }) {
    // Requests that arrive while the campaign loads are refused briefly rather than answered wrongly.
    let handle: FetchHandler = () => new Response("starting", { status: 503, headers: { "Retry-After": "1" } });
    const server = startHttpServer({
      fetch: (request, bindings) => handle(request, bindings),
      hostname: config.host,
      port: config.port,
      maxRequestBodyBytes: config.maxPackageBytes + 1024 * 1024,
      idleTimeoutSeconds: 120,
    });
    let deps: EdgeDeps;
    try {
      const baseUrl = config.baseUrl ?? `http://127.0.0.1:${server.port}`;
      deps = await buildEdgeDeps(config, database, clock, { logger, metrics, baseUrl, serve: { signal: shutdown, callSync: true } });
    } catch (error) {
      await server.forceStop();
      if (error instanceof DefaultPromptError) logger.error(error.message);
      throw error;
    }
    handle = withDialerFastPath(deps.dialer, createEdgeApp(deps).fetch);
    return {
      url: server.url,
      stop: async () => {
        await deps.background.stop();
        await server.stop();
        await Promise.all([deps.watcher?.stopped, deps.callSync?.stop()]);
      },
    };
  },
  commands: {
    import: {
      usage: "import <package.zip>",
      summary: "validate a campaign package and deploy it atomically (the previous campaign is kept for rollback)",
      run: withEdgeDeps((deps, args, context) => runImportCommand(deps, args, context.output, context.shutdown)),
    },
    rollback: {
      usage: "rollback",
      summary: "serve the previous campaign again",
      run: withEdgeDeps((deps, _args, context) => runRollbackCommand(deps, context.output)),
    },
    campaigns: {
      usage: "campaigns [--limit N]",
      summary: "show the import history: what is served, what was replaced or refused and why",
      run: withEdgeDeps((deps, args, context) => runCampaignsCommand(deps, args, context.output)),
    },
    operator: {
      usage: "operator add|access|password|remove|list [name] [--role admin|viewer] [--scope <id>,…]",
      summary: "manage the accounts that may open the importer and dashboard",
      run: withEdgeDeps((deps, args, context) => runOperatorCommand(deps.operators, args, context.output, processPasswordSource())),
    },
    "api-key": {
      usage: "api-key add|list|revoke [name]",
      summary: "manage the API keys machines (the core's studio) push campaign packages with",
      run: withEdgeDeps((deps, args, context) => runMachineKeyCommand(deps.machineKeys, args, context.output)),
    },
    sync: {
      usage: "sync [--once|--since <time>|--status|--retry-dead|--check]",
      summary: "ship vicidial_log call results to the core once (cron), re-send a period since <time> (2026-01-15 09:00, 2h, 3d), or show the outbox",
      run: withEdgeDeps((deps, args, context) => runSyncCommand(deps, args, context)),
    },
  },
};
