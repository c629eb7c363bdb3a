/** Time is injected everywhere: production passes `systemClock`, tests a `VirtualClock`. */
export interface Clock {
  /** Milliseconds since the Unix epoch (integer). */
  now(): number;
}

/** Randomness is injected: production passes `cryptoRandom`, tests a seeded source. */
export interface RandomSource {
  bytes(n: number): Uint8Array;
}

export const systemClock: Clock = { now: () => Date.now() };

export const cryptoRandom: RandomSource = {
  bytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
};

/** A clock that only moves when told; `advance` never goes backwards. */
export class VirtualClock implements Clock {
  constructor(private ms: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms}`);
    this.ms += Math.floor(ms);
  }
  set(ms: number): void {
    if (ms < this.ms) throw new RangeError("virtual time never goes backwards");
    this.ms = ms;
  }
}

/** Deterministic random bytes (xorshift128+ over a 32-bit seed); for tests and simulations only. */
export class SeededRandom implements RandomSource {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    this.s0 = BigInt(seed >>> 0) | 0x9e3779b97f4a7c15n;
    this.s1 = (BigInt(seed >>> 0) << 17n) ^ 0xbf58476d1ce4e5b9n;
    for (let i = 0; i < 8; i++) this.nextU64();
  }
  nextU64(): bigint {
    const M = (1n << 64n) - 1n;
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & M;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & M;
  }
  /** Uniform float in [0, 1). */
  next(): number {
    return Number(this.nextU64() >> 11n) / 2 ** 53;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      let v = this.nextU64();
      for (let j = i; j < Math.min(n, i + 8); j++) {
        out[j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  }
}
