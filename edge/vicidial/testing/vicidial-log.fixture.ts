import type { MariaDbServer } from "../../../shared/testing/mariadb-server.ts";

/**
 * VICIdial's `vicidial_log` as its installer creates it (MySQL_AST_CREATE_tables.sql, schema 1733):
 * the same columns, types, defaults, MyISAM engine, PRIMARY KEY(uniqueid) and the lead_id and
 * call_date indexes — and no index on end_epoch, which is why the sync reads by call_date.
 */
export const vicidialLogDdl = `CREATE TABLE vicidial_log (
  uniqueid VARCHAR(20) PRIMARY KEY NOT NULL,
  lead_id INT(9) UNSIGNED NOT NULL,
  list_id BIGINT(14) UNSIGNED,
  campaign_id VARCHAR(8),
  call_date DATETIME,
  start_epoch INT(10) UNSIGNED,
  end_epoch INT(10) UNSIGNED,
  length_in_sec INT(10),
  status VARCHAR(6),
  phone_code VARCHAR(10),
  phone_number VARCHAR(18),
  user VARCHAR(20),
  comments VARCHAR(255),
  processed ENUM('Y','N'),
  user_group VARCHAR(20),
  term_reason ENUM('CALLER','AGENT','QUEUETIMEOUT','ABANDON','AFTERHOURS','NONE','SYSTEM') DEFAULT 'NONE',
  alt_dial VARCHAR(6) DEFAULT 'NONE',
  called_count SMALLINT(5) UNSIGNED DEFAULT '0',
  INDEX (lead_id),
  INDEX (call_date)
) ENGINE=MyISAM`;

export interface VicidialDatabase {
  name: string;
  /** A user with SELECT on vicidial_log only, as the sync needs. */
  readOnlyUser: { user: string; password: string };
}

/** Creates VICIdial's database with vicidial_log and a read-only `cron` user on a test server. */
export async function createVicidialDatabase(server: MariaDbServer, name = "asterisk"): Promise<VicidialDatabase> {
  await server.query(`CREATE DATABASE ${name}`);
  await server.query(`USE ${name}; ${vicidialLogDdl}`);
  const readOnlyUser = { user: "cron", password: "1234" };
  await server.query(`CREATE USER IF NOT EXISTS 'cron'@'127.0.0.1' IDENTIFIED BY '1234'; CREATE USER IF NOT EXISTS 'cron'@'localhost' IDENTIFIED BY '1234'`);
  await server.query(`GRANT SELECT ON ${name}.vicidial_log TO 'cron'@'127.0.0.1'; GRANT SELECT ON ${name}.vicidial_log TO 'cron'@'localhost'`);
  return { name, readOnlyUser };
}
