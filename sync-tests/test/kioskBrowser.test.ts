/**
 * The kiosk in Chromium against a real simulated site (SiteController, PowerManager, hal simulators
 * on virtual time) serving the built renderer from its local API: stall grid, an alarm, the power
 * chart, and a technician taking a stall out of service and seeing the plan change. Screenshots go
 * to test-artifacts/kiosk/ (git-ignored).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
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
const TOKEN = "kiosk-test-technician";

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
  dir = mkdtempSync(join(tmpdir(), "cm-kiosk-"));
  site = await SimulatedSite.create({
    siteId: "kiosk-site",
    dataDir: dir,
    stalls: 6,
    vehicles: 60,
    seed: 7,
    offline: true,
    startMs: Date.UTC(2026, 5, 1, 8),
    windowMs: 2 * 3_600_000,
    log: pino({ level: "silent" }),
    // Paced: a few simulated seconds per event-loop turn, so the browser and the API get their turns.
    onStep: async () => {
      if (stop) throw new StopRun();
      if (++steps % 5 === 0) await new Promise((r) => setTimeout(r, 1));
    },
  });
  const deps = siteLocalApiDeps(site.controller, {
    clock: site.clock,
    power: site.power,
    hardware: site.config.stalls.map((c, i) => ({
      config: c,
      meter: site.stalls[i]!.meter,
      stage: site.stalls[i]!.stage,
      link: site.stalls[i]!.link,
    })),
    technicians: [{ id: technicianId("tess"), tokenSha256: technicianTokenDigest(TOKEN) }],
    simulated: ["power stages", "vehicle links"],
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

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe("kiosk in Chromium against a simulated site", () => {
  test("the stall grid shows every stall, and cars charging", async () => {
    await page.getByRole("heading", { name: "kiosk-site" }).waitFor();
    await expect.poll(() => page.locator(".stall").count(), { timeout: 30_000 }).toBe(6);
    await page.locator(".stall.phase-charging").first().waitFor({ timeout: 60_000 });
    await shot("stall-grid");
    // every touch target is at least 48 px high
    const heights = await page
      .locator("button")
      .evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().height));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(48);
  });

  test("an alarm stands out with what to do (stale revocation list or meter fault)", async () => {
    site.stalls[0]!.meter.injectFault("meter_timeout");
    await page.getByRole("tab", { name: /Alarms/ }).click();
    await page.locator(".alarm").first().waitFor({ timeout: 30_000 });
    const text = await page.locator(".alarm").first().innerText();
    expect(text).toMatch(/What to do:/);
    await shot("alarms");
  });

  test("the power chart shows the site total against the site limit, with the plan's reasons", async () => {
    await page.getByRole("tab", { name: "Power" }).click();
    await page.locator(".chart path.limit-line").waitFor({ state: "attached", timeout: 30_000 });
    await page.locator(".plan-reasons table").waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator(".chart path.stall-line").count(), { timeout: 30_000 }).toBe(6);
    await shot("power-chart");
  });

  test("a technician signs in, takes a charging stall out of service (with confirmation), and the plan gives it nothing", async () => {
    await page.getByRole("tab", { name: "Stalls" }).click();
    await page.getByRole("button", { name: "Technician sign-in" }).click();
    await page.getByLabel("Technician credential").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: /Sign out tess/ }).waitFor();
    const charging = page.locator(".stall.phase-charging").first();
    await charging.waitFor({ timeout: 60_000 });
    const stallId = (await charging.locator("h3").innerText()).trim();
    await charging.getByRole("button", { name: "Out of service" }).click();
    await page.getByRole("dialog").waitFor();
    await shot("confirm-out-of-service");
    await page.getByRole("dialog").getByRole("button", { name: "Take out of service" }).click();
    const card = page.locator(".stall", { has: page.locator("h3", { hasText: new RegExp(`^${stallId}$`) }) });
    await card.locator(".phase", { hasText: "Out of service" }).waitFor({ timeout: 60_000 });
    await expect
      .poll(() => site.power.currentPlan()?.plan.setpoints.find((s) => s.stallId === stallId)?.setpointW, {
        timeout: 60_000,
      })
      .toBe(0);
    const actions = site.controller.journal.outOfService();
    expect(actions.get(stallId as never)?.technicianId).toBe("tess");
    await shot("stall-out-of-service");
    await page.getByRole("tab", { name: "Power" }).click();
    await page.locator(".limit-control").waitFor();
    await shot("power-signed-in");
  });
});
