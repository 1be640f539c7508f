export { jobs } from "../../shared/jobs/jobs.schema.ts";
export { devices } from "../devices/devices.schema.ts";
export { audioChunks } from "../ingest/ingest.schema.ts";
export { speechSegments } from "../pipeline/vad/vad.schema.ts";
export { dialogues, dialogueSegments } from "../pipeline/dialogues/dialogues.schema.ts";
export { dialogueTranscripts } from "../pipeline/asr/asr.schema.ts";
export { dialogueAnalyses, upsellOffers } from "../pipeline/analysis/analysis.schema.ts";
