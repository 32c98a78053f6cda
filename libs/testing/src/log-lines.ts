import type { DestinationStream } from 'pino';
import { LOG_LEVELS, type LogLevel } from '@boxoffice/logging/log-settings';

/** One JSON log line as a service writes it (libs/logging): what a test looks for in it. */
export interface LogLine {
  level: LogLevel;
  msg: string;
  service?: string;
  context?: string;
  requestId?: string;
  orderId?: string;
  messageId?: string;
  correlationId?: string;
  [field: string]: unknown;
}

/** The log lines of an app started in the test: `startServiceApp({ log: { destination: logs.destination } })`. */
export class CapturedLogs {
  private readonly written: string[] = [];
  readonly destination: DestinationStream = { write: (line: string) => void this.written.push(line) };

  lines(): LogLine[] {
    return logLinesIn(this.written.join(''));
  }
}

/** The JSON log lines in what a process printed (`ServiceProcess.output()`); anything else is skipped. */
export function logLinesIn(output: string): LogLine[] {
  return output.split('\n').flatMap((text) => {
    if (!text.startsWith('{')) return [];
    try {
      return [JSON.parse(text) as LogLine];
    } catch {
      return []; // the head of a line cut off by the process's kept output
    }
  });
}

/** `info` and up: the lines a service at LOG_LEVEL=info writes. */
export function isAtLeast(line: LogLine, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(line.level) <= LOG_LEVELS.indexOf(level);
}
