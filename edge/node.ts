import type { CommandContext, NodeDefinition } from "../shared/cli/node-definition.ts";
import { type FetchHandler, startHttpServer } from "../shared/runtime/http-server.ts";
import { runCampaignsCommand, runRollbackCommand } from "./campaigns/campaign.commands.ts";
import { type CampaignRuntime, createCampaignRuntime } from "./campaigns/campaign-runtime.ts";
import { type EdgeConfigSpec, edgeConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { DefaultPromptError } from "./dialer/default-prompt.ts";
import { type EdgeServices, startEdgeServices } from "./edge-services.ts";
import { runImportCommand } from "./importer/import.commands.ts";
import { processPasswordSource, runOperatorCommand } from "../shared/accounts/operator.commands.ts";
import { createEdgeAccounts } from "./operators/operator-accounts.ts";
import { syncCommand } from "./sync/sync.commands.ts";

type EdgeContext = CommandContext<EdgeConfigSpec, typeof schema>;

/** The runtime for a one-off command: the same code paths as the server, without a listener. */
function commandRuntime(context: EdgeContext): Promise<CampaignRuntime> {
  const { config } = context;
  return createCampaignRuntime({ ...context, client: context.database.client, baseUrl: config.baseUrl ?? `http://127.0.0.1:${config.port}`, serving: false });
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
    let services: EdgeServices;
    try {
      const baseUrl = config.baseUrl ?? `http://127.0.0.1:${server.port}`;
      services = await startEdgeServices({ config, client: database.client, logger, metrics, clock, baseUrl, signal: shutdown, callSync: true });
    } catch (error) {
      await server.forceStop();
      if (error instanceof DefaultPromptError) logger.error(error.message);
      throw error;
    }
    const { campaigns, callSync } = services;
    handle = services.fetch;
    return {
      url: server.url,
      stop: async () => {
        await campaigns.background.stop();
        await server.stop();
        await Promise.all([campaigns.watcher?.stopped, callSync?.stop()]);
      },
    };
  },
  commands: {
    import: {
      usage: "import <package.zip>",
      summary: "validate a campaign package and deploy it atomically (the previous campaign is kept for rollback)",
      run: async (context, args) => runImportCommand(await commandRuntime(context), args, context.output, context.shutdown),
    },
    rollback: {
      usage: "rollback",
      summary: "serve the previous campaign again",
      run: async (context) => runRollbackCommand(await commandRuntime(context), context.output),
    },
    campaigns: {
      usage: "campaigns [--limit N]",
      summary: "show the import history: what is served, what was replaced or refused and why",
      run: async (context, args) => runCampaignsCommand(context.database.client, args, context.output),
    },
    operator: {
      usage: "operator add|access|password|remove|list [name] [--role admin|viewer] [--scope <id>,…]",
      summary: "manage the accounts that may open the importer and dashboard",
      run: async (context, args) => runOperatorCommand(createEdgeAccounts({ config: context.config, db: context.database.db, clock: context.clock, logger: context.logger }), args, context.output, processPasswordSource()),
    },
    sync: syncCommand,
  },
};
