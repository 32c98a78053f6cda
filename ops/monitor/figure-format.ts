/** How both renderers write figures, so that a log line and the screen read the same. */

/** `7s`, `2m05s`, `1h02m`. */
export function age(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Orders per second, one decimal; `-` when unknown (the first refresh, or `--once`). */
export function rate(perSecond: number | undefined): string {
  return perSecond === undefined ? '-' : `${perSecond.toFixed(1)}/s`;
}

/** A count the broker may not have published yet. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : String(n);
}
