export { jobs } from "../../shared/jobs/jobs.schema.ts";
export { callSyncOutbox, callSyncSeen, callSyncState } from "../sync/sync.schema.ts";
