export { callSyncOutbox, callSyncSeen, callSyncState } from "../sync/sync.schema.ts";
export { campaignAudioFiles, campaignImports, campaignLeads, campaignRollbacks } from "../campaigns/campaigns.schema.ts";
export { operatorSessions, operators } from "../operators/operators.schema.ts";
