/**
 * The kiosk in Chromium on a simulated site with one stall driven by a simulated OCPP charger: a
 * signed-in technician restarts that charger (confirm step) and the charger receives Reset; the
 * simulated stall shows no such button. Screenshots go to test-artifacts/kiosk/ (git-ignored).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import pino from "pino";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { siteLocalApiDeps, startLocalApi, technicianTokenDigest } from "@chargemesh/edge-node";
import type { LocalApi } from "@chargemesh/edge-node";
import { SimulatedSite } from "@chargemesh/simulation";
import { technicianId } from "@chargemesh/shared-model";

const CHROMIUM = "/usr/bin/chromium";
const KIOSK_DIR = resolve(import.meta.dirname, "../../kiosk-ui/dist");
const SHOTS = resolve(import.meta.dirname, "../../test-artifacts/kiosk");
const TOKEN = "kiosk-charger-test-technician";

class StopRun extends Error {}

let dir: string;
let site: SimulatedSite;
let api: LocalApi;
let browser: Browser;
let page: Page;
let running: Promise<unknown>;
let stop = false;
let steps = 0;

beforeAll(async () => {
  if (!existsSync(join(KIOSK_DIR, "index.html"))) {
    execFileSync("npx", ["vite", "build"], {
      cwd: resolve(import.meta.dirname, "../../kiosk-ui"),
      stdio: "ignore",
    });
  }
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "cm-kiosk-ocpp-"));
  site = await SimulatedSite.create({
    siteId: "kiosk-ocpp-site",
    dataDir: dir,
    stalls: 2,
    ocppStalls: 1,
    vehicles: 4,
    seed: 9,
    offline: true,
    startMs: Date.UTC(2026, 5, 1, 8),
    windowMs: 2 * 3_600_000,
    log: pino({ level: "silent" }),
    onStep: async () => {
      if (stop) throw new StopRun();
      if (++steps % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    },
  });
  const deps = siteLocalApiDeps(site.controller, {
    clock: site.clock,
    power: site.power,
    hardware: site.config.stalls.map((c, i) => ({ config: c, ...site.hardware[i]! })),
    technicians: [{ id: technicianId("tess"), tokenSha256: technicianTokenDigest(TOKEN) }],
    ocppChargers: () => site.ocpp!.site.chargers(),
    chargers: site.ocpp!.site.remote,
    kioskDir: KIOSK_DIR,
  });
  api = await startLocalApi(deps, "127.0.0.1", 0);
  running = site.run().catch((e) => {
    if (!(e instanceof StopRun)) throw e;
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, hasTouch: true });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(api.url + "/");
}, 120_000);

afterAll(async () => {
  stop = true;
  await running;
  await browser?.close();
  await api?.close();
  await site?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a technician restarts the OCPP charger of a stall after confirming, and the charger receives Reset", async () => {
  await page.getByRole("heading", { name: "kiosk-ocpp-site" }).waitFor();
  await page.getByRole("button", { name: "Technician sign-in" }).click();
  await page.getByLabel("Technician credential").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: /Sign out tess/ }).waitFor();
  const [simStall, ocppStall] = site.config.stalls.map((s) => s.id as string);
  const card = (id: string) =>
    page.locator(".stall", { has: page.locator("h3", { hasText: new RegExp(`^${id}$`) }) });
  const restart = card(ocppStall!).getByRole("button", { name: "Restart charger" });
  await restart.waitFor({ timeout: 30_000 });
  expect(await card(simStall!).getByRole("button", { name: "Restart charger" }).count()).toBe(0);
  // Gloves: a large target.
  expect((await restart.boundingBox())!.height).toBeGreaterThanOrEqual(48);
  const charger = site.ocpp!.chargers[0]!;
  await restart.click();
  await page.getByRole("dialog").waitFor();
  await shot("confirm-restart-charger");
  expect(charger.resetRequests).toEqual([]); // nothing before the confirmation
  await page.getByRole("dialog").getByRole("button", { name: "Restart when idle" }).click();
  await page
    .locator(".banner.info", { hasText: /charger .*: (accepted|scheduled)/ })
    .waitFor({ timeout: 30_000 });
  expect(charger.resetRequests).toEqual([{ type: "OnIdle" }]);
  await shot("restart-charger-done");
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
