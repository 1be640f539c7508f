export { jobs } from "../../shared/jobs/jobs.schema.ts";
export { apiKeys, tenants } from "../tenants/tenants.schema.ts";
export { callResultChanges, callResults, dispositionOverrides } from "../calls/calls.schema.ts";
export { areaCodes, didSelections, dids } from "../dids/dids.schema.ts";
