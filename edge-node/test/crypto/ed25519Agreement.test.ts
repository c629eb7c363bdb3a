import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import * as ed from "@noble/ed25519";
import { nobleEd25519 } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/edge-node";

const { vectors } = JSON.parse(readFileSync(new URL("../../../shared-model/test/vectors/ed25519-edge-cases.json", import.meta.url), "utf8")) as {
  vectors: { name: string; pub: string; msg: string; sig: string; valid: boolean }[];
};
const b = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

describe("Ed25519: node:crypto and @noble/ed25519 accept exactly the same signatures", () => {
  for (const v of vectors) {
    test(`${v.valid ? "accepts" : "rejects"}: ${v.name}`, () => {
      expect(nodeEd25519.verify(b(v.sig), b(v.msg), b(v.pub))).toBe(v.valid);
      expect(nobleEd25519.verify(b(v.sig), b(v.msg), b(v.pub))).toBe(v.valid);
    });
  }

  test("the edge cases are real: noble's default (ZIP-215) accepts some that the rule rejects", () => {
    const lenient = vectors.filter((v) => !v.valid && v.sig.length === 128 && ed.verify(b(v.sig), b(v.msg), b(v.pub)));
    expect(lenient.map((v) => v.name)).toEqual(
      expect.arrayContaining(["torsioned R (cofactored accepts, cofactorless rejects)", "mixed-order public key A + T8 (cofactored accepts)"]),
    );
  });

  test("both sign identically (RFC 8032 is deterministic)", () => {
    const seed = new Uint8Array(32).fill(3);
    const msg = new TextEncoder().encode("same bytes");
    expect(nodeEd25519.publicKey(seed)).toEqual(nobleEd25519.publicKey(seed));
    expect(nodeEd25519.sign(msg, seed)).toEqual(nobleEd25519.sign(msg, seed));
  });

  test("property: random keys, messages and bit flips give identical verdicts", () => {
    for (const seed of [1, 2, 3]) {
      console.log(`ed25519 agreement property seed=${seed}`);
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ maxLength: 200 }),
          fc.nat({ max: 1000 }),
          fc.constantFrom("sig", "msg", "pub", "none"),
          (sk, msg, flipAt, where) => {
            const pub = nodeEd25519.publicKey(sk);
            const sig = nodeEd25519.sign(msg, sk);
            const target = where === "sig" ? sig : where === "msg" ? msg : where === "pub" ? pub : null;
            if (target && target.length > 0) target[flipAt % target.length]! ^= 1 << flipAt % 8;
            const a = nodeEd25519.verify(sig, msg, pub);
            expect(nobleEd25519.verify(sig, msg, pub)).toBe(a);
            if (where === "none") expect(a).toBe(true);
          },
        ),
        { seed, numRuns: 60 },
      );
    }
  });
});
