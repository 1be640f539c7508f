import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Client, createClient, type InArgs, type InStatement, type ResultSet, type Transaction, type TransactionMode } from "@libsql/client";
import { ConnectionPool, Sqlite3Client } from "@libsql/client/sqlite3";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import type Database from "libsql";
import { connectionPragmas } from "./connection-pragmas.ts";

export interface OpenDatabaseOptions {
  /** `file:<path>` (embedded, the default) or `libsql://…` (a libSQL server). */
  url: string;
  authToken?: string;
  /** Under Litestream: the node must not checkpoint (wal_autocheckpoint=0). */
  underLitestream?: boolean;
  /** Tests lower this to prove the lock handling has teeth. */
  busyTimeoutMs?: number;
}

export interface NodeDatabase<TSchema extends Record<string, unknown> = Record<string, never>> {
  readonly client: Client;
  /** Drizzle over `client` (`db.$client`): the query builder, and the client itself for the few hot paths that need it. */
  readonly db: LibSQLDatabase<TSchema> & { $client: Client };
  /** Absolute path of the database file, or null for a libSQL server. */
  readonly filePath: string | null;
  close(): void;
}

export function openDatabase<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: OpenDatabaseOptions,
  schema?: TSchema,
): NodeDatabase<TSchema> {
  const filePath = databaseFilePath(options.url);
  let client: Client;
  if (filePath === null) {
    client = createClient({ url: options.url, authToken: options.authToken });
  } else {
    if (filePath !== ":memory:") mkdirSync(dirname(filePath), { recursive: true });
    const pool = new PragmaConnectionPool(filePath, connectionPragmas({ underLitestream: options.underLitestream ?? false, busyTimeoutMs: options.busyTimeoutMs }));
    client = new SerializedClient(new Sqlite3Client(pool, "number"));
    // Open the connection now: a bad path or a locked file fails at start, not on the first request.
    pool.release(pool.acquireSync());
  }
  const db = drizzle(client, { schema }) as LibSQLDatabase<TSchema> & { $client: Client };
  if (client instanceof SerializedClient) {
    const serialized = client;
    const runTransaction = db.transaction.bind(db);
    db.transaction = ((work, config) => serialized.runInTransactionScope(() => runTransaction(work, config))) as typeof db.transaction;
  }
  return {
    client,
    db,
    filePath: filePath === ":memory:" ? null : filePath,
    close: () => client.close(),
  };
}

/** `file:data/x.db`, `file:///abs/x.db` → path; `libsql://…` → null. */
export function databaseFilePath(url: string): string | null {
  if (url === ":memory:" || url === "file::memory:") return ":memory:";
  if (!url.startsWith("file:")) return null;
  let path = decodeURIComponent(url.slice("file:".length).replace(/\?.*$/, ""));
  if (path.startsWith("//")) {
    path = path.slice(2);
    if (path.startsWith("localhost/")) path = path.slice("localhost".length);
  }
  return resolve(path);
}

/**
 * A one-connection pool whose every new connection runs the node's pragmas before anyone sees it.
 * The client opens connections lazily and may replace one it had to drop; overriding the single
 * place they are created is what makes "pragmas on every connection" hold by construction.
 */
class PragmaConnectionPool extends ConnectionPool {
  readonly #prepared = new WeakSet<Database.Database>();
  readonly #pragmas: string[];

  constructor(path: string, pragmas: string[]) {
    super(path, {}, 1);
    this.#pragmas = pragmas;
  }

  override acquireSync(forTransaction = false): Database.Database {
    const connection = super.acquireSync(forTransaction);
    if (!this.#prepared.has(connection)) {
      try {
        for (const pragma of this.#pragmas) connection.prepare(pragma).all();
      } catch (error) {
        this.release(connection);
        throw error;
      }
      this.#prepared.add(connection);
    }
    return connection;
  }
}

/**
 * The file database has one connection (a second would busy-wait synchronously on the first
 * and stall the event loop). The client refuses work while a transaction holds it; this wrapper
 * queues that work instead, so an interactive transaction and concurrent requests coexist.
 */
class SerializedClient implements Client {
  readonly #inner: Client;
  readonly #transactionScope = new AsyncLocalStorage<{ active: boolean }>();
  #tail: Promise<void> = Promise.resolve();

  constructor(inner: Client) {
    this.#inner = inner;
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  get protocol(): string {
    return this.#inner.protocol;
  }

  execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    return this.#exclusive(() => (typeof stmtOrSql === "string" ? this.#inner.execute(stmtOrSql, args) : this.#inner.execute(stmtOrSql)));
  }

  batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    return this.#exclusive(() => this.#inner.batch(stmts, mode));
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#exclusive(() => this.#inner.migrate(stmts));
  }

  executeMultiple(sql: string): Promise<void> {
    return this.#exclusive(() => this.#inner.executeMultiple(sql));
  }

  sync(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  async transaction(mode?: TransactionMode): Promise<Transaction> {
    this.#refuseInsideTransaction();
    const scope = this.#transactionScope.getStore();
    const releaseGate = await this.#enqueue();
    let transaction: Transaction;
    try {
      transaction = await this.#inner.transaction(mode);
    } catch (error) {
      releaseGate();
      throw error;
    }
    if (scope) scope.active = true;
    return new GateReleasingTransaction(transaction, () => {
      if (scope) scope.active = false;
      releaseGate();
    });
  }

  /**
   * Runs drizzle's transaction callback in a scope that marks itself active once the transaction
   * holds the connection, so a stray call on the outer client fails instead of waiting forever.
   */
  async runInTransactionScope<T>(work: () => Promise<T>): Promise<T> {
    const scope = { active: false };
    try {
      return await this.#transactionScope.run(scope, work);
    } finally {
      scope.active = false;
    }
  }

  async reconnect(): Promise<void> {
    await this.#exclusive(async () => {
      await this.#inner.reconnect();
    });
  }

  close(): void {
    this.#inner.close();
  }

  #refuseInsideTransaction(): void {
    if (this.#transactionScope.getStore()?.active) {
      throw new Error("database used through the outer client inside a transaction; use the transaction object instead");
    }
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#refuseInsideTransaction();
    const release = await this.#enqueue();
    try {
      return await work();
    } finally {
      release();
    }
  }

  #enqueue(): Promise<() => void> {
    let release!: () => void;
    const turn = new Promise<void>((resolveTurn) => {
      release = resolveTurn;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => turn);
    return previous.then(() => release);
  }
}

class GateReleasingTransaction implements Transaction {
  #released = false;

  constructor(
    private readonly inner: Transaction,
    private readonly releaseGate: () => void,
  ) {}

  execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    return this.inner.execute(typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql);
  }

  batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.inner.batch(stmts);
  }

  executeMultiple(sql: string): Promise<void> {
    return this.inner.executeMultiple(sql);
  }

  async rollback(): Promise<void> {
    try {
      await this.inner.rollback();
    } finally {
      this.#release();
    }
  }

  async commit(): Promise<void> {
    try {
      await this.inner.commit();
    } finally {
      this.#release();
    }
  }

  close(): void {
    try {
      this.inner.close();
    } finally {
      this.#release();
    }
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.releaseGate();
  }
}
