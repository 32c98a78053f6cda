import { parseSaleOptions } from './sale-options';

const parse = (...args: string[]) => parseSaleOptions(args, () => 'sale-new');

describe('npm run sale: the command line', () => {
  it('given no option, when parsed, then the defaults: 100 tickets, 1,000 buyers, 100 concurrent, a new sale', () => {
    expect(parse()).toEqual({
      ok: true,
      options: {
        stock: 100,
        buyers: 1000,
        concurrency: 100,
        rate: null,
        users: 1000,
        quantity: 1,
        declineRate: 0,
        perUserLimit: 0,
        eventId: 'sale-new',
        json: false,
        room: null,
      },
    });
  });

  it('given --rate and --duration, when parsed, then the buyers are rate × duration (open model)', () => {
    const parsed = parse('--rate', '50', '--duration', '3', '--event', 'gig', '--json');
    expect(parsed).toMatchObject({
      ok: true,
      options: { rate: 50, buyers: 150, users: 150, eventId: 'gig', json: true },
    });
  });

  it('given several bad values, when parsed, then every one is listed at once', () => {
    const parsed = parse('--stock=-1', '--buyers', 'many', '--decline-rate', '1.5', '--quantity', '0');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors).toEqual([
      expect.stringContaining('--buyers'),
      expect.stringContaining('--stock'),
      expect.stringContaining('--quantity'),
      expect.stringContaining('--decline-rate'),
    ]);
  });

  it('given --rate with --concurrency, when parsed, then it is refused: one model at a time', () => {
    const parsed = parse('--rate', '100', '--concurrency', '10');
    expect(parsed).toEqual({ ok: false, errors: [expect.stringContaining('exclude each other')] });
  });

  it('given --duration without --rate, or an unknown option, when parsed, then it is refused', () => {
    expect(parse('--duration', '5')).toEqual({
      ok: false,
      errors: [expect.stringContaining('--duration needs --rate')],
    });
    expect(parse('--stok', '5')).toMatchObject({ ok: false });
  });

  it('given --waiting-room alone, when parsed, then the room admits 100 a second, no pre-queue, and every buyer arrives at once', () => {
    expect(parse('--waiting-room', '--buyers', '2000')).toMatchObject({
      ok: true,
      options: { buyers: 2000, concurrency: 2000, room: { admitPerSecond: 100, preQueueSeconds: null } },
    });
  });

  it('given --admit-per-second auto and a pre-queue, when parsed, then "auto" is kept as it is for the server to judge', () => {
    const parsed = parse('--waiting-room', '--admit-per-second', 'auto', '--pre-queue-seconds', '2.5');
    expect(parsed).toMatchObject({
      ok: true,
      options: { room: { admitPerSecond: 'auto', preQueueSeconds: 2.5 } },
    });
  });

  it('given room options that are bad or without --waiting-room, when parsed, then every one is listed at once', () => {
    expect(
      parse('--waiting-room', '--admit-per-second', 'fast', '--pre-queue-seconds', '0', '--users', '5'),
    ).toEqual({
      ok: false,
      errors: [
        expect.stringContaining('--admit-per-second must be'),
        expect.stringContaining('--pre-queue-seconds must be'),
        expect.stringContaining('--users'),
      ],
    });
    expect(parse('--admit-per-second', '50')).toEqual({
      ok: false,
      errors: [expect.stringContaining('need --waiting-room')],
    });
  });
});
