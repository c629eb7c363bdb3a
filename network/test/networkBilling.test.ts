import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cloudApiPaths } from "@chargemesh/shared-model/contracts";
import type { HistoryResponse, ReceiptResponse, SignInResponse } from "@chargemesh/shared-model/contracts";
import { until } from "../../testing/until.js";
import { NetworkProcess } from "../src/networkProcess.js";
import type { NetworkEvent } from "../src/networkProcess.js";
import type { NetworkSnapshot } from "../src/networkSupervisor.js";
import type { PrintedUrl } from "../src/printUrls.js";

const summary = (e: NetworkEvent): NetworkSnapshot | null => (e.event === "summary" ? e : null);

/** A counter's value in a Prometheus exposition (0 when absent). */
function counter(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

describe("npm start bills (real processes)", () => {
  it("invoices every completed, synced session exactly once (further passes write none) and the demo driver signs in and reads a receipt whose energy is the session's signed energy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-network-billing-"));
    const net = new NetworkProcess([
      "--port",
      "0",
      "--data",
      dir,
      "--sites",
      "1",
      "--stalls",
      "2",
      "--vehicles",
      "20",
      "--speed",
      "2000",
      "--summary-every",
      "1",
    ]);
    try {
      const urls = await net.waitFor((e) => e.event === "urls" && e.urls, "the URLs", 300_000);
      const app = urls.find((u: PrintedUrl) => u.signIn)!;
      expect(app).toBeDefined();
      const cloud = new URL(app.url.replace(/^POST /, "")).origin;
      const operator = urls.find((u) => u.owner === "cloud" && u.what === "metrics")!.credential!.header;
      expect(statSync(join(dir, "cloud", "demo-driver-password")).mode & 0o777).toBe(0o600);
      expect(app.signIn!.password).toMatch(/^[A-Za-z0-9_-]{32}$/);

      // The simulated day runs out and the cloud holds every document of the site.
      const settled = await net.waitFor(
        (e) => {
          const s = summary(e);
          const site = s?.sites[0];
          return (
            site?.figures?.dayComplete &&
            site.figures.sessionsCompleted > 0 &&
            site.sync?.connected &&
            site.sync.documentsBehind === 0 &&
            s
          );
        },
        "the site's day complete and synced",
        300_000,
      );
      const completed = settled.sites[0]!.figures!.sessionsCompleted;
      const billed = await net.waitFor(
        (e) => {
          const s = summary(e);
          return s?.cloud.billing && s.cloud.billing.invoices >= completed && s.cloud.billing;
        },
        `invoices for the ${completed} completed sessions`,
        120_000,
      );
      expect(billed.invoices).toBe(completed);
      expect(billed.paymentSimulator).toBe(true);

      // Further reconciler passes write nothing more.
      const metrics = async () =>
        (
          await fetch(`${cloud}/metrics`, {
            headers: { authorization: operator.replace(/^Authorization: /, "") },
          })
        ).text();
      const passesBefore = counter(await metrics(), "billing_reconcile_passes_total");
      await until(
        "two more billing passes",
        async () => counter(await metrics(), "billing_reconcile_passes_total") >= passesBefore + 2,
        120_000,
        250,
      );
      const after = await metrics();
      expect(counter(after, "billing_invoices_written_total")).toBe(completed);
      const seen = net.events.length;
      const later = await net.waitFor(
        (e) => {
          const s = summary(e);
          return s && net.events.indexOf(e) >= seen && s.cloud.billing;
        },
        "a fresh summary",
        60_000,
      );
      expect(later.invoices).toBe(completed);
      expect(BigInt(later.capturedMinor)).toBeGreaterThan(0n);

      // The demo driver signs in with the printed credential; a wrong password is refused.
      const signIn = (password: string) =>
        fetch(cloud + cloudApiPaths.signIn, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: app.signIn!.email, password }),
        });
      expect((await signIn(`${app.signIn!.password}x`)).status).toBe(401);
      const signedIn = await signIn(app.signIn!.password);
      expect(signedIn.status).toBe(200);
      const { accountToken } = (await signedIn.json()) as SignInResponse;
      const auth = { authorization: `Bearer ${accountToken}` };
      const history = (await (
        await fetch(cloud + cloudApiPaths.history, { headers: auth })
      ).json()) as HistoryResponse;
      const mine = history.sessions.filter((s) => s.state === "completed");
      expect(mine.length).toBeGreaterThan(0);
      const invoiceRefs = new Set<string>();
      for (const s of mine) {
        expect(s.hasReceipt).toBe(true);
        const r = (await (
          await fetch(cloud + cloudApiPaths.receipt(s.sessionId), { headers: auth })
        ).json()) as ReceiptResponse;
        expect(r.receipt).not.toBeNull();
        expect(r.receipt!.energyWh).toBe(s.energyWh);
        expect(r.receipt!.lines.length).toBeGreaterThan(0);
        expect(r.receipt!.lines.reduce((a, l) => a + l.exclVatMinor + l.vatMinor, 0)).toBe(
          r.receipt!.totalMinor,
        );
        expect(r.receipt!.currency).toBe("EUR");
        invoiceRefs.add(r.receipt!.invoiceRef);
      }
      expect(invoiceRefs.size).toBe(mine.length);
      expect((await net.stop()).code).toBe(0);
    } finally {
      net.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
