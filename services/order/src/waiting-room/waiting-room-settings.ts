import type { EnvReader } from '@boxoffice/config/env-reader';

export interface WaitingRoomSettings {
  /** ADMISSION_TOKEN_SECRET: the HMAC key of admission tokens, the same on every order instance. */
  admissionSecret: string;
  /** WAITING_ROOM_ADMISSION_SECONDS: how long an admission (its token) lasts. */
  admissionSeconds: number;
}

/** HS256's key should be at least as long as its hash (RFC 7518 §3.2): 32 bytes. */
const MIN_SECRET_LENGTH = 32;

export function readWaitingRoomSettings(env: EnvReader): WaitingRoomSettings {
  return {
    admissionSecret: env.secret('ADMISSION_TOKEN_SECRET', MIN_SECRET_LENGTH),
    // Long enough to choose and pay; short enough that an admission not used gives its turn back soon.
    admissionSeconds: env.int('WAITING_ROOM_ADMISSION_SECONDS', 600, 10, 86_400),
  };
}
