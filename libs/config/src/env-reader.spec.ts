import { ConfigError, EnvReader } from './env-reader';

describe('EnvReader', () => {
  it('given nothing set, when read, then every setting takes its default and done() passes', () => {
    const env = new EnvReader({});

    expect(env.int('PORT', 8001, 0, 65535)).toBe(8001);
    expect(env.url('URL', 'amqp://127.0.0.1:5672', ['amqp:'])).toBe('amqp://127.0.0.1:5672');
    expect(() => env.done()).not.toThrow();
  });

  it('given an empty variable, when read, then it counts as unset', () => {
    expect(new EnvReader({ PORT: '' }).int('PORT', 8001, 0, 65535)).toBe(8001);
  });

  it('given three bad variables, when done, then one ConfigError names all three with what they got', () => {
    const env = new EnvReader({ PORT: 'abc', RATE: '2', URL: 'http://x', NAME: 'ok_name' });
    env.int('PORT', 8001, 0, 65535);
    env.number('RATE', 0, 0, 1);
    env.url('URL', 'amqp://127.0.0.1', ['amqp:', 'amqps:']);
    env.name('NAME', 'fallback');

    let thrown: unknown;
    try {
      env.done();
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      'PORT must be an integer from 0 to 65535 (got "abc")',
      'RATE must be a number from 0 to 1 (got "2")',
      'URL must use amqp: or amqps: (got "http://x")',
    ]);
    expect((thrown as ConfigError).message).toContain('PORT');
    expect((thrown as ConfigError).message).toContain('URL');
  });

  it('given valid values, when read, then they are taken as given', () => {
    const env = new EnvReader({ RATE: '0.25', HOST: '10.0.0.1', NAME: 't_run_1' });

    expect(env.number('RATE', 0, 0, 1)).toBe(0.25);
    expect(env.host('HOST', '127.0.0.1')).toBe('10.0.0.1');
    expect(env.name('NAME', 'boxoffice')).toBe('t_run_1');
    expect(() => env.done()).not.toThrow();
  });

  it('given a flag, when read, then only true and false are taken', () => {
    const env = new EnvReader({ ON: 'false', BAD: 'yes' });

    expect(env.bool('ON', true)).toBe(false);
    expect(env.bool('UNSET', true)).toBe(true);
    expect(env.bool('BAD', true)).toBe(true);
    expect(() => env.done()).toThrow('BAD must be true or false (got "yes")');
  });
});
