/**
 * bench:auth: local Plug & Charge authorization latency (chain to the trust anchor, revocation list,
 * challenge signature, standing, policy) against ISO 15118-2's 2 s message budget. Baseline in the
 * same run: the challenge-signature check alone.
 */
import { buildAttackCases } from "@chargemesh/simulation";

const cases = await buildAttackCases();
const accepted = cases.find((c) => c.name.startsWith("control: a good contract"))!;
const signatureOnly = cases.find((c) => c.name === "no challenge signature")!;
const N = Number(process.env.BENCH_AUTH_RUNS ?? 400);
async function sample(run: () => Promise<string>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const full = await sample(() => accepted.run());
const partial = await sample(() => signatureOnly.run());
console.log(
  `bench:auth: ${N} authorizations of a 3-certificate contract chain (includes signing the challenge on the car side)\n`,
);
console.log("| measure | p50 ms | p99 ms | p99 / 2 s budget |");
console.log("|---|---:|---:|---:|");
console.log(
  `| full authorization (chain, revocation, challenge, standing) | ${q(full, 0.5).toFixed(2)} | ${q(full, 0.99).toFixed(2)} | ${((q(full, 0.99) / 2000) * 100).toFixed(3)} % |`,
);
console.log(
  `| baseline: chain + refusal without a challenge signature | ${q(partial, 0.5).toFixed(2)} | ${q(partial, 0.99).toFixed(2)} | ${((q(partial, 0.99) / 2000) * 100).toFixed(3)} % |`,
);
