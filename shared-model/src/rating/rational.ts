/**
 * Exact rational numbers on bigint: every amount of money, energy and time in rating is one of these.
 * Always normalised (denominator > 0, gcd 1), so equal values have equal fields. No floats anywhere.
 */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Builds n/d in lowest terms; throws RangeError for a zero denominator (a programming error). */
export function rat(n: bigint | number, d: bigint | number = 1n): Rational {
  let nn = typeof n === "bigint" ? n : BigInt(n);
  let dd = typeof d === "bigint" ? d : BigInt(d);
  if (dd === 0n) throw new RangeError("rational with zero denominator");
  if (dd < 0n) [nn, dd] = [-nn, -dd];
  const g = gcd(nn, dd) || 1n;
  return { n: nn / g, d: dd / g };
}

export const ZERO: Rational = rat(0n);
export const ONE: Rational = rat(1n);

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
/** a / b; throws RangeError when b is zero. */
export const div = (a: Rational, b: Rational): Rational => rat(a.n * b.d, a.d * b.n);
export const neg = (a: Rational): Rational => rat(-a.n, a.d);
export const cmp = (a: Rational, b: Rational): -1 | 0 | 1 => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isZero = (a: Rational): boolean => a.n === 0n;
export const isNegative = (a: Rational): boolean => a.n < 0n;
export const min = (a: Rational, b: Rational): Rational => (cmp(a, b) <= 0 ? a : b);
export const max = (a: Rational, b: Rational): Rational => (cmp(a, b) >= 0 ? a : b);
export const sum = (xs: readonly Rational[]): Rational => xs.reduce(add, ZERO);

/** Smallest integer >= a. */
export function ceil(a: Rational): bigint {
  const q = a.n / a.d;
  return a.n > 0n && a.n % a.d !== 0n ? q + 1n : q;
}

/** Largest integer <= a. */
export function floor(a: Rational): bigint {
  const q = a.n / a.d;
  return a.n < 0n && a.n % a.d !== 0n ? q - 1n : q;
}

/** Rounds to the nearest integer, halves away from zero (commercial rounding). */
export function roundHalfAwayFromZero(a: Rational): bigint {
  const twice = abs(a.n) * 2n + a.d;
  const r = twice / (2n * a.d);
  return a.n < 0n ? -r : r;
}

/** Rounds `a` up to a whole multiple of `step` (step > 0). */
export function ceilToMultiple(a: Rational, step: Rational): Rational {
  return mul(rat(ceil(div(a, step))), step);
}
