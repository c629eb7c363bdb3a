import { ChargemeshError } from "../errors.js";
import { rat } from "./rational.js";
import type { Rational } from "./rational.js";

/**
 * Decimal text <-> exact rationals. OCPI numbers are read from their decimal text (never through a
 * float); results are written exactly: terminating decimals plainly ("0.029"), a non-terminating
 * value with its repeating block in parentheses ("0.08(3)" is 1/12) when that block is short, else
 * as a fraction ("1/191"). `parseDecimal` reads all three back exactly.
 */
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*?)(?:\((\d+)\))?)?(?:[eE]([+-]?\d{1,4}))?$/;
const FRACTION = /^(-?\d{1,200})\/(\d{1,200})$/;
/** Digits after the point beyond which a non-terminating value is written as a fraction. */
const MAX_FRACTION_DIGITS = 40;

/** True when `text` is plain decimal text (optionally signed, optional exponent, repeating block). */
export function isDecimalText(text: string): boolean {
  return typeof text === "string" && text.length <= 64 && DECIMAL.test(text);
}

/** Parses decimal text or an "n/d" fraction exactly; throws ChargemeshError("invalid_input") for anything else. */
export function parseDecimal(text: string): Rational {
  const f = typeof text === "string" && text.length <= 401 ? FRACTION.exec(text) : null;
  if (f && BigInt(f[2]!) !== 0n) return rat(BigInt(f[1]!), BigInt(f[2]!));
  const m = typeof text === "string" && text.length <= 64 ? DECIMAL.exec(text) : null;
  if (!m) throw new ChargemeshError("invalid_input", `not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, int, frac = "", rep, exp] = m;
  let value = rat(BigInt(int! + frac), 10n ** BigInt(frac.length));
  if (rep) {
    // 0.ab(cd) = (abcd - ab) / (10^len(ab) * (10^len(cd) - 1))
    const head = BigInt(int! + frac);
    const whole = BigInt(int! + frac + rep);
    value = rat(whole - head, 10n ** BigInt(frac.length) * (10n ** BigInt(rep.length) - 1n));
  }
  if (exp) {
    const e = Number(exp);
    value = e >= 0 ? rat(value.n * 10n ** BigInt(e), value.d) : rat(value.n, value.d * 10n ** BigInt(-e));
  }
  return sign === "-" ? rat(-value.n, value.d) : value;
}

/** Exact text of `a`: plain decimal when it terminates, a short repeating block in parentheses, else "n/d". */
export function formatDecimal(a: Rational): string {
  const negative = a.n < 0n;
  let n = negative ? -a.n : a.n;
  const d = a.d;
  const int = n / d;
  n %= d;
  let digits = "";
  const seen = new Map<bigint, number>();
  while (n !== 0n && !seen.has(n)) {
    if (digits.length >= MAX_FRACTION_DIGITS) return `${a.n}/${a.d}`;
    seen.set(n, digits.length);
    n *= 10n;
    digits += (n / d).toString();
    n %= d;
  }
  if (n !== 0n) {
    const at = seen.get(n)!;
    digits = `${digits.slice(0, at)}(${digits.slice(at)})`;
  }
  const body = digits ? `${int}.${digits}` : `${int}`;
  return negative && (int !== 0n || digits) ? `-${body}` : body;
}
