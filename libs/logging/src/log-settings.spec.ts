import { ConfigError, EnvReader } from '@boxoffice/config/env-reader';
import { readLogSettings } from './log-settings';

describe('readLogSettings', () => {
  it('given nothing set, when read, then JSON lines from info up', () => {
    const env = new EnvReader({});

    expect(readLogSettings(env, 'order')).toEqual({ service: 'order', level: 'info', format: 'json' });
    expect(() => env.done()).not.toThrow();
  });

  it('given a level and a format, when read, then they are taken', () => {
    const env = new EnvReader({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' });

    expect(readLogSettings(env, 'inventory')).toMatchObject({ level: 'debug', format: 'pretty' });
  });

  it('given a LOG_LEVEL pino does not know and a bad LOG_FORMAT, when done, then boot is refused naming both', () => {
    const env = new EnvReader({ LOG_LEVEL: 'verbose', LOG_FORMAT: 'xml' });
    readLogSettings(env, 'payment');

    expect(() => env.done()).toThrow(ConfigError);
    expect(() => env.done()).toThrow(
      expect.objectContaining({
        problems: [
          'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
          'LOG_FORMAT must be one of json, pretty (got "xml")',
        ],
      }),
    );
  });
});
