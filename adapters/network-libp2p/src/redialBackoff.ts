/** Random bytes, injected (production: crypto.getRandomValues; tests: a seeded source). */
export interface BackoffRandom {
  bytes(n: number): Uint8Array;
}

export const cryptoBackoffRandom: BackoffRandom = {
  bytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
};

/** Default first redial delay, ms. */
export const REDIAL_BASE_MS = 500;
/**
 * Default longest redial delay, ms. A site whose link returns is syncing within this (plus a dial):
 * a failed dial to an unreachable cloud costs one TCP attempt, so the cap stays a few seconds.
 */
export const REDIAL_MAX_MS = 5_000;

/** The delay after `previousMs`: doubled, never above `maxMs`, never below `baseMs`. */
export function nextRedialDelay(previousMs: number, baseMs: number, maxMs: number): number {
  return Math.max(baseMs, Math.min(previousMs * 2, maxMs));
}

/**
 * `ms` spread uniformly over [ms/2, ms] so that sites losing the same cloud at the same moment do
 * not redial in lockstep when it returns. Integer milliseconds.
 */
export function jittered(ms: number, random: BackoffRandom): number {
  const b = random.bytes(2);
  const fraction = ((b[0]! << 8) | b[1]!) / 65_536;
  return Math.floor(ms / 2 + (ms / 2) * fraction);
}
