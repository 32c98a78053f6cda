import { parseBenchOptions } from './bench-options';

describe('npm run bench options', () => {
  it('given no option, when parsed, then the full bench runs three times with a warm-up and writes its results', () => {
    // when
    const parsed = parseBenchOptions([]);

    // then
    expect(parsed).toEqual({
      ok: true,
      options: {
        quick: false,
        runs: 3,
        warmUp: true,
        concurrency: 100,
        s1: { stock: 100, requests: 20_000 },
        s1Keys: true,
        s2: { requests: 3_000 },
        s3: { seconds: 30 },
        s4: { tickets: 500, buyers: 10_000, admitPerSecond: 200 },
        write: true,
        profileDir: null,
        against: null,
        scenarios: ['s1', 's2', 's3', 's4'],
      },
    });
  });

  it('given --quick, when parsed, then one small run without warm-up that writes nothing', () => {
    // when
    const parsed = parseBenchOptions(['--quick']);

    // then
    expect(parsed).toMatchObject({
      ok: true,
      options: {
        quick: true,
        runs: 1,
        warmUp: false,
        s1: { requests: 3_000 },
        s2: { requests: 300 },
        s4: { tickets: 25, buyers: 500, admitPerSecond: 200 },
        write: false,
      },
    });
  });

  it('given --no-write and --runs 5, when parsed, then five runs and nothing written', () => {
    // when
    const parsed = parseBenchOptions(['--runs', '5', '--no-write']);

    // then
    expect(parsed).toMatchObject({ ok: true, options: { runs: 5, write: false } });
  });

  it('given --no-keys, when parsed, then S1 buyers send no Idempotency-Key and nothing is written', () => {
    // when
    const parsed = parseBenchOptions(['--no-keys']);

    // then
    expect(parsed).toMatchObject({ ok: true, options: { s1Keys: false, write: false } });
  });

  it('given --profile with a folder, when parsed, then the services are profiled into it', () => {
    // when
    const parsed = parseBenchOptions(['--quick', '--profile', '/tmp/profiles']);

    // then
    expect(parsed).toMatchObject({ ok: true, options: { profileDir: '/tmp/profiles' } });
  });

  it('given --against a commit, when parsed, then that build runs beside this one', () => {
    // when
    const parsed = parseBenchOptions(['--against', '03c2d5f']);

    // then
    expect(parsed).toMatchObject({ ok: true, options: { against: '03c2d5f' } });
  });

  it('given --only s1, when parsed, then only the sold-out storm runs and nothing is written', () => {
    // when
    const parsed = parseBenchOptions(['--only', 's1']);

    // then
    expect(parsed).toMatchObject({ ok: true, options: { scenarios: ['s1'], write: false } });
  });

  it('given --only with a scenario twice, when parsed, then a partial run still writes nothing and a full one writes', () => {
    // when
    const partial = parseBenchOptions(['--only', 's1,s1,s2']);
    const full = parseBenchOptions(['--only', 's4,s3,s2,s1,s1']);

    // then
    expect(partial).toMatchObject({ ok: true, options: { scenarios: ['s1', 's2'], write: false } });
    expect(full).toMatchObject({ ok: true, options: { scenarios: ['s1', 's2', 's3', 's4'], write: true } });
  });

  it('given --only s3 without s2, or an unknown scenario, when parsed, then it is refused with the reason', () => {
    // when
    const alone = parseBenchOptions(['--only', 's3']);
    const unknown = parseBenchOptions(['--only', 's1,s5']);

    // then
    expect(alone).toEqual({
      ok: false,
      errors: ['--only s3 needs s2 too: S3 runs at half of S2 accepted/s'],
    });
    expect(unknown).toEqual({ ok: false, errors: ['--only takes s1, s2, s3 and s4, got s5'] });
  });

  it('given --only s4, when parsed, then the waiting room runs alone: it needs no other scenario', () => {
    expect(parseBenchOptions(['--only', 's4'])).toMatchObject({
      ok: true,
      options: { scenarios: ['s4'], write: false },
    });
  });

  it('given --admit-per-second auto or 350, when parsed, then S4 asks the room for it and nothing is written', () => {
    // when
    const auto = parseBenchOptions(['--admit-per-second', 'auto']);
    const fixed = parseBenchOptions(['--admit-per-second', '350']);

    // then: "auto" goes to the server as it is
    expect(auto).toMatchObject({ ok: true, options: { s4: { admitPerSecond: 'auto' }, write: false } });
    expect(fixed).toMatchObject({ ok: true, options: { s4: { admitPerSecond: 350 }, write: false } });
  });

  it("given --admit-per-second out of the room's bounds, when parsed, then it is refused", () => {
    expect(parseBenchOptions(['--admit-per-second', '0'])).toEqual({
      ok: false,
      errors: ['--admit-per-second must be an integer in 1..10000 or auto, got 0'],
    });
  });

  it('given two bad values, when parsed, then both are listed', () => {
    // when
    const parsed = parseBenchOptions(['--runs', '0', '--concurrency', 'many']);

    // then
    expect(parsed).toEqual({
      ok: false,
      errors: [
        '--runs must be an integer in 1..20, got 0',
        '--concurrency must be an integer in 1..1000, got many',
      ],
    });
  });

  it('given an unknown option, when parsed, then it is named', () => {
    // when
    const parsed = parseBenchOptions(['--fast']);

    // then
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors[0]).toMatch(/--fast/);
  });
});
