import { AFTER, BEFORE, sale } from './example-snapshots';
import { renderScreen } from './render-screen';
import { roomRates } from './room-rates';
import { saleRates } from './sale-rates';

const SIZE = { width: 100, height: 30 };
const ESC = '\x1b';
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

describe('renderScreen (on a terminal)', () => {
  const rates = saleRates(BEFORE, AFTER);
  const admitted = roomRates(BEFORE, AFTER);

  it('given two snapshots, when the second is rendered without colour, then it fits 100x30 and shows every figure', () => {
    const screen = renderScreen(AFTER, rates, { size: SIZE, color: false, intervalSeconds: 1, admitted });
    const lines = screen.split('\n');

    expect(screen).not.toMatch(ANSI);
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(100);
    expect(lines[0]).toContain('02:03:06 UTC  every 1s');
    expect(screen).toContain('services  inventory ready   order ready   payment not ready (rabbitmq)');
    expect(screen).toMatch(/final +100 +40 +12 +48 │ +69 +12\.0\/s +48 +9\.0\/s +9 +2\.0\/s +12\n/);
    expect(screen).toContain('  cancelled by reason: PAYMENT_DECLINED 7 (1.0/s), HOLD_EXPIRED 2 (1.0/s)');
    expect(screen).toMatch(/\nwaiting room +queued +admitted +longest wait +set +stock\n/);
    expect(screen).toMatch(/\nfinal +1204 +48\.0\/s +25s +50\/s +on sale\n/);
    expect(screen).toMatch(/\nmatinee +310 +- +16s +20\/s +sold out\n/);
    expect(screen).toContain(
      '\nencore        closed: its queue is gone from Redis (PUT the room again to reopen)\n',
    );
    expect(screen).toMatch(/queue +ready +unacked +retrying +dead/);
    expect(screen).toMatch(/order\.payment_result +0 +3 +0 +4\n/);
    expect(screen).toMatch(/payment\.order_created +7 +50 +3 +0\n/);
    expect(screen).toContain('outbox  order 12 unsent (oldest 1s), payment 0 unsent');
    expect(screen).toContain('oldest CREATED 1m15s (o-17, sale final; 12 CREATED in all)');
  });

  it('given colour, when rendered, then states are painted (dead letters red, not ready yellow) and the text is the same', () => {
    const plain = renderScreen(AFTER, rates, { size: SIZE, color: false, intervalSeconds: 1, admitted });
    const painted = renderScreen(AFTER, rates, { size: SIZE, color: true, intervalSeconds: 1, admitted });

    expect(painted.replace(ANSI, '')).toBe(plain);
    expect(painted).toContain('\x1b[32minventory ready\x1b[0m');
    expect(painted).toContain('\x1b[33mpayment not ready (rabbitmq)\x1b[0m');
    expect(painted).toMatch(new RegExp(`${ESC}\\[1;31morder\\.payment_result +0 +3 +0 +4${ESC}\\[0m`));
    expect(painted).toContain('\x1b[33moldest CREATED 1m15s');
    expect(painted).toContain(`${ESC}[1;31mencore        closed: its queue is gone from Redis`);
    expect(painted).toMatch(new RegExp(`${ESC}\\[33mmatinee +310 .* sold out${ESC}\\[0m`));
  });

  it('given no waiting room on, when rendered, then no room block; given rooms that could not be read, then it says so in red', () => {
    const none = renderScreen({ ...AFTER, rooms: [] }, rates, {
      size: SIZE,
      color: false,
      intervalSeconds: 1,
    });
    const unread = renderScreen({ ...AFTER, rooms: undefined }, rates, {
      size: SIZE,
      color: true,
      intervalSeconds: 1,
    });

    expect(none).not.toContain('waiting room');
    expect(unread).toContain(`${ESC}[1;31mwaiting rooms unknown${ESC}[0m`);
  });

  it('given more sales than rows, when rendered in 100x30, then it still fits and says how many are not shown', () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      sale(`sale-${i}`, { available: 1, held: 0, sold: 0 }, [1, 0, 0, { PAYMENT_DECLINED: 1 }]),
    );
    const screen = renderScreen({ ...AFTER, sales: many }, new Map(), {
      size: SIZE,
      color: false,
      intervalSeconds: 1,
    });

    expect(screen.split('\n').length).toBeLessThanOrEqual(30);
    expect(screen).toMatch(/… \d+ more sales \(pick with --event <eventId>\)/);
    expect(screen).toMatch(/sale-0 +1 +1 +0 +0 │ +1 +- +0 +- +1 +- +0/);
  });
});
