import { createPrivateKey, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { contractId, sessionId, stallId } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import { runPkiCli as pki } from "@chargemesh/cloud-peer";
import { CertificateAuthorizer } from "@chargemesh/edge-node";

const dir = mkdtempSync(join(tmpdir(), "cm-pki-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = Date.UTC(2026, 10, 24, 12);
const io = { out: (s: string) => void (outs += s), err: (s: string) => void (errs += s) };
let outs = "";
let errs = "";
const run = async (...args: string[]) => {
  outs = "";
  errs = "";
  const code = await pki(["--dir", dir, ...args], io, NOW);
  expect(code, errs).toBe(0);
  return outs;
};

test("certificates and revocation lists from chargemesh-pki are what a site authorizes with", async () => {
  await run("init");
  await run(
    "contract",
    "--emaid",
    "DE-CMS-C00000042-2",
    "--out",
    join(dir, "car.der"),
    "--key-out",
    join(dir, "car.pk8"),
  );
  await run("anchors", "--out", join(dir, "root.der"));
  const revocationKey = Buffer.from(
    (JSON.parse(await run("anchors", "--out", join(dir, "root.der"), "--json")) as { revocationKey: string })
      .revocationKey,
    "hex",
  );
  await run("crl", "--out", join(dir, "crl-0.bin"));
  let crl = readFileSync(join(dir, "crl-0.bin"));
  const chain = (JSON.parse(readFileSync(join(dir, "car.der.chain"), "utf8")) as string[]).map(
    (b) => new Uint8Array(Buffer.from(b, "base64")),
  );
  const carKey = createPrivateKey({ key: readFileSync(join(dir, "car.pk8")), format: "der", type: "pkcs8" });
  const authorizer = new CertificateAuthorizer(
    {
      trustAnchors: () => [new Uint8Array(readFileSync(join(dir, "root.der")))],
      revocationList: () => ({ signed: crl, key: revocationKey }),
      standing: (c: ContractId) => (c === contractId("DE-CMS-C00000042-2") ? "good" : undefined),
      lastCloudContactMs: () => NOW,
      regionFailed: () => false,
      sessionsToday: () => 0,
    },
    {
      offlineAfterMs: 900_000,
      revocationMaxAgeMs: 86_400_000,
      unknownContractCaps: { maxEnergyWh: 1 },
      unknownContractMaxSessionsPerDay: 1,
      regionFailedCaps: { maxEnergyWh: 1 },
    },
  );
  const attempt = async () => {
    const challenge = crypto.getRandomValues(new Uint8Array(16));
    return authorizer.authorize({
      stallId: stallId("s1"),
      sessionId: sessionId("site:PKITESTSESSION01"),
      plug: { certificateChain: chain },
      challenge,
      challengeSignature: sign("sha256", challenge, carKey),
      nowMs: NOW + 60_000,
    });
  };
  expect(await attempt()).toMatchObject({ accepted: true, contractId: "DE-CMS-C00000042-2", mode: "online" });
  await run("revoke", "--cert", join(dir, "car.der"));
  await run("crl", "--out", join(dir, "crl-1.bin"));
  crl = readFileSync(join(dir, "crl-1.bin"));
  expect(await attempt()).toMatchObject({ accepted: false, reason: "CertificateRevoked" });
  expect(
    await pki(["contract", "--dir", dir, "--emaid", "not an emaid", "--out", join(dir, "x.der")], io, NOW),
  ).toBe(3);
  expect(await pki(["crl", "--dir", join(dir, "nowhere"), "--out", "x"], io, NOW)).toBe(5);
}, 60_000);
