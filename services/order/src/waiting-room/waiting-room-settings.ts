import type { EnvReader } from '@boxoffice/config/env-reader';
import { MAX_ADMIT_PER_SECOND } from '@boxoffice/contracts/order/waiting-room.dto';

/** The bounds of `admitPerSecond: "auto"` (admission-rate.ts), per room. */
export interface AutoRateSettings {
  /** WAITING_ROOM_AUTO_MIN_PER_SECOND: the rate an auto room opens at, and the lowest it is cut to. */
  minPerSecond: number;
  /** WAITING_ROOM_AUTO_MAX_PER_SECOND: the highest it rises to. */
  maxPerSecond: number;
  /** WAITING_ROOM_AUTO_STEP_PER_SECOND: how much the rooms' rate rises each second while the saga keeps up. */
  stepPerSecond: number;
  /** WAITING_ROOM_AUTO_LATE_ORDERS: this many late orders (every sale) cut the rate; fewer are strays. */
  lateOrders: number;
}

export interface WaitingRoomSettings {
  /** ADMISSION_TOKEN_SECRET: the HMAC key of admission tokens, the same on every order instance. */
  admissionSecret: string;
  /** WAITING_ROOM_ADMISSION_SECONDS: how long an admission (its token) lasts. */
  admissionSeconds: number;
  auto: AutoRateSettings;
}

/** HS256's key should be at least as long as its hash (RFC 7518 §3.2): 32 bytes. */
const MIN_SECRET_LENGTH = 32;

export function readWaitingRoomSettings(env: EnvReader): WaitingRoomSettings {
  const auto = {
    minPerSecond: env.int('WAITING_ROOM_AUTO_MIN_PER_SECOND', 10, 1, MAX_ADMIT_PER_SECOND),
    maxPerSecond: env.int('WAITING_ROOM_AUTO_MAX_PER_SECOND', 2000, 1, MAX_ADMIT_PER_SECOND),
    // From the minimum to this box's ~300 orders a second in about 30 s; a larger step overshoots more in the
    // seconds late orders take to show.
    stepPerSecond: env.int('WAITING_ROOM_AUTO_STEP_PER_SECOND', 10, 1, MAX_ADMIT_PER_SECOND),
    lateOrders: env.int('WAITING_ROOM_AUTO_LATE_ORDERS', 20, 1, 1_000_000),
  };
  if (auto.maxPerSecond < auto.minPerSecond)
    env.refuse('WAITING_ROOM_AUTO_MAX_PER_SECOND must be at least WAITING_ROOM_AUTO_MIN_PER_SECOND');
  return {
    admissionSecret: env.secret('ADMISSION_TOKEN_SECRET', MIN_SECRET_LENGTH),
    // Long enough to choose and pay; short enough that an admission not used gives its turn back soon.
    admissionSeconds: env.int('WAITING_ROOM_ADMISSION_SECONDS', 600, 10, 86_400),
    auto,
  };
}
