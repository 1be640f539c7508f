export { jobs } from "../../shared/jobs/jobs.schema.ts";
