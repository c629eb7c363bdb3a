import { expect, test } from "vitest";
import { authorizationDecisionSchema } from "@chargemesh/shared-model";
import type { Authorizer, AuthorizationRequest } from "../../src/auth/authorizer.js";

export interface AuthorizerUnderTest {
  readonly authorizer: Authorizer;
  /** A request from a car this authorizer must accept: a valid chain and a signature over a fresh challenge. */
  validRequest(): Promise<AuthorizationRequest>;
}

/**
 * The Authorizer contract every implementation passes (`authorizerCompliance(name, open)`): a good car
 * is accepted with its contract; hostile or missing identities are refused with a decision that fits
 * the journal's schema; nothing throws.
 */
export function authorizerCompliance(name: string, open: () => Promise<AuthorizerUnderTest>): void {
  test(`${name}: a valid contract with proof of possession is accepted, naming the contract`, async () => {
    const { authorizer, validRequest } = await open();
    const req = await validRequest();
    const d = await authorizer.authorize(req);
    expect(d).toMatchObject({ accepted: true, reason: "Accepted" });
    expect(authorizationDecisionSchema.safeParse(d).success).toBe(true);
  });

  test(`${name}: no certificate (a VIN is never an identity) is refused as NoCertificateAvailable`, async () => {
    const { authorizer, validRequest } = await open();
    const req = await validRequest();
    const d = await authorizer.authorize({
      ...req,
      plug: { certificateChain: [], claimedVin: "WVWZZZ1JZXW000001" },
    });
    expect(d).toMatchObject({ accepted: false, reason: "NoCertificateAvailable", contractId: null });
  });

  test(`${name}: a signature that is not over this challenge is refused`, async () => {
    const { authorizer, validRequest } = await open();
    const req = await validRequest();
    const other = Uint8Array.from(req.challenge, (b) => b ^ 0xff);
    expect((await authorizer.authorize({ ...req, challenge: other })).accepted).toBe(false);
    expect((await authorizer.authorize({ ...req, challengeSignature: null })).accepted).toBe(false);
  });

  test(`${name}: hostile bytes never throw and always give a decision that fits the schema`, async () => {
    const { authorizer, validRequest } = await open();
    const req = await validRequest();
    const junk = [
      new Uint8Array(0),
      new Uint8Array(3).fill(0x30),
      Uint8Array.from({ length: 600 }, (_, i) => (i * 37) % 256),
    ];
    for (const chain of [
      [junk[1]!],
      [junk[2]!, junk[0]!],
      [req.plug.certificateChain[0]!, junk[2]!],
      [...req.plug.certificateChain].reverse(),
    ]) {
      const d = await authorizer.authorize({ ...req, plug: { certificateChain: chain } });
      expect(d.accepted).toBe(false);
      expect(authorizationDecisionSchema.safeParse(d).success).toBe(true);
    }
    const d = await authorizer.authorize({ ...req, challengeSignature: junk[2]! });
    expect(d.accepted).toBe(false);
  });
}
