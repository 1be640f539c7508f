import type { Client } from "@libsql/client";

/** The SQL of operator accounts and their sessions. */

export interface OperatorRecord {
  id: number;
  username: string;
  passwordHash: string;
  createdAt: number;
}

export interface SessionRecord {
  operatorId: number;
  username: string;
  expiresAt: number;
  lastSeenAt: number;
}

export async function findOperatorByUsername(client: Client, username: string): Promise<OperatorRecord | null> {
  const result = await client.execute({ sql: "SELECT id, username, password_hash, created_at FROM operators WHERE username = ?", args: [username] });
  const row = result.rows[0];
  return row ? { id: Number(row.id), username: String(row.username), passwordHash: String(row.password_hash), createdAt: Number(row.created_at) } : null;
}

export async function listOperators(client: Client, now: number): Promise<Array<{ username: string; createdAt: number; activeSessions: number }>> {
  const result = await client.execute({
    sql: "SELECT o.username, o.created_at, (SELECT count(*) FROM operator_sessions s WHERE s.operator_id = o.id AND s.expires_at > ?) AS sessions FROM operators o ORDER BY o.username",
    args: [now],
  });
  return result.rows.map((row) => ({ username: String(row.username), createdAt: Number(row.created_at), activeSessions: Number(row.sessions) }));
}

export async function countOperators(client: Client): Promise<number> {
  const result = await client.execute("SELECT count(*) AS n FROM operators");
  return Number(result.rows[0]!.n);
}

export async function insertOperator(client: Client, values: { username: string; passwordHash: string; now: number }): Promise<boolean> {
  const result = await client.execute({
    sql: "INSERT INTO operators (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
    args: [values.username, values.passwordHash, values.now, values.now],
  });
  return result.rowsAffected === 1;
}

/** Replaces the password and ends every session of the operator. */
export async function updateOperatorPassword(client: Client, values: { username: string; passwordHash: string; now: number }): Promise<boolean> {
  const results = await client.batch(
    [
      { sql: "UPDATE operators SET password_hash = ?, updated_at = ? WHERE username = ?", args: [values.passwordHash, values.now, values.username] },
      { sql: "DELETE FROM operator_sessions WHERE operator_id = (SELECT id FROM operators WHERE username = ?)", args: [values.username] },
    ],
    "write",
  );
  return results[0]!.rowsAffected === 1;
}

export async function deleteOperator(client: Client, username: string): Promise<boolean> {
  const result = await client.execute({ sql: "DELETE FROM operators WHERE username = ?", args: [username] });
  return result.rowsAffected === 1;
}

export async function insertSession(client: Client, values: { tokenHash: string; operatorId: number; now: number; expiresAt: number }): Promise<void> {
  await client.batch(
    [
      { sql: "DELETE FROM operator_sessions WHERE expires_at <= ?", args: [values.now] },
      { sql: "INSERT INTO operator_sessions (token_hash, operator_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)", args: [values.tokenHash, values.operatorId, values.now, values.expiresAt, values.now] },
    ],
    "write",
  );
}

export async function findSession(client: Client, tokenHash: string, now: number): Promise<SessionRecord | null> {
  const result = await client.execute({
    sql: "SELECT s.operator_id, o.username, s.expires_at, s.last_seen_at FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.token_hash = ? AND s.expires_at > ?",
    args: [tokenHash, now],
  });
  const row = result.rows[0];
  return row ? { operatorId: Number(row.operator_id), username: String(row.username), expiresAt: Number(row.expires_at), lastSeenAt: Number(row.last_seen_at) } : null;
}

export async function touchSession(client: Client, tokenHash: string, now: number): Promise<void> {
  await client.execute({ sql: "UPDATE operator_sessions SET last_seen_at = ? WHERE token_hash = ?", args: [now, tokenHash] });
}

export async function deleteSession(client: Client, tokenHash: string): Promise<void> {
  await client.execute({ sql: "DELETE FROM operator_sessions WHERE token_hash = ?", args: [tokenHash] });
}
