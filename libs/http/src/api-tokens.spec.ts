import { ConfigError, EnvReader } from '@boxoffice/config/env-reader';
import { readApiTokens } from './api-tokens';

describe('readApiTokens', () => {
  const read = (environment: Record<string, string>) => {
    const env = new EnvReader(environment);
    const tokens = readApiTokens(env, ['admin', 'service']);
    env.done();
    return tokens;
  };
  const problemsOf = (environment: Record<string, string>): string[] => {
    try {
      read(environment);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    throw new Error('expected the settings to be refused');
  };

  it('given both tokens, when read, then each kind has its own', () => {
    expect(read({ ADMIN_TOKEN: 'a'.repeat(16), SERVICE_TOKEN: 's'.repeat(40) })).toEqual({
      admin: 'a'.repeat(16),
      service: 's'.repeat(40),
    });
  });

  it('given no tokens, when read, then it refuses to boot and names both: there is no open default', () => {
    expect(problemsOf({})).toEqual([
      'ADMIN_TOKEN must be set to at least 16 printable characters without spaces (got nothing)',
      'SERVICE_TOKEN must be set to at least 16 printable characters without spaces (got nothing)',
    ]);
  });

  it('given a short token or one with a space, when refused, then the error never shows its value', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'short-secret', SERVICE_TOKEN: 'has a space inside it' });

    expect(problems).toEqual([
      expect.stringMatching(/^ADMIN_TOKEN .* \(got 12 characters\)$/),
      expect.stringMatching(/^SERVICE_TOKEN .* \(got 21 characters\)$/),
    ]);
    expect(problems.join()).not.toMatch(/short-secret|has a space/);
  });

  it('given the same value for both, when read, then it refuses: the order service could change sales', () => {
    expect(problemsOf({ ADMIN_TOKEN: 'x'.repeat(20), SERVICE_TOKEN: 'x'.repeat(20) })).toEqual([
      'ADMIN_TOKEN and SERVICE_TOKEN must differ',
    ]);
  });
});
