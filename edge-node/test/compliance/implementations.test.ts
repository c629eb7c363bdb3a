import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { VirtualClock, siteId, stallId, sessionId } from "@chargemesh/shared-model";
import { CONTRACT_KEY_LABEL, SimSecureElement } from "@chargemesh/hal";
import { issueLeaf, issueRoot, issueSubCa } from "@chargemesh/certificate-issuer";
import { MemoryLedgerStore } from "../../src/ledger/memoryLedgerStore.js";
import { AutomergeLedgerStore } from "../../src/store/automergeLedgerStore.js";
import { AutomergeSessionJournal } from "../../src/store/automergeSessionJournal.js";
import { SiteRepo } from "../../src/store/siteRepo.js";
import { CertificateAuthorizer } from "../../src/auth/certificateAuthorizer.js";
import { ledgerStoreCompliance } from "./ledgerStoreCompliance.js";
import { sessionJournalCompliance } from "./sessionJournalCompliance.js";
import { authorizerCompliance } from "./authorizerCompliance.js";

const dir = mkdtempSync(join(tmpdir(), "cm-compliance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const clock = new VirtualClock(Date.UTC(2026, 5, 1, 10));
const site = siteId("compliance-site");

describe("LedgerStore implementations", () => {
  ledgerStoreCompliance("MemoryLedgerStore", async () => ({
    store: new MemoryLedgerStore(),
    close: async () => undefined,
  }));
  ledgerStoreCompliance("AutomergeLedgerStore (SQLite)", async () => {
    const path = join(dir, `ledger-${n++}`);
    const repos: SiteRepo[] = [await SiteRepo.open(site, path)];
    const reopen = async () => {
      await repos.at(-1)!.close();
      repos.push(await SiteRepo.open(site, path));
      return AutomergeLedgerStore.open(repos.at(-1)!, clock);
    };
    return {
      store: await AutomergeLedgerStore.open(repos[0]!, clock),
      reopen,
      close: () => repos.at(-1)!.close(),
    };
  });
});

describe("SessionJournal implementations", () => {
  sessionJournalCompliance("AutomergeSessionJournal (SQLite)", async () => {
    const path = join(dir, `journal-${n++}`);
    const repos: SiteRepo[] = [await SiteRepo.open(site, path)];
    const reopen = async () => {
      await repos.at(-1)!.close();
      repos.push(await SiteRepo.open(site, path));
      return AutomergeSessionJournal.open(repos.at(-1)!, site);
    };
    return {
      journal: await AutomergeSessionJournal.open(repos[0]!, site),
      reopen,
      close: () => repos.at(-1)!.close(),
    };
  });
});

describe("Authorizer implementations", () => {
  authorizerCompliance("CertificateAuthorizer", async () => {
    const now = clock.now();
    const span = { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 365 * 86_400_000) };
    const root = await issueRoot({ name: "Test V2G Root", serial: "01", pathLength: 2, ...span });
    const mo1 = await issueSubCa(
      { name: "Test MO 1", serial: "02", pathLength: 1, ...span },
      { cert: root.cert, privateKey: root.keys!.privateKey },
    );
    const mo2 = await issueSubCa(
      { name: "Test MO 2", serial: "03", pathLength: 0, ...span },
      { cert: mo1.cert, privateKey: mo1.keys!.privateKey },
    );
    const car = new SimSecureElement();
    const key = await car.generateKey(CONTRACT_KEY_LABEL, "ecdsa-p256");
    const leaf = await issueLeaf(
      "DE-CMS-C00000009-9",
      "10",
      span.notBefore,
      span.notAfter,
      { cert: mo2.cert, privateKey: mo2.keys!.privateKey },
      key.publicKey,
    );
    const authorizer = new CertificateAuthorizer(
      {
        trustAnchors: () => [root.der],
        revocationList: () => null,
        standing: () => "good",
        lastCloudContactMs: () => clock.now(),
        regionFailed: () => false,
        sessionsToday: () => 0,
      },
      {
        offlineAfterMs: 900_000,
        revocationMaxAgeMs: 2 * 86_400_000,
        unknownContractCaps: { maxEnergyWh: 30_000 },
        unknownContractMaxSessionsPerDay: 2,
        regionFailedCaps: { maxEnergyWh: 60_000 },
      },
    );
    return {
      authorizer,
      validRequest: async () => {
        const challenge = Uint8Array.from({ length: 16 }, (_, i) => (i * 13 + 7) % 256);
        return {
          stallId: stallId("stall-1"),
          sessionId: sessionId("compliance-site:s-0001"),
          plug: { certificateChain: [leaf.der, mo2.der, mo1.der] },
          challenge,
          challengeSignature: await car.sign(CONTRACT_KEY_LABEL, challenge),
          nowMs: clock.now(),
        };
      },
    };
  });
});
