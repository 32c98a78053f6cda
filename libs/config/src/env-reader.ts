// Settings come from the environment, validated at boot. A reader notes every bad variable and goes on with its
// default, so that `done()` refuses to boot naming all of them at once, not one per attempt.
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n  - ${problems.join('\n  - ')}`);
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  int(name: string, fallback: number, min: number, max: number): number {
    return this.read(name, fallback, (raw) => {
      const value = Number(raw);
      return Number.isInteger(value) && value >= min && value <= max
        ? value
        : problem(`must be an integer from ${min} to ${max}`);
    });
  }

  number(name: string, fallback: number, min: number, max: number): number {
    return this.read(name, fallback, (raw) => {
      const value = Number(raw);
      return Number.isFinite(value) && value >= min && value <= max
        ? value
        : problem(`must be a number from ${min} to ${max}`);
    });
  }

  /** `true` or `false`. */
  bool(name: string, fallback: boolean): boolean {
    return this.read(name, fallback, (raw) =>
      raw === 'true' || raw === 'false' ? raw === 'true' : problem('must be true or false'),
    );
  }

  url(name: string, fallback: string, protocols: string[]): string {
    return this.read(name, fallback, (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return problem('must be a URL');
      }
      return protocols.includes(url.protocol) ? raw : problem(`must use ${protocols.join(' or ')}`);
    });
  }

  /** A lower-case SQL/Redis-safe identifier (schema names, key prefixes). */
  name(name: string, fallback: string): string {
    return this.read(name, fallback, (raw) =>
      /^[a-z_][a-z0-9_]{0,62}$/.test(raw)
        ? raw
        : problem(`must be a lower-case identifier such as "${fallback}"`),
    );
  }

  host(name: string, fallback: string): string {
    return this.read(name, fallback, (raw) =>
      /^[A-Za-z0-9.:-]+$/.test(raw) ? raw : problem('must be a host name or address'),
    );
  }

  /** A required secret (no default) of printable characters, no spaces; its value never appears in an error. */
  secret(name: string, minLength: number): string {
    const raw = this.env[name] ?? '';
    if (raw.length >= minLength && /^[\x21-\x7E]+$/.test(raw)) return raw;
    this.problems.push(
      `${name} must be set to at least ${minLength} printable characters without spaces (got ${raw.length ? `${raw.length} characters` : 'nothing'})`,
    );
    return '';
  }

  /** A problem no single variable shows (two that must differ), reported by done() with the others. */
  refuse(problem: string): void {
    this.problems.push(problem);
  }

  /** Printable ASCII without spaces, at most `maxLength` characters (a name shown to operators, such as OTEL_SERVICE_NAME). */
  label(name: string, fallback: string, maxLength = 255): string {
    return this.read(name, fallback, (raw) =>
      raw.length <= maxLength && /^[\x21-\x7E]+$/.test(raw)
        ? raw
        : problem(`must be 1-${maxLength} printable characters without spaces`),
    );
  }

  /** Throws one ConfigError listing every bad variable read so far. */
  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }

  /** `parse` returns the value, or a Problem saying what is wrong with it. */
  private read<T>(name: string, fallback: T, parse: (raw: string) => T | Problem): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = parse(raw);
    if (!(value instanceof Problem)) return value;
    this.problems.push(`${name} ${value.text} (got "${raw}")`);
    return fallback;
  }
}

class Problem {
  constructor(readonly text: string) {}
}

const problem = (text: string) => new Problem(text);
