import { describe, expect, test } from "vitest";
import { Encoder } from "cbor-x";
import { nobleEd25519 } from "../../src/ledger/nobleEd25519.js";
import { signRevocationList, verifyRevocationList } from "../../src/identity/revocationList.js";

const seed = new Uint8Array(32).fill(7);
const key = nobleEd25519.publicKey(seed);
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

/** A list signed over any body: what a forger or a broken tool could produce with the right key. */
const signedBody = (body: unknown[]) => {
  const bytes = new Uint8Array(encoder.encode(body));
  return new Uint8Array(encoder.encode([bytes, nobleEd25519.sign(bytes, seed)]));
};

describe("revocation lists fail closed on their validity", () => {
  test("a list with a sound window verifies", () => {
    const r = verifyRevocationList(
      signRevocationList(
        { issuedAtMs: 1_000, nextUpdateMs: 2_000, revoked: new Set(["ab"]) },
        seed,
        nobleEd25519,
      ),
      key,
      nobleEd25519,
    );
    expect(r.ok && [...r.value.revoked]).toEqual(["ab"]);
  });

  test("signing a NaN, fractional or inverted window is refused", () => {
    for (const [issuedAtMs, nextUpdateMs] of [
      [1_000, Number.NaN],
      [1_000.5, 2_000],
      [2_000, 1_000],
      [1_000, 1_000],
    ] as const)
      expect(() =>
        signRevocationList({ issuedAtMs, nextUpdateMs, revoked: new Set() }, seed, nobleEd25519),
      ).toThrow(/validity/);
  });

  test("a validly signed list whose next update is NaN, missing or before its issue is refused, so the site treats it as stale", () => {
    for (const body of [
      [1, 1_000, Number.NaN, []],
      [1, 1_000, null, []],
      [1, 5_000, 1_000, []],
      [1, 1_000, 1_000.25, []],
    ]) {
      const r = verifyRevocationList(signedBody(body), key, nobleEd25519);
      expect(r.ok).toBe(false);
    }
  });
});
