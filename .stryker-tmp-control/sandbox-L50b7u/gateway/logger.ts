// @ts-nocheck
// Logging: pino, JSON lines by default; a small readable formatter for development (no
// pino-pretty dependency). One line per connection, registration and error, never per frame.
import { pino, type Logger } from 'pino';

/** The subset of a pino logger the gateway uses (a pino Logger satisfies it). */
export interface GatewayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: GatewayLogger = Object.freeze({ info() {}, warn() {}, error() {}, debug() {} });

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where lines go; default process.stdout. */
  write?: (line: string) => void;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** Formats one pino JSON line as `12:00:00.123 INFO  [name] message key=value …`. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[rec.level as number] ?? String(rec.level);
  const name = typeof rec.name === 'string' ? ` [${rec.name}]` : '';
  const fields = Object.keys(rec)
    .filter((k) => !SKIP.has(k))
    .map((k) => {
      const v = rec[k];
      return `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`;
    })
    .join(' ');
  return `${time} ${level}${name} ${String(rec.msg ?? '')}${fields.length > 0 ? ` ${fields}` : ''}\n`;
}

/** A pino logger: JSON lines (production, containers) or readable lines (development). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  if (options.format === 'pretty') {
    return pino({ level, base: { name: 'tickverse' } }, { write: (line: string) => write(prettyLine(line)) });
  }
  if (options.write !== undefined) return pino({ level, base: { name: 'tickverse' } }, { write });
  return pino({ level, base: { name: 'tickverse' } });
}
