import { field } from "../../shared/config/config-spec.ts";
import { httpUrl, optional, port, text } from "../../shared/config/config-types.ts";

/**
 * Where the edge finds VICIdial's database and the core's DID Optimizer API. The VICIdial files are
 * read first (astguiclient.conf for the database, dids.conf for the API), these settings override
 * them, and VICIdial's defaults fill what is left (localhost / cron / 1234 / asterisk / 3306).
 */
export const vicidialConfig = {
  astguiclientConf: field(text({ minLength: 1 }), {
    env: "ASTGUICLIENT_CONF",
    default: "/etc/astguiclient.conf",
    description: "VICIdial's configuration file; its VARDB_* lines give the database connection.",
  }),
  didsConf: field(text({ minLength: 1 }), {
    env: "DIDS_CONF",
    default: "/etc/asterisk/dids.conf",
    description: "The DID Optimizer's INI file; its api_base_url and api_key give the core's API.",
  }),
  vicidialDbHost: field(optional(text({ minLength: 1 })), { env: "VICIDIAL_DB_HOST", description: "VICIdial database host; overrides VARDB_server." }),
  vicidialDbPort: field(optional(port()), { env: "VICIDIAL_DB_PORT", description: "VICIdial database port; overrides VARDB_port." }),
  vicidialDbUser: field(optional(text({ minLength: 1 })), { env: "VICIDIAL_DB_USER", description: "VICIdial database user (SELECT on vicidial_log is enough); overrides VARDB_user." }),
  vicidialDbPass: field(optional(text()), { env: "VICIDIAL_DB_PASS", description: "VICIdial database password; overrides VARDB_pass.", secret: true }),
  vicidialDbName: field(optional(text({ minLength: 1 })), { env: "VICIDIAL_DB_NAME", description: "VICIdial database name; overrides VARDB_database." }),
  didOptimizerApiUrl: field(optional(httpUrl()), {
    env: "DID_OPTIMIZER_API_URL",
    description: "Base URL of the core's DID Optimizer API; overrides api_base_url (default http://127.0.0.1:8000).",
  }),
  didOptimizerApiKey: field(optional(text({ minLength: 1 })), {
    env: "DID_OPTIMIZER_API_KEY",
    description: "The tenant's API key for the core; overrides api_key. Without one, call results are not synced.",
    secret: true,
  }),
};
