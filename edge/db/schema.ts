export { jobs } from "../../shared/jobs/jobs.schema.ts";
export { callSyncOutbox, callSyncSeen, callSyncState } from "../sync/sync.schema.ts";
export { campaignAudioFiles, campaignImports, campaignLeads } from "../campaigns/campaigns.schema.ts";
export { operatorSessions, operators } from "../operators/operators.schema.ts";
