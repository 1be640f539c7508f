import { join } from "node:path";
import { field } from "../../shared/config/config-spec.ts";
import { text } from "../../shared/config/config-types.ts";

/** Where uploaded chunks are stored (declared after data_dir, which its default derives from). */
export const ingestConfig = {
  audioStoragePath: field(text({ minLength: 1 }), {
    env: "AUDIO_STORAGE_PATH",
    default: (resolved) => join(String(resolved.dataDir), "audio"),
    description: "Directory for uploaded audio chunks, laid out as <point_id>/<YYYY-MM-DD>/<register_id>/ (default <data_dir>/audio).",
  }),
};
