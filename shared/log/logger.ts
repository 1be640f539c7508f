export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export const logLevels: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Field names that may carry credentials; their values never reach a log line.
const secretFieldPattern = /(token|secret|passw|(^|_)pass$|authorization|api_?key|cookie|credential)/i;

export interface LoggerOptions {
  node: string;
  level?: LogLevel;
  /** Where each finished line goes; stderr by default (journald captures it). */
  write?: (line: string) => void;
  now?: () => number;
}

export function createLogger(options: LoggerOptions, context: LogFields = {}): Logger {
  const minimum = levelRank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;

  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (levelRank[level] < minimum) return;
    const record: LogFields = { ts: new Date(now()).toISOString(), level, msg, node: options.node };
    appendFields(record, context);
    if (fields) appendFields(record, fields);
    write(`${safeStringify(record)}\n`);
  };

  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...context, ...fields }),
  };
}

/** A logger that drops everything: for tests and CLI commands that print their own output. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function appendFields(record: LogFields, fields: LogFields): void {
  for (const [key, value] of Object.entries(fields)) {
    if (key === "ts" || key === "level" || key === "msg" || key === "node") continue;
    record[key] = secretFieldPattern.test(key) && value !== undefined && value !== null ? "[redacted]" : toLoggable(value);
  }
}

function toLoggable(value: unknown): unknown {
  if (value instanceof Error) {
    const described: LogFields = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) described.code = code;
    if (value.cause !== undefined) described.cause = toLoggable(value.cause);
    return described;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

function safeStringify(record: LogFields): string {
  try {
    return JSON.stringify(record, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  } catch {
    return JSON.stringify({ ts: record.ts, level: record.level, msg: record.msg, node: record.node, logError: "unserializable fields" });
  }
}
