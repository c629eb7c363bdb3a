import { mkdtempSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRevenue, openSqliteFinancialLedger } from "@chargemesh/cloud-peer";
import { cryptoRandom } from "@chargemesh/shared-model";
import { cloudApiPaths } from "@chargemesh/shared-model/contracts";
import type {
  AccountResponse,
  HistoryResponse,
  ReceiptResponse,
  SessionsResponse,
  SignInResponse,
} from "@chargemesh/shared-model/contracts";
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

/** The status a WebSocket handshake to `url` from a browser at `origin` gets (101: opened). */
function handshake(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws/, "http"), {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from("0123456789abcdef").toString("base64"),
        origin,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("npm start bills (real processes)", () => {
  it("invoices every completed, synced session exactly once (further passes write none) and the demo driver signs in and reads a receipt whose energy is the session's signed energy; a declined card's standing reaches the site", async () => {
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
      const account = (await (
        await fetch(cloud + cloudApiPaths.account, { headers: auth })
      ).json()) as AccountResponse;
      expect(account.standing).toEqual({ state: "good", debtMinor: 0, currency: "EUR", source: "billing" });

      // The declining driver's card is declined: its debt blocks its contract in the cloud's config
      // document, which the site works from (it carries the site's trust anchors).
      const declined = await net.waitFor(
        (e) => {
          const s = summary(e);
          const config = s?.sites[0]?.figures?.config;
          return (
            s?.cloud.billing &&
            s.cloud.billing.paymentsDeclined >= 1 &&
            config?.source === "cloud" &&
            config.trustAnchors > 0 &&
            config.blockedContracts >= 1 &&
            s
          );
        },
        "a declined payment and the blocked contract at the site",
        120_000,
      );
      expect(declined.sites[0]!.figures!.config!.blockedContracts).toBe(1);
      const site = urls.find((u) => u.owner === "site-1" && u.what === "sessions")!;
      const sessions = (await (
        await fetch(`${site.url}?limit=500`, {
          headers: { authorization: site.credential!.header.replace(/^Authorization: /, "") },
        })
      ).json()) as SessionsResponse;
      // Any car refused at the site was refused for its account's standing (the blocked contract).
      const refused = sessions.sessions.filter((x) => x.state === "rejected");
      expect(refused.every((x) => x.authorization?.reason === "AccountBlocked")).toBe(true);
      expect(new Set(refused.map((x) => x.contractId)).size).toBeLessThanOrEqual(1);

      // The driver app's origin may open the site's live feed (the dashboard's local fallback); another may not.
      const live = urls.find((u) => u.owner === "site-1" && u.what === "live feed")!.url;
      expect(await handshake(live, cloud)).toBe(101);
      expect(await handshake(live, "http://elsewhere.example")).toBe(403);
      expect((await net.stop()).code).toBe(0);

      // The revenue invariants hold on the ledger npm start wrote.
      const ledger = openSqliteFinancialLedger(join(dir, "cloud", "billing.sqlite"), cryptoRandom);
      try {
        const revenue = await checkRevenue(ledger, Date.now());
        expect(revenue.checks.filter((c) => !c.ok)).toEqual([]);
      } finally {
        await ledger.close();
      }
    } finally {
      net.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
