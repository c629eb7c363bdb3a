import "reflect-metadata";
import { createPrivateKey, sign as ecSign } from "node:crypto";
import type { ContractId } from "@chargemesh/shared-model";
import { sessionId as toSessionId, stallId } from "@chargemesh/shared-model";
import { issueLeaf, issueRoot, issueSubCa } from "@chargemesh/certificate-issuer";
import type { Issued } from "@chargemesh/certificate-issuer";
import { certificateFingerprint, signRevocationList } from "@chargemesh/shared-model";
import { issueSessionToken, verifySessionToken } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { CertificateAuthorizer } from "@chargemesh/edge-node";
import type { OfflinePolicy, TrustStore } from "@chargemesh/edge-node";
import type { AuthorizationRequest } from "@chargemesh/edge-node";
import { createSyncNode, PeerRegistry, registeredPeersGater } from "@chargemesh/automerge-network-libp2p";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";

/** An unregistered libp2p peer dials a cloud peer whose gater admits registered peers only. */
async function unregisteredPeerOutcome(): Promise<string> {
  const registry = new PeerRegistry();
  const refused: string[] = [];
  const cloud = await createSyncNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    connectionGater: registeredPeersGater(registry, (p) => refused.push(p)),
  });
  const stranger = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  try {
    await stranger.dial(multiaddr(cloud.getMultiaddrs()[0]!.toString())).catch(() => undefined);
    for (let i = 0; i < 100 && !refused.includes(stranger.peerId.toString()); i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const admitted = cloud.getConnections(stranger.peerId).length > 0;
    return admitted
      ? "admitted"
      : refused.includes(stranger.peerId.toString())
        ? "refused after Noise handshake"
        : "no connection";
  } finally {
    await stranger.stop();
    await cloud.stop();
  }
}

/** One attack (or control) and the outcome the site must give. */
export interface AttackCase {
  readonly name: string;
  readonly expected: string;
  run(): Promise<string>;
}

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 12);
const d = (ms: number) => new Date(ms);

async function signWith(issued: Issued, challenge: Uint8Array): Promise<Uint8Array> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", issued.keys!.privateKey));
  return new Uint8Array(
    ecSign("sha256", challenge, createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })),
  );
}

/**
 * The attack catalogue: a real ISO 15118-2-shaped PKI (V2G root -> MO sub-CA 1 -> MO sub-CA 2 ->
 * contract leaves) and a site authorizer; every hostile input must be refused with its own reason.
 * Used by the vitest suite and by `npm run check:attacks`.
 */
export async function buildAttackCases(): Promise<AttackCase[]> {
  const span = { notBefore: d(NOW - 365 * DAY), notAfter: d(NOW + 5 * 365 * DAY) };
  const root = await issueRoot({ name: "V2G Root CA", serial: "01", pathLength: 2, ...span });
  const mo1 = await issueSubCa(
    { name: "MO Sub-CA 1", serial: "02", pathLength: 1, ...span },
    { cert: root.cert, privateKey: root.keys!.privateKey },
  );
  const mo2 = await issueSubCa(
    { name: "MO Sub-CA 2", serial: "03", pathLength: 0, ...span },
    { cert: mo1.cert, privateKey: mo1.keys!.privateKey },
  );
  const mo2Signer = { cert: mo2.cert, privateKey: mo2.keys!.privateKey };
  const leaf = (emaid: string, serial: string, from = NOW - DAY, to = NOW + 30 * DAY) =>
    issueLeaf(emaid, serial, d(from), d(to), mo2Signer);
  const good = await leaf("DE-CMS-C00000001-1", "10");
  const unknown = await leaf("DE-CMS-C00000002-2", "11");
  const blocked = await leaf("DE-CMS-C00000003-3", "12");
  const revoked = await leaf("DE-CMS-C00000004-4", "13");
  const expired = await leaf("DE-CMS-C00000005-5", "14", NOW - 60 * DAY, NOW - DAY);
  const notYet = await leaf("DE-CMS-C00000006-6", "15", NOW + DAY, NOW + 60 * DAY);
  const selfSigned = await issueRoot({ name: "DE-CMS-C00000007-7", serial: "16", pathLength: 0, ...span });
  const wrongRoot = await issueRoot({ name: "Evil Root", serial: "17", pathLength: 2, ...span });
  const wrongMo = await issueSubCa(
    { name: "MO Sub-CA 2", serial: "18", pathLength: 0, ...span },
    { cert: wrongRoot.cert, privateKey: wrongRoot.keys!.privateKey },
  );
  const wrongLeaf = await issueLeaf("DE-CMS-C00000001-1", "19", d(NOW - DAY), d(NOW + DAY), {
    cert: wrongMo.cert,
    privateKey: wrongMo.keys!.privateKey,
  });
  const chain = (l: Issued, ...rest: Issued[]) => [
    l.der,
    ...(rest.length ? rest : [mo2, mo1]).map((c) => c.der),
  ];

  const revocationSeed = new Uint8Array(32).fill(21);
  const revocationKey = nodeEd25519.publicKey(revocationSeed);
  const freshList = signRevocationList(
    {
      issuedAtMs: NOW - 3_600_000,
      nextUpdateMs: NOW + DAY,
      revoked: new Set([certificateFingerprint(revoked.der)]),
    },
    revocationSeed,
    nodeEd25519,
  );
  const staleList = signRevocationList(
    { issuedAtMs: NOW - 20 * DAY, nextUpdateMs: NOW - 10 * DAY, revoked: new Set() },
    revocationSeed,
    nodeEd25519,
  );
  const standing: Record<string, "good" | "blocked"> = {
    "DE-CMS-C00000001-1": "good",
    "DE-CMS-C00000003-3": "blocked",
    "DE-CMS-C00000004-4": "good",
  };
  const store = (list: Uint8Array, lastContactMs: number): TrustStore => ({
    trustAnchors: () => [root.der],
    revocationList: () => ({ signed: list, key: revocationKey }),
    standing: (c: ContractId) => standing[c],
    lastCloudContactMs: () => lastContactMs,
    regionFailed: () => false,
    sessionsToday: () => 0,
  });
  const policy: OfflinePolicy = {
    offlineAfterMs: 15 * 60_000,
    revocationMaxAgeMs: 2 * DAY,
    unknownContractCaps: { maxEnergyWh: 30_000 },
    unknownContractMaxSessionsPerDay: 2,
    regionFailedCaps: { maxEnergyWh: 60_000 },
  };
  const online = new CertificateAuthorizer(store(freshList, NOW - 60_000), policy);
  const offline = new CertificateAuthorizer(store(freshList, NOW - 6 * 3_600_000), policy);
  const staleOnline = new CertificateAuthorizer(store(staleList, NOW - 60_000), policy);

  const challenge = () => crypto.getRandomValues(new Uint8Array(16));
  const request = async (
    certs: Uint8Array[],
    signer: Issued | null,
    extra: Partial<AuthorizationRequest> = {},
  ): Promise<AuthorizationRequest> => {
    const c = challenge();
    return {
      stallId: stallId("stall-1"),
      sessionId: toSessionId("site-a:ATTACKSESSION0001"),
      plug: { certificateChain: certs },
      challenge: c,
      challengeSignature: signer ? await signWith(signer, c) : null,
      nowMs: NOW,
      ...extra,
    };
  };
  const outcome = async (a: CertificateAuthorizer, req: AuthorizationRequest) => {
    const r = await a.authorize(req);
    return r.accepted
      ? `Accepted(${r.mode}${r.caps.maxEnergyWh ? `, cap ${r.caps.maxEnergyWh} Wh` : ""})`
      : r.reason;
  };

  const siteSeed = new Uint8Array(32).fill(33);
  const siteKeys = new Map([["site-a#0", nodeEd25519.publicKey(siteSeed)]]);
  const claims = {
    sessionId: "site-a:ATTACKSESSION0001",
    contractId: "DE-CMS-C00000001-1",
    stallId: "stall-1",
    siteId: "site-a",
    issuedAtMs: NOW,
    expiresAtMs: NOW + 10 * 60_000,
    keyId: "site-a#0",
  };
  const token = (c = claims, seed = siteSeed) => issueSessionToken(c, seed, nodeEd25519);
  const tokenOutcome = (t: string, at = NOW + 60_000, expect = claims.sessionId) => {
    const r = verifySessionToken(t, siteKeys, at, nodeEd25519, expect);
    return r.ok ? "Accepted" : r.error.code;
  };

  return [
    {
      name: "control: a good contract with a fresh list, online",
      expected: "Accepted(online)",
      run: async () => outcome(online, await request(chain(good), good)),
    },
    {
      name: "spoofed VIN/MAC, no certificate",
      expected: "NoCertificateAvailable",
      run: async () =>
        outcome(online, {
          ...(await request([], null)),
          plug: { certificateChain: [], claimedVin: "WVWZZZ1JZXW000001", claimedMac: "00:11:22:33:44:55" },
        }),
    },
    {
      name: "self-signed contract certificate",
      expected: "CertChainError",
      run: async () => outcome(online, await request([selfSigned.der], selfSigned)),
    },
    {
      name: "chain to a wrong root",
      expected: "CertChainError",
      run: async () => outcome(online, await request(chain(wrongLeaf, wrongMo), wrongLeaf)),
    },
    {
      name: "expired contract certificate",
      expected: "CertificateExpired",
      run: async () => outcome(online, await request(chain(expired), expired)),
    },
    {
      name: "not-yet-valid contract certificate",
      expected: "CertificateExpired",
      run: async () => outcome(online, await request(chain(notYet), notYet)),
    },
    {
      name: "revoked contract, fresh revocation list",
      expected: "CertificateRevoked",
      run: async () => outcome(online, await request(chain(revoked), revoked)),
    },
    {
      name: "stale revocation list: known-good contract charges (offline policy)",
      expected: "Accepted(offline)",
      run: async () => outcome(staleOnline, await request(chain(good), good)),
    },
    {
      name: "stale revocation list: unknown contract charges under risk caps",
      expected: "Accepted(offline, cap 30000 Wh)",
      run: async () => outcome(staleOnline, await request(chain(unknown), unknown)),
    },
    {
      name: "offline site: blocked contract refused",
      expected: "AccountBlocked",
      run: async () => outcome(offline, await request(chain(blocked), blocked)),
    },
    {
      name: "online: contract unknown to the operator",
      expected: "ContractCancelled",
      run: async () => outcome(online, await request(chain(unknown), unknown)),
    },
    {
      name: "replayed challenge signature (signed an earlier challenge)",
      expected: "SignatureError",
      run: async () => {
        const old = await request(chain(good), good);
        return outcome(online, {
          ...(await request(chain(good), null)),
          challengeSignature: old.challengeSignature,
        });
      },
    },
    {
      name: "challenge signed by another key",
      expected: "SignatureError",
      run: async () =>
        outcome(online, {
          ...(await request(chain(good), null)),
          challengeSignature: (await request(chain(good), unknown)).challengeSignature,
        }),
    },
    {
      name: "no challenge signature",
      expected: "SignatureError",
      run: async () => outcome(online, await request(chain(good), null)),
    },
    {
      name: "claimed eMAID does not match the certificate",
      expected: "CertChainError",
      run: async () =>
        outcome(online, {
          ...(await request(chain(good), good)),
          plug: { certificateChain: chain(good), claimedEmaid: "DE-CMS-C00000009-9" },
        }),
    },
    {
      name: "truncated certificate bytes",
      expected: "CertChainError",
      run: async () => outcome(online, await request([good.der.subarray(0, 100)], good)),
    },
    {
      name: "garbage certificate bytes",
      expected: "CertChainError",
      run: async () => outcome(online, await request([crypto.getRandomValues(new Uint8Array(300))], good)),
    },
    { name: "control: a valid session token", expected: "Accepted", run: async () => tokenOutcome(token()) },
    {
      name: "forged session token (signed by another key)",
      expected: "bad_signature",
      run: async () => tokenOutcome(token(claims, new Uint8Array(32).fill(99))),
    },
    {
      name: "session token with edited claims",
      expected: "bad_signature",
      run: async () => {
        const [, sig] = token().split(".");
        const [body] = token({ ...claims, stallId: "stall-9" }).split(".");
        return tokenOutcome(`${body}.${sig}`);
      },
    },
    {
      name: "expired session token",
      expected: "expired",
      run: async () => tokenOutcome(token(), NOW + 11 * 60_000),
    },
    {
      name: "session token for another session",
      expected: "wrong_session",
      run: async () => tokenOutcome(token(), NOW + 60_000, "site-a:OTHERSESSION0002"),
    },
    { name: "garbage session token", expected: "malformed", run: async () => tokenOutcome("not-a-token") },
    {
      name: "unregistered peer dials a cloud peer",
      expected: "refused after Noise handshake",
      run: unregisteredPeerOutcome,
    },
  ];
}
