export { callSyncOutbox, callSyncSeen, callSyncState } from "../sync/sync.schema.ts";
export { campaignAudioFiles, campaignImports, campaignLeads, campaignRollbacks } from "../campaigns/campaigns.schema.ts";
export { operatorSessions, operators, signInLockouts } from "../../shared/accounts/accounts.schema.ts";
export { machineApiKeys } from "../machine-keys/machine-keys.schema.ts";
