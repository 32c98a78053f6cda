import type { EnvReader } from '@boxoffice/config/env-reader';

/** Who may call a guarded route: an operator changing sales, or the order service using the reservation API. */
export const TOKEN_SETTINGS = { admin: 'ADMIN_TOKEN', service: 'SERVICE_TOKEN' } as const;
export type TokenKind = keyof typeof TOKEN_SETTINGS;
export type ApiTokens = Partial<Record<TokenKind, string>>;

/** The Nest provider through which a service gives its guard the tokens it accepts. */
export const API_TOKENS = Symbol('API_TOKENS');

const MIN_TOKEN_LENGTH = 16;

/** Required, with no default: a service that guards or makes guarded calls refuses to boot without its tokens. */
export function readApiTokens<K extends TokenKind>(env: EnvReader, kinds: K[]): Record<K, string> {
  const tokens = Object.fromEntries(
    kinds.map((kind) => [kind, env.secret(TOKEN_SETTINGS[kind], MIN_TOKEN_LENGTH)]),
  ) as Record<K, string>;
  const values = Object.values<string>(tokens).filter(Boolean);
  // One token for both would let the order service change sales.
  if (new Set(values).size < values.length) {
    env.refuse(`${kinds.map((kind) => TOKEN_SETTINGS[kind]).join(' and ')} must differ`);
  }
  return tokens;
}
