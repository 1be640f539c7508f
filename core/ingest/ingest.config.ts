import { join } from "node:path";
import { field } from "../../shared/config/config-spec.ts";
import { decimal, integer, text } from "../../shared/config/config-types.ts";

/** Where uploaded chunks are stored (declared after data_dir, which its default derives from). */
export const ingestConfig = {
  audioStoragePath: field(text({ minLength: 1 }), {
    env: "AUDIO_STORAGE_PATH",
    default: (resolved) => join(String(resolved.dataDir), "audio"),
    description: "Directory for uploaded audio chunks, laid out as <point_id>/<YYYY-MM-DD>/<register_id>/ (default <data_dir>/audio).",
  }),
  audioRetentionDays: field(decimal({ min: 0.01, max: 36500 }), {
    env: "AUDIO_RETENTION_DAYS",
    default: 30,
    description: "Raw chunk audio older than this many days is deleted once nothing pending needs it (chunks waiting for speech finding, dialogues not yet transcribed keep theirs); transcripts and analyses stay.",
  }),
  audioMinFreeMb: field(integer({ min: 0, max: 10_000_000 }), {
    env: "AUDIO_MIN_FREE_MB",
    default: 1024,
    description: "Free space kept on the audio storage's filesystem: below it ingest answers 507 (ingest.storage_full) and recorders keep the chunk and retry later.",
  }),
};
