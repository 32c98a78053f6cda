import { parseMonitorOptions } from './monitor-options';

describe('parseMonitorOptions: the arguments of npm run monitor', () => {
  it('given no arguments, when parsed, then the active sales are watched, full screen, until stopped', () => {
    expect(parseMonitorOptions([])).toEqual({
      plain: false,
      once: false,
      interval: undefined,
      eventIds: null,
    });
  });

  it('given --event twice, --plain, --once and --interval, when parsed, then those two sales, one plain line', () => {
    expect(
      parseMonitorOptions(['--event', 'final', '--event', 'encore', '--plain', '--once', '--interval', '10']),
    ).toEqual({ plain: true, once: true, interval: '10', eventIds: ['final', 'encore'] });
  });

  it('given --sale, the old name, beside --event, when parsed, then it names sales as --event does', () => {
    expect(parseMonitorOptions(['--sale', 'final', '--event', 'encore']).eventIds).toEqual([
      'encore',
      'final',
    ]);
  });
});
