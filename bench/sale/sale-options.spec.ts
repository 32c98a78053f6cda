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
});
