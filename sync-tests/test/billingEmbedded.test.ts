import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { cryptoRandom, parseJsonKeepingNumbers, parseTariffs, systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer, checkRevenue, currencyCode, startEmbeddedBilling } from "@chargemesh/cloud-peer";
import type { AccountId } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { until } from "../../testing/until.js";

const dir = mkdtempSync(join(tmpdir(), "cm-billing-embedded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An OCPI 2.2.1 tariff: 0.35 EUR/kWh excl. 20 % VAT, 1.00 EUR per session. */
const TARIFF = {
  country_code: "DE",
  party_id: "CMS",
  id: "demo",
  currency: "EUR",
  elements: [
    {
      price_components: [
        { type: "ENERGY", price: 0.35, vat: 20, step_size: 1 },
        { type: "FLAT", price: 1, vat: 20, step_size: 1 },
      ],
    },
  ],
  last_updated: "2026-01-01T00:00:00Z",
};

test("the cloud bills every completed session of a synced site from its verified ledger, once, and the revenue invariants hold", async () => {
  const json = parseJsonKeepingNumbers(JSON.stringify(TARIFF));
  if (!json.ok) throw json.error;
  const tariffs = parseTariffs(json.value);
  if (!tariffs.ok) throw tariffs.error;
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  const siteNode = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SimulatedSite.create({
    siteId: "billed-site",
    dataDir: join(dir, "site"),
    stalls: 4,
    vehicles: 16,
    seed: 7,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 6),
    windowMs: 6 * 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node: siteNode, dial: [cloud.node.getMultiaddrs()[0]!.toString()] },
  });
  cloud.registerSite("billed-site", siteNode.peerId.toString(), site.controller.site.root.url);
  const billing = startEmbeddedBilling({
    peer: cloud,
    dataDir: join(dir, "cloud"),
    clock: systemClock,
    random: cryptoRandom,
    tariffs: tariffs.value,
    timeZone: "Europe/Berlin",
    accounts: [
      {
        account: {
          accountId: "acct-demo" as AccountId,
          tier: "standard",
          currency: currencyCode("EUR"),
          paymentMethod: "pm_demo_visa",
          customer: null,
          network: "visa",
        },
        contracts: site.contracts.map((c) => c.contractId),
      },
    ],
    log: pino({ level: "silent" }),
    everyMs: 3_600_000,
  });
  try {
    const summary = await site.run();
    expect(summary.sessions.completed).toBeGreaterThan(5);
    await until(
      "the cloud holds the site's documents",
      () => cloud.syncState()[0]?.documentsBehind === 0 && cloud.syncState()[0]!.connected,
      60_000,
    );
    const ledger = await cloud.ledger("billed-site");
    const completed = ledger!.sessions.filter((s) => s.state === "completed");
    await until(
      "every completed session's records verified at the cloud",
      async () =>
        (await cloud.ledger("billed-site"))!.sessions.filter(
          (s) => s.state === "completed" && s.endRecord !== null,
        ).length === summary.sessions.completed,
      60_000,
    );
    expect(completed.reduce((a, s) => a + (s.energyWh ?? 0), 0)).toBe(summary.energyWh);
    await billing.runNow();
    const again = await billing.runNow();
    expect(again.invoicesWritten).toBe(0);
    let invoiced = 0;
    for (const s of completed) {
      const invoice = await billing.ledger.invoiceForSession(s.sessionId);
      if (invoice) invoiced += 1;
    }
    expect(invoiced).toBe(completed.length);
    const revenue = await checkRevenue(billing.ledger, Date.now());
    expect(revenue.checks.filter((c) => !c.ok)).toEqual([]);
  } finally {
    await billing.stop();
    await site.stop();
    await siteNode.stop();
    await cloud.stop();
  }
}, 240_000);
