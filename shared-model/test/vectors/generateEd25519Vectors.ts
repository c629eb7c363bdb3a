/**
 * Writes ed25519-edge-cases.json: RFC 8032 vectors plus the inputs on which Ed25519 implementations
 * disagree (non-canonical S, small-order and mixed-order keys, torsioned R). Deterministic; run with
 * `npx tsx shared-model/test/vectors/generateEd25519Vectors.ts`.
 */
import { writeFileSync } from "node:fs";
import { Point } from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { ED25519_L } from "../../src/ledger/ed25519Rule.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLe32 = (n: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const mod = (n: bigint) => ((n % ED25519_L) + ED25519_L) % ED25519_L;
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

function secretScalar(seed: Uint8Array): bigint {
  const h = sha512(seed).slice(0, 32);
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  return le(h);
}

/** Signs with explicit control over A and R (to build the cases honest signers never produce). */
function forge(a: bigint, A: Point, r: bigint, R: Point, msg: Uint8Array) {
  const k = mod(le(sha512(concat(R.toBytes(), A.toBytes(), msg))));
  const S = mod(r + k * a);
  return { pub: hex(A.toBytes()), msg: hex(msg), sig: hex(concat(R.toBytes(), toLe32(S))) };
}

const B = Point.BASE;
const T8 = Point.fromBytes(
  Buffer.from("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "hex"),
);
const seed = new Uint8Array(32).fill(7);
const a = secretScalar(seed);
const A = B.multiply(mod(a));
const msg = new TextEncoder().encode("chargemesh edge cases");
const r = mod(le(sha512(concat(seed, msg))));
const honest = forge(a, A, r, B.multiply(r), msg);
const honestSig = Buffer.from(honest.sig, "hex");
const sPlusL = toLe32(le(honestSig.subarray(32)) + ED25519_L);

const vectors = [
  {
    name: "RFC 8032 test 1 (empty message)",
    pub: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    valid: true,
  },
  {
    name: "RFC 8032 test 2 (one byte)",
    pub: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    valid: true,
  },
  { name: "honest signature", ...honest, valid: true },
  {
    name: "message changed",
    ...honest,
    msg: hex(new TextEncoder().encode("chargemesh edge caseS")),
    valid: false,
  },
  {
    name: "non-canonical S (S + L)",
    ...honest,
    sig: hex(concat(honestSig.subarray(0, 32), sPlusL)),
    valid: false,
  },
  { name: "signature truncated", ...honest, sig: honest.sig.slice(0, 126), valid: false },
  {
    name: "small-order public key (identity) with S = 0, R = identity",
    pub: hex(Point.ZERO.toBytes()),
    msg: hex(msg),
    sig: hex(concat(Point.ZERO.toBytes(), new Uint8Array(32))),
    valid: false,
  },
  {
    name: "small-order public key (order 8) with R = identity",
    pub: hex(T8.toBytes()),
    msg: hex(msg),
    sig: hex(concat(Point.ZERO.toBytes(), new Uint8Array(32))),
    valid: false,
  },
  {
    name: "non-canonical public key encoding (y = p + 1)",
    pub: "ee" + "ff".repeat(30) + "7f",
    msg: hex(msg),
    sig: hex(concat(Point.ZERO.toBytes(), new Uint8Array(32))),
    valid: false,
  },
  {
    name: "torsioned R (cofactored accepts, cofactorless rejects)",
    ...forge(a, A, r, B.multiply(r).add(T8), msg),
    valid: false,
  },
  {
    name: "mixed-order public key A + T8 (cofactored accepts)",
    ...forge(a, A.add(T8), r, B.multiply(r), msg),
    valid: false,
  },
  {
    name: "key of another signer",
    ...honest,
    pub: hex(B.multiply(mod(secretScalar(new Uint8Array(32).fill(9)))).toBytes()),
    valid: false,
  },
];

writeFileSync(
  new URL("./ed25519-edge-cases.json", import.meta.url),
  JSON.stringify(
    { rule: "chargemesh strict cofactorless (docs/ed25519-verification.md)", vectors },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${vectors.length} vectors`);
