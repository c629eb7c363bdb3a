import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { cryptoRandom, systemClock } from "@chargemesh/shared-model";
import {
  PaymentSimulator,
  StripeWireServer,
  checkRevenue,
  openPostgresFinancialLedger,
} from "@chargemesh/cloud-peer";
import { ManagedChild } from "../src/processes/managedChild.js";
import type { BillReport, ChildMessage } from "../src/processes/ipcProtocol.js";
import type { SiteProcessArgs } from "../src/processes/siteProcess.js";
import type { RegionProcessArgs } from "../src/processes/cloudRegionProcess.js";
import type { RegionBillingArgs } from "../src/processes/regionBilling.js";
import { createTestDatabase, postgresAvailable } from "../../testing/postgresTestDatabase.js";
import { until } from "../../testing/until.js";

const SITE_FILE = fileURLToPath(new URL("../src/processes/siteProcess.ts", import.meta.url));
const REGION_FILE = fileURLToPath(new URL("../src/processes/cloudRegionProcess.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cm-billing-regions-"));
const children = new Set<ManagedChild>();
const crashes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all([...children].map((c) => c.kill()));
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** 0.35 EUR/kWh and 1.00 EUR per session, 20 % VAT (OCPI 2.2.1). */
const TARIFF = JSON.stringify({
  country_code: "DE",
  party_id: "CMS",
  id: "regions",
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
});

const freePort = async (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

const start = async (name: string, file: string, arg: unknown, onEvent?: (m: ChildMessage) => void) => {
  const child = await ManagedChild.start({
    name,
    file,
    arg,
    readyTimeoutMs: 90_000,
    ...(onEvent ? { onEvent } : {}),
    onUnexpectedExit: (_n, d) => crashes.push(d),
  });
  children.add(child);
  return child;
};
const healthy = () => {
  if (crashes.length > 0) throw new Error(`a child process crashed:\n${crashes.join("\n\n")}`);
};

test("two region processes bill the same site at the same time against one PostgreSQL: every session invoiced once and paid once", async (ctx) => {
  if (!(await postgresAvailable())) return ctx.skip();
  const db = await createTestDatabase();
  cleanups.push(db.drop);
  // The payment provider both regions call: the simulator in Stripe's wire format.
  const simulator = new PaymentSimulator(systemClock, cryptoRandom);
  simulator.addCard("pm_regions_visa", "visa");
  const wire = new StripeWireServer(simulator);
  const stripePort = await wire.listen();
  cleanups.push(() => wire.close());

  // Region b, then region a dialling b, then the site dialling a (home) and b (fallback).
  const portA = await freePort();
  const portB = await freePort();
  let finished = false;
  const siteArgs = (dial: string[]): SiteProcessArgs => ({
    siteId: "billed-site",
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 12,
    seed: 4242,
    startMs: Date.UTC(2026, 5, 1, 6),
    windowMs: 4 * 3_600_000,
    dial,
    paceMsPerSimMinute: 0,
  });
  const billing: RegionBillingArgs = {
    postgresUrl: db.url,
    stripePort,
    tariffJson: TARIFF,
    timeZone: "Europe/Berlin",
    account: { accountId: "acct-regions", paymentMethod: "pm_regions_visa" },
  };
  const regionArgs = (name: string, port: number, dial: string[]): RegionProcessArgs => ({
    name,
    dataDir: join(dir, name),
    port,
    dial,
    sites: [],
    clouds: [],
    billing,
  });
  const b = await start("region-b", REGION_FILE, regionArgs("region-b", portB, []));
  const a = await start(
    "region-a",
    REGION_FILE,
    regionArgs("region-a", portA, [`/ip4/127.0.0.1/tcp/${portB}/p2p/${b.info.peerId}`]),
  );
  const site = await start(
    "site",
    SITE_FILE,
    siteArgs([
      `/ip4/127.0.0.1/tcp/${portA}/p2p/${a.info.peerId}`,
      `/ip4/127.0.0.1/tcp/${portB}/p2p/${b.info.peerId}`,
    ]),
    (m) => void (m.type === "finished" && (finished = true)),
  );
  const registration = { siteId: "billed-site", peerId: site.info.peerId, rootUrl: site.info.rootUrl! };
  await b.ask({
    kind: "register",
    sites: [registration],
    clouds: [{ name: "region-a", peerId: a.info.peerId }],
  });
  await a.ask({
    kind: "register",
    sites: [registration],
    clouds: [{ name: "region-b", peerId: b.info.peerId }],
  });
  await site.ask({ kind: "run" });
  await until("the site's day is over", () => (healthy(), finished), 240_000);
  const completed = (await site.ask({ kind: "status" })).completedSessions;
  expect(completed).toBeGreaterThan(3);

  // Both regions hold every document of the site (a from the site, b from a).
  const urls = (await site.ask({ kind: "documents" }))!;
  const siteHeads = await site.ask({ kind: "heads", urls });
  for (const region of [a, b])
    await until(
      "a region holds the site's documents at the site's heads",
      async () => {
        healthy();
        const heads = await region.ask({ kind: "heads", urls });
        return urls.every((u) => JSON.stringify(heads[u]) === JSON.stringify(siteHeads[u]));
      },
      180_000,
    );

  // Both bill at once, three rounds; then a last pass each finds nothing left to do.
  const reports: BillReport[] = [];
  for (let round = 0; round < 3; round++)
    reports.push(...(await Promise.all([a.ask({ kind: "bill" }), b.ask({ kind: "bill" })])));
  const quiet = await Promise.all([a.ask({ kind: "bill" }), b.ask({ kind: "bill" })]);
  healthy();
  const byRegion = (i: number) =>
    reports.filter((_, j) => j % 2 === i).reduce((n, r) => n + r.invoicesWritten, 0);
  console.log(`two regions billing: region a wrote ${byRegion(0)} invoices, region b ${byRegion(1)}`);
  expect(quiet.map((r) => r.invoicesWritten)).toEqual([0, 0]);

  const ledger = await openPostgresFinancialLedger(db.url);
  try {
    const invoices = [];
    for await (const inv of ledger.invoices()) invoices.push(inv);
    const sessions = invoices.map((i) => i.sessionId);
    expect(new Set(sessions).size).toBe(sessions.length);
    expect(invoices.length).toBe(completed);
    // The invoices the regions wrote add up to the invoices there are: neither wrote one twice.
    expect(reports.reduce((n, r) => n + r.invoicesWritten, 0)).toBe(invoices.length);
    for (const inv of invoices) {
      const moved = simulator.movedFor(inv.sessionId);
      const total = inv.bases.at(-1)!.totalMinor;
      expect(moved.captures + moved.charges, `payments of ${inv.sessionId}`).toBe(total > 0n ? 1 : 0);
      expect(BigInt(moved.net), `money moved for ${inv.sessionId}`).toBe(total);
    }
    const revenue = await checkRevenue(ledger, Date.now());
    expect(revenue.checks.filter((c) => !c.ok)).toEqual([]);
  } finally {
    await ledger.close();
  }
}, 600_000);
