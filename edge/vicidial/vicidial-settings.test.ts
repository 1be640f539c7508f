import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { parseAstguiclientConf } from "./astguiclient-conf.ts";
import { parseDidsConf } from "./dids-conf.ts";
import { vicidialConfig } from "./vicidial.config.ts";
import { describeVicidialSettings, resolveVicidialSettings } from "./vicidial-settings.ts";

/** Shaped like the file VICIdial's installer writes: `KEY => value` lines among comments. */
const installerStyle = `# astguiclient.conf - configuration elements for the astguiclient package
# this is the astguiclient configuration file

# Paths used by astGUIclient
PATHhome => /usr/share/astguiclient
PATHlogs => /var/log/astguiclient

# The IP address of this machine
VARserver_ip => 10.1.2.3

# Database connection information
VARDB_server => db.callcenter.local
VARDB_database => asterisk
VARDB_user => reporter
VARDB_pass => s3cret
VARDB_custom_user => custom
VARDB_custom_pass => custom1234
VARDB_port => 3307

# Alpha-Numeric list of the astGUIclient processes to be kept running
VARactive_keepalives => 1234568
VARFTP_pass => test
VARREPORT_pass => test
`;

describe("astguiclient.conf, parsed as VICIdial parses it", () => {
  test("reads the VARDB_* values of an installer-written file and nothing else", () => {
    expect(parseAstguiclientConf(installerStyle)).toEqual({ server: "db.callcenter.local", database: "asterisk", user: "reporter", pass: "s3cret", port: "3307" });
  });

  test("CRLF, key=value, tabs, comments, the last '=' and a later line winning behave as in VICIdial's Perl", () => {
    const text = [
      "VARDB_server=first-host\r",
      "VARDB_server\t=>\tsecond-host   # the one VICIdial uses\r",
      "VARDB_user = my user ; spaces vanish\r",
      "VARDB_pass => pa=ss#word\r",
      "   VARDB_database => notUsed\r",
      "#VARDB_port => 9999\r",
      "VARDB_port\r",
    ].join("\n");
    // Spaces are deleted before matching, so an indented line counts; a line without '=' keeps its whole text.
    expect(parseAstguiclientConf(text)).toEqual({ server: "second-host", user: "myuser", pass: "ss", database: "notUsed", port: "VARDB_port" });
  });

  test("keys match as prefixes, exactly like /^VARDB_server/", () => {
    expect(parseAstguiclientConf("VARDB_server => a\nVARDB_server_old => b\n").server).toBe("b");
    expect(parseAstguiclientConf("vardb_server => lower\n").server).toBeUndefined();
  });
});

describe("dids.conf, a loose INI file", () => {
  test("sections, both key=value forms, comments, inline comments, quotes, CRLF and a BOM", () => {
    const text = '\uFEFF; DID Optimizer\r\n[general]\r\napi_base_url = http://core.example.com:8000/\r\nAPI_KEY=sc_abc;def\r\napi_timeout=5   ; seconds\r\n# db_host=ignored\r\ndb_pass="p w"\r\n[did-optimizer]\r\nfallback_did=8005551234 # the main line\r\nnot a setting\r\n';
    expect(Object.fromEntries(parseDidsConf(text))).toEqual({
      api_base_url: "http://core.example.com:8000/",
      api_key: "sc_abc;def",
      api_timeout: "5",
      db_pass: "p w",
      fallback_did: "8005551234",
    });
  });
});

describe("effective settings", () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir("salescontrol-vicidial-");
  });
  afterEach(() => dir.remove());

  const settingsWith = (env: Record<string, string>) => {
    const config = loadConfig(vicidialConfig, { env: { ASTGUICLIENT_CONF: dir.join("astguiclient.conf"), DIDS_CONF: dir.join("dids.conf"), ...env }, dotenvPath: null }).values;
    return resolveVicidialSettings(config);
  };

  test("without any file: VICIdial's defaults, and no API key", () => {
    const settings = settingsWith({});
    expect(settings.database).toMatchObject({ host: "localhost", port: 3306, user: "cron", password: "1234", database: "asterisk" });
    expect(settings.database.sources.host).toBe("default");
    expect(settings.api).toMatchObject({ baseUrl: "http://127.0.0.1:8000", apiKey: null });
    expect(settings.files.astguiclient.state).toBe("missing");
    expect(settings.problems).toEqual([]);
  });

  test("astguiclient.conf gives the database, dids.conf the API; astguiclient wins over dids.conf's db_*; settings override both", () => {
    writeFileSync(dir.join("astguiclient.conf"), installerStyle);
    writeFileSync(dir.join("dids.conf"), "[general]\napi_base_url=https://core.example.com/\napi_key=sc_from_file\ndb_host=ignored-host\ndb_name=other\n");
    const fromFiles = settingsWith({});
    expect(fromFiles.database).toMatchObject({ host: "db.callcenter.local", port: 3307, user: "reporter", password: "s3cret", database: "asterisk" });
    expect(fromFiles.database.sources).toEqual({ host: "astguiclient.conf", port: "astguiclient.conf", user: "astguiclient.conf", password: "astguiclient.conf", database: "astguiclient.conf" });
    expect(fromFiles.api).toMatchObject({ baseUrl: "https://core.example.com", apiKey: "sc_from_file", sources: { baseUrl: "dids.conf", apiKey: "dids.conf" } });

    const overridden = settingsWith({ VICIDIAL_DB_HOST: "127.0.0.1", VICIDIAL_DB_PASS: "other", VICIDIAL_DB_PORT: "3306", DID_OPTIMIZER_API_KEY: "sc_env", DID_OPTIMIZER_API_URL: "http://10.0.0.9:8000" });
    expect(overridden.database).toMatchObject({ host: "127.0.0.1", password: "other", port: 3306, user: "reporter" });
    expect(overridden.api).toMatchObject({ baseUrl: "http://10.0.0.9:8000", apiKey: "sc_env" });
    const described = describeVicidialSettings(overridden).join("\n");
    expect(described).not.toContain("other");
    expect(described).not.toContain("sc_env");
  });

  test("dids.conf's db_* keys fill in when astguiclient.conf is absent; the older api_url is understood", () => {
    writeFileSync(dir.join("dids.conf"), "db_host=10.0.0.5\ndb_user=dids\ndb_pass=\ndb_port=3310\napi_url=http://core:8000/api/v1/dids/next\n");
    const settings = settingsWith({});
    expect(settings.database).toMatchObject({ host: "10.0.0.5", user: "dids", password: "", port: 3310, database: "asterisk" });
    expect(settings.api.baseUrl).toBe("http://core:8000");
  });

  test("api_timeout sets the API timeout either way from the 30 s default; a missing or unusable one keeps the default", () => {
    const timeoutWith = (line: string) => {
      writeFileSync(dir.join("dids.conf"), `[general]\napi_key=x\n${line}\n`);
      return settingsWith({}).api.timeoutMs;
    };
    expect(timeoutWith("api_timeout=5   ; seconds")).toBe(5_000);
    expect(timeoutWith("api_timeout=0.5")).toBe(500);
    expect(timeoutWith("api_timeout=90")).toBe(90_000);
    expect(timeoutWith("")).toBe(30_000);
    expect(timeoutWith("api_timeout=soon")).toBe(30_000);
    expect(timeoutWith("api_timeout=0")).toBe(30_000);
  });

  test("an unusable port and an unreadable file are reported, never thrown", () => {
    writeFileSync(dir.join("astguiclient.conf"), "VARDB_port => 33o6\n");
    writeFileSync(dir.join("dids.conf"), "api_key=x\n");
    if (userInfo().uid !== 0) chmodSync(dir.join("dids.conf"), 0o000);
    const settings = settingsWith({});
    expect(settings.database.port).toBe(3306);
    expect(settings.problems[0]).toContain('database port "33o6" is not a TCP port number');
    if (userInfo().uid !== 0) {
      expect(settings.files.dids).toMatchObject({ state: "unreadable", error: "EACCES" });
      expect(settings.problems[1]).toContain("cannot be read (EACCES)");
    }
    const directory = settingsWith({ DIDS_CONF: dir.path });
    expect(directory.files.dids.state).toBe("unreadable");
  });
});
