import { AUDIT_LIMITS, readAuditSettings } from './audit-settings';

describe('readAuditSettings', () => {
  it('given nothing set, when read, then the statement timeout and the compensation age are the defaults', () => {
    expect(readAuditSettings({})).toMatchObject(AUDIT_LIMITS);
  });

  it('given both set, when read, then they are taken', () => {
    const settings = readAuditSettings({
      AUDIT_STATEMENT_TIMEOUT_SECONDS: '5',
      AUDIT_COMPENSATION_MAX_AGE_SECONDS: '90',
    });

    expect(settings).toMatchObject({ statementTimeoutSeconds: 5, compensationMaxAgeSeconds: 90 });
  });

  it('given a statement timeout of 0 and an age that is no number, when read, then both are refused at once', () => {
    const read = () =>
      readAuditSettings({ AUDIT_STATEMENT_TIMEOUT_SECONDS: '0', AUDIT_COMPENSATION_MAX_AGE_SECONDS: 'soon' });

    expect(read).toThrow(/AUDIT_STATEMENT_TIMEOUT_SECONDS must be an integer from 1 to 3600 \(got "0"\)/);
    expect(read).toThrow(/AUDIT_COMPENSATION_MAX_AGE_SECONDS must be an integer from 1 to 604800/);
  });
});
