// `npm run monitor -- [--plain] [--interval <seconds>] [--once] [--event <eventId>...]`: a live view of a sale for
// an operator (docs/operations.md#live-monitor), read-only. On a terminal a full screen redrawn every second; else,
// or with --plain, one line per interval (default 5 s) for a log. --once: one snapshot, then exit 0.
// Exit code 2: it could not start (bad settings or arguments).
import { parseMonitorOptions } from './monitor-options';
import { readMonitorSettings } from './monitor-settings';
import type { MonitorSnapshot } from './monitor-snapshot';
import { MonitorReader } from './read-monitor-snapshot';
import { renderLine } from './render-line';
import { renderScreen } from './render-screen';
import { roomRates } from './room-rates';
import { saleRates } from './sale-rates';

const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l'; // alternate screen, cursor hidden
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR_TO_END_OF_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

async function main(): Promise<void> {
  const values = parseMonitorOptions(process.argv.slice(2));
  const out = process.stdout;
  const screen = out.isTTY && !values.plain;
  const intervalSeconds = Number(values.interval ?? (screen ? 1 : 5));
  if (!(intervalSeconds >= 0.2 && intervalSeconds <= 3600))
    throw new Error('--interval: seconds from 0.2 to 3600');
  const color = screen && !process.env.NO_COLOR;
  const reader = new MonitorReader(readMonitorSettings(process.env), values.eventIds);
  const size = () => ({ width: out.columns || 100, height: out.rows || 30 });
  const render = (current: MonitorSnapshot, previous: MonitorSnapshot | undefined) => {
    const rates = saleRates(previous, current);
    const admitted = roomRates(previous, current);
    return screen
      ? renderScreen(current, rates, { size: size(), color, intervalSeconds, admitted })
      : renderLine(current, rates, admitted);
  };

  if (values.once) {
    out.write(`${render(await reader.read(), undefined)}\n`);
    await reader.close();
    return;
  }
  // Redrawn in place: each line cleared to its end, then everything below, so that nothing old shows through.
  const draw = (current: MonitorSnapshot, previous: MonitorSnapshot | undefined) => {
    const text = render(current, previous);
    if (!screen) return void out.write(`${text}\n`);
    out.write(
      `${HOME}${text.split('\n').join(`${CLEAR_TO_END_OF_LINE}\n`)}${CLEAR_TO_END_OF_LINE}${CLEAR_BELOW}`,
    );
  };
  if (screen) {
    out.write(ENTER_SCREEN);
    process.on('exit', () => out.write(LEAVE_SCREEN));
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));
  let previous: MonitorSnapshot | undefined;
  let latest: MonitorSnapshot | undefined;
  out.on('resize', () => latest && draw(latest, previous));
  for (;;) {
    const started = Date.now();
    [previous, latest] = [latest, await reader.read()];
    draw(latest, previous);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, intervalSeconds * 1000 - (Date.now() - started))),
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`monitor failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
