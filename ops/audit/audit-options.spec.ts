import { parseAuditOptions } from './audit-options';

describe('parseAuditOptions: the arguments of npm run audit', () => {
  it('given no arguments, when parsed, then every sale is audited, as text', () => {
    expect(parseAuditOptions([])).toEqual({ eventId: undefined, json: false });
  });

  it('given --event and --json, when parsed, then that sale is audited, as JSON', () => {
    expect(parseAuditOptions(['--event', 'final', '--json'])).toEqual({ eventId: 'final', json: true });
  });

  it('given --sale, the old name, when parsed, then it names the sale as --event does', () => {
    expect(parseAuditOptions(['--sale', 'final'])).toEqual({ eventId: 'final', json: false });
  });

  it('given both --event and --sale, when parsed, then it refuses: they are one option', () => {
    expect(() => parseAuditOptions(['--event', 'final', '--sale', 'encore'])).toThrow(/one option/);
  });
});
