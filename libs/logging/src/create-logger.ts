import { pino, type DestinationStream, type Logger } from 'pino';
import { currentLogFields } from './log-context';
import type { LogSettings } from './log-settings';

/**
 * The service's one pino logger: `{"level":"info","time":"<ISO 8601>","service":"order","context":"order-saga",
 * "orderId":"...","msg":"..."}` a line on stdout, or readable lines (pino-pretty) for a terminal. A test can
 * give it a destination of its own.
 */
export function createLogger(settings: LogSettings, destination?: DestinationStream): Logger {
  return pino(
    {
      level: settings.level,
      base: { service: settings.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: currentLogFields,
    },
    destination ?? (settings.format === 'pretty' ? prettyLines() : undefined),
  );
}

/** Loaded only when asked for: production never needs it. */
function prettyLines(): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time, see above
  const { build } = require('pino-pretty') as typeof import('pino-pretty');
  return build({
    sync: true,
    colorize: process.env.NO_COLOR === undefined && Boolean(process.stdout.isTTY || process.env.FORCE_COLOR),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
}
