import type { ValueTransformer } from 'typeorm';

/** `pg` returns bigint as a string; amounts in minor units stay far below 2^53, so a number is exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string) => Number(value),
};
