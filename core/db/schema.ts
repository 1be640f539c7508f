export { jobs } from "../../shared/jobs/jobs.schema.ts";
export { devices } from "../devices/devices.schema.ts";
export { audioChunks } from "../ingest/ingest.schema.ts";
export { speechSegments } from "../pipeline/vad/vad.schema.ts";
export { dialogues, dialogueSegments } from "../pipeline/dialogues/dialogues.schema.ts";
export { apiKeys, tenants } from "../tenants/tenants.schema.ts";
export { callResultChanges, callResults, dispositionOverrides } from "../calls/calls.schema.ts";
export { areaCodes, didSelections, dids } from "../dids/dids.schema.ts";
