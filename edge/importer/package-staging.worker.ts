import { lowerWorkerThreadPriority } from "../../shared/runtime/thread-priority.ts";
import { transferList } from "../campaigns/lead-table.ts";
import { type StagingCommand, type StagingEvent, stagingNice } from "./package-staging-helper.ts";
import { serveStagingCommands } from "./package-staging.ts";

/** The staging side as a worker thread (where no child process can be started: under Deno). */

const scope = globalThis as unknown as { postMessage(message: StagingEvent, transfer?: ArrayBuffer[]): void; onmessage: ((event: MessageEvent<StagingCommand>) => void) | null };

lowerWorkerThreadPriority(stagingNice);

serveStagingCommands({
  // The lead table's buffers move to the serving thread without a copy.
  post: (event) => {
    const leads = event.type === "staged" && event.outcome.kind === "staged" ? event.outcome.leads : event.type === "table" ? event.leads : null;
    scope.postMessage(event, leads && !("file" in leads) ? transferList(leads) : []);
  },
  onCommand: (handler) => {
    scope.onmessage = (message) => handler(message.data);
  },
});
