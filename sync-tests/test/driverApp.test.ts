import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import pino from "pino";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { cryptoRandom, parseJsonKeepingNumbers, parseTariffs, systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SimVehicle } from "@chargemesh/hal";
import {
  CloudPeer,
  DriverAccounts,
  SiteTokenKeyring,
  addDemoAccounts,
  currencyCode,
  startCloudApi,
  startEmbeddedBilling,
} from "@chargemesh/cloud-peer";
import type { AccountId, CloudApi, EmbeddedBilling } from "@chargemesh/cloud-peer";
import { startLocalApi } from "@chargemesh/edge-node";
import type { LocalApi } from "@chargemesh/edge-node";
import { SimulatedSite } from "@chargemesh/simulation";
import { TcpProxy } from "../../testing/tcpProxy.js";
import { until } from "../../testing/until.js";

/**
 * The driver app in Chromium against a cloud peer and a simulated site: a session started at the site
 * appears live on the phone view and on the car's dashboard and its figures move; with the browser's
 * link to the cloud cut, the dashboard keeps updating from the site and says so. Screenshots of each
 * view go to test-artifacts/driver-app/. Once the session ends, the cloud's embedded billing (SQLite
 * financial ledger, the demo OCPI tariff, the payment simulator) invoices it and the phone's receipt
 * shows that invoice: its total, energy and line items.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const shots = join(root, "test-artifacts", "driver-app");
const dir = mkdtempSync(join(tmpdir(), "cm-driver-"));
const closers: (() => Promise<unknown>)[] = [];
let browser: Browser;
let cloud: CloudPeer;
let site: SimulatedSite;
let cloudApi: CloudApi;
let localApi: LocalApi;
let proxy: TcpProxy;
let demo: { email: string; password: string };
let pageUrl = "";
let billing: EmbeddedBilling;
/** The tariff `npm start` bills with (network/demo-tariff.json), its text as published to the sites. */
const tariffJson = readFileSync(join(root, "network", "demo-tariff.json"), "utf8");
const TIME_ZONE = "Europe/Berlin";

beforeAll(async () => {
  execFileSync(
    process.execPath,
    [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
    { cwd: join(root, "driver-app"), stdio: "pipe" },
  );
  mkdirSync(shots, { recursive: true });
  cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  closers.push(() => cloud.stop());
  const siteNode = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  cloud.registry.register(siteNode.peerId.toString(), "site", "driver-site");
  site = await SimulatedSite.create({
    siteId: "driver-site",
    dataDir: join(dir, "site"),
    stalls: 2,
    vehicles: 0,
    seed: 11,
    offline: false,
    startMs: Date.now(),
    windowMs: 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node: siteNode, dial: [cloud.node.getMultiaddrs()[0]!.toString()], liveIntervalMs: 1_000 },
  });
  closers.push(() => site.stop());
  cloud.registerSite("driver-site", siteNode.peerId.toString(), site.controller.site.root.url);
  // The site's config carries the tariff billing rates with, so the phone's live cost is the invoice's rating.
  cloud.configs.publish("driver-site", (d) => {
    d.tariffs.push({
      id: "chargemesh-demo",
      energyMinorPerKWh: 46,
      sessionFeeMinor: 119,
      currency: "EUR",
      validFromMs: 0,
    });
    d.ocpiTariffs = { tariffsJson: tariffJson, timeZone: TIME_ZONE };
  });
  const json = parseJsonKeepingNumbers(tariffJson);
  if (!json.ok) throw json.error;
  const tariffs = parseTariffs(json.value);
  if (!tariffs.ok) throw tariffs.error;
  billing = startEmbeddedBilling({
    peer: cloud,
    dataDir: join(dir, "cloud"),
    clock: systemClock,
    random: cryptoRandom,
    tariffs: tariffs.value,
    timeZone: TIME_ZONE,
    accounts: [
      {
        account: {
          accountId: "acct-demo" as AccountId,
          tier: "standard",
          currency: currencyCode("EUR"),
          paymentMethod: "pm_sim_visa_acct-demo",
          customer: null,
          network: "visa",
        },
        contracts: [site.contractIds()[0]!],
      },
    ],
    log: pino({ level: "silent" }),
    // The test runs billing's passes itself (runNow) once the session has ended.
    everyMs: 3_600_000,
  });
  closers.push(() => billing.stop());

  const accounts = new DriverAccounts();
  demo = addDemoAccounts(
    accounts,
    [
      {
        accountId: "acct-demo",
        email: "demo@chargemesh.test",
        name: "Demo Driver",
        contracts: [
          {
            contractId: site.contractIds()[0]!,
            vehicleName: "Demo EV",
            batteryWh: 60_000,
            connector: "ccs2",
          },
        ],
      },
    ],
    (n) => crypto.getRandomValues(new Uint8Array(n)),
  )[0]!;
  const siteTokenKeys = new SiteTokenKeyring();
  for (const [keyId, key] of site.controller.tokenKeys) siteTokenKeys.trust(keyId, key);
  cloudApi = await startCloudApi(cloud, "127.0.0.1", 0, {
    accounts,
    siteTokenKeys,
    billing: billing.view,
    driverAppDir: join(root, "driver-app", "dist"),
    connectorOf: () => "ccs2",
  });
  closers.push(() => cloudApi.close());
  // The browser reaches the cloud through a proxy the test can cut.
  proxy = await TcpProxy.start("127.0.0.1", () => Number(new URL(cloudApi.url).port));
  closers.push(() => proxy.close());
  pageUrl = `http://127.0.0.1:${proxy.port}`;
  localApi = await startLocalApi(
    {
      siteId: site.config.siteId,
      clock: site.clock,
      gridLimitW: () => site.config.gridLimitW,
      orchestrator: site.controller.orchestrator,
      journal: site.controller.journal,
      technicians: [],
      checkSessionToken: (t) => site.controller.checkSessionToken(t),
      currentPlan: () => site.power.currentPlan(),
      onPlan: (l) => site.power.onPlan(l),
      metrics: site.controller.metrics.registry,
      simulated: ["meters", "power stages", "vehicle links", "cars"],
      allowedOrigins: [pageUrl],
    },
    "127.0.0.1",
    0,
  );
  closers.push(() => localApi.close());
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  closers.push(() => browser.close());
}, 180_000);

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).first().innerText();
/** Euro cents as the driver app shows money: 722n -> "€7.22". */
const euros = (minor: bigint) => `€${minor / 100n}.${String(minor % 100n).padStart(2, "0")}`;
/** Wh as the driver app shows energy (two decimals, truncated): 12345 -> "12.34 kWh". */
const kWh = (wh: number) =>
  `${Math.floor(wh / 1000)}.${String(Math.floor((wh % 1000) / 10)).padStart(2, "0")} kWh`;

test("a session at the site appears live on the phone and the car's dashboard; with the cloud cut the dashboard keeps updating from the site; the receipt is billing's invoice", async () => {
  await until(
    "the cloud syncs the site's root",
    () =>
      cloud.syncState()[0]!.connected &&
      cloud.repo.handles[site.controller.site.root.documentId]?.isReady() === true,
    30_000,
  );
  const car = new SimVehicle(
    { capacityWh: 60_000, socPermille: 250, targetPermille: 800, maxPowerW: 50_000 },
    site.contracts[0]!.secureElement,
    site.contracts[0]!.chain,
  );
  site.stalls[0]!.plug(car);
  await site.advance(10_000);
  await until("the car holds a session token", () => car.sessionToken !== null, 30_000);

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  await phone.goto(pageUrl);
  await phone.fill('input[name="email"]', demo.email);
  await phone.fill('input[name="password"]', demo.password);
  await phone.click('button[type="submit"]');
  // Figures move: keep the site charging until the phone shows a session whose energy changes.
  const seen = new Set<string>();
  await until(
    "the phone shows the session live with moving energy",
    async () => {
      await site.advance(15_000);
      if ((await phone.locator("[data-session]").count()) === 0) return false;
      seen.add(await figure(phone, "energy"));
      return seen.size >= 3;
    },
    60_000,
    300,
  );
  expect(await figure(phone, "cost")).toMatch(/^€\d+\.\d\d$/);
  expect(await figure(phone, "power")).toMatch(/kW$/);
  await phone.screenshot({ path: join(shots, "phone-live.png") });

  const dashboard = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const siteLiveUrl = `${localApi.url.replace(/^http/, "ws")}/live`;
  await dashboard.addInitScript(
    ([token, url]) =>
      sessionStorage.setItem("chargemesh.car", JSON.stringify({ sessionToken: token, siteLiveUrl: url })),
    [car.sessionToken!, siteLiveUrl] as const,
  );
  await dashboard.goto(`${pageUrl}/#/dashboard`);
  const cloudEnergy = new Set<string>();
  await until(
    "the dashboard reads the cloud and its energy moves",
    async () => {
      await site.advance(15_000);
      if ((await dashboard.locator(".dashboard").getAttribute("data-source")) !== "cloud") return false;
      cloudEnergy.add(await figure(dashboard, "energy"));
      return cloudEnergy.size >= 3;
    },
    60_000,
    300,
  );
  expect(await figure(dashboard, "source")).toContain("cloud");
  await dashboard.screenshot({ path: join(shots, "dashboard-cloud.png") });

  proxy.cut();
  const siteEnergy = new Set<string>();
  await until(
    "with the cloud cut, the dashboard reads the site and its energy moves",
    async () => {
      await site.advance(15_000);
      if ((await dashboard.locator(".dashboard").getAttribute("data-source")) !== "site") return false;
      siteEnergy.add(await figure(dashboard, "energy"));
      return siteEnergy.size >= 3;
    },
    90_000,
    500,
  );
  expect(await figure(dashboard, "source")).toMatch(/Live from the site · cloud silent since \d/);
  expect(await figure(dashboard, "soc")).toMatch(/%$/);
  await dashboard.screenshot({ path: join(shots, "dashboard-site.png") });
  proxy.restore();

  await phone.goto(`${pageUrl}/#/stations`);
  await phone.locator('[data-station="driver-site"]').waitFor();
  await phone.screenshot({ path: join(shots, "phone-stations.png") });
  await phone.goto(`${pageUrl}/#/history`);
  await phone.locator("a.history").first().waitFor();
  await phone.screenshot({ path: join(shots, "phone-history.png") });
  await phone.locator("a.history").first().click();
  await phone.locator("[data-receipt]").waitFor();
  expect(await phone.locator("[data-receipt]").getAttribute("data-receipt")).toBe("empty");
  await phone.screenshot({ path: join(shots, "phone-receipt-pending.png") });

  // The driver unplugs; once the cloud holds the session's verified end, billing invoices it.
  const sessionId = decodeURIComponent(phone.url().split("#/receipt/")[1] ?? "");
  expect(site.controller.journal.recent(1)[0]!.sessionId).toBe(sessionId);
  site.stalls[0]!.unplug();
  await until(
    "the cloud holds the session's verified end",
    async () => {
      await site.advance(5_000);
      const held = (await cloud.ledger("driver-site"))?.sessions.find((s) => s.sessionId === sessionId);
      return held?.state === "completed" && held.endRecord !== null;
    },
    60_000,
    300,
  );
  await billing.runNow();
  const invoice = await billing.ledger.invoiceForSession(sessionId);
  expect(invoice).not.toBeNull();
  const basis = invoice!.bases.at(-1)!;
  expect(basis.energyWh).toBeGreaterThan(1_000);
  expect(basis.totalMinor).toBeGreaterThan(0n);
  await phone.reload();
  await phone.locator(`[data-receipt="${invoice!.invoiceId}"]`).waitFor();
  expect(await phone.locator('[data-figure="total"]').innerText()).toBe(euros(basis.totalMinor));
  expect(await phone.locator('[data-figure="total-energy"]').innerText()).toBe(kWh(basis.energyWh));
  const rows = phone.locator(".receipt tbody tr");
  expect(await rows.count()).toBe(invoice!.lines.length);
  const shown = await rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => (td as HTMLElement).innerText)),
  );
  expect(shown).toEqual(
    invoice!.lines.map((l) => [
      l.description,
      l.energyWh !== 0 ? kWh(Math.abs(l.energyWh)) : "",
      euros(l.exclVatMinor + l.vatMinor),
    ]),
  );
  await phone.screenshot({ path: join(shots, "phone-receipt.png") });
  await phone.goto(`${pageUrl}/#/account`);
  await phone.locator("[data-standing]").waitFor();
  await phone.screenshot({ path: join(shots, "phone-account.png") });
}, 300_000);
