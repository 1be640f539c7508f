export { chunks, recorderCounters } from "../spool/spool.schema.ts";
