import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MAX_REATTEMPTS_PER_CARD,
  VISA_DO_NOT_RETRY,
  checkRevenue,
  openSqliteFinancialLedger,
} from "@chargemesh/cloud-peer";
import { cryptoRandom } from "@chargemesh/shared-model";
import {
  accountResponseSchema,
  cloudApiPaths,
  paymentStandingSchema,
  replaceCardResponseSchema,
  signInResponseSchema,
} from "@chargemesh/shared-model/contracts";
import type { SessionsResponse } from "@chargemesh/shared-model/contracts";
import { until } from "../../testing/until.js";
import { NetworkProcess } from "../src/networkProcess.js";
import type { NetworkEvent } from "../src/networkProcess.js";
import type { NetworkSnapshot } from "../src/networkSupervisor.js";

const summary = (e: NetworkEvent): NetworkSnapshot | null => (e.event === "summary" ? e : null);

/** The sum of a counter's samples whose labels include `labels` in a Prometheus exposition (0 when absent). */
function counter(text: string, name: string, labels: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)$`, "gm")))
    if (m[1]!.includes(labels)) sum += Number(m[2]);
  return sum;
}

describe("a declined account settles its debt (real processes)", () => {
  it("declines within the card-network limits, blocks the contract at the site; the driver replaces the card, settles, and the site takes the good standing after a sync", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-network-debt-"));
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
      "--declining-drivers",
      "1",
      "--summary-every",
      "1",
    ]);
    try {
      const urls = await net.waitFor((e) => e.event === "urls" && e.urls, "the URLs", 300_000);
      const app = urls.find((u) => u.decliningSignIn)!;
      expect(app).toBeDefined();
      const declining = app.decliningSignIn!;
      expect(declining.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(declining.password).not.toBe(app.signIn!.password);
      expect(statSync(join(dir, "cloud", "declining-driver-password")).mode & 0o777).toBe(0o600);
      const cloud = new URL(app.url.replace(/^POST /, "")).origin;
      const operator = urls
        .find((u) => u.owner === "cloud" && u.what === "metrics")!
        .credential!.header.replace(/^Authorization: /, "");
      const site = urls.find((u) => u.owner === "site-1" && u.what === "sessions")!;
      const technician = site.credential!.header.replace(/^Authorization: /, "");

      // The declining driver's card is declined and the site works from the config document blocking its contract.
      const blocked = await net.waitFor(
        (e) => {
          const s = summary(e);
          const config = s?.sites[0]?.figures?.config;
          return (
            s?.cloud.billing &&
            s.cloud.billing.paymentsDeclined >= 1 &&
            config?.source === "cloud" &&
            config.blockedContracts >= 1 &&
            s
          );
        },
        "a declined payment and the blocked contract at the site",
        300_000,
      );
      expect(blocked.sites[0]!.figures!.config!.blockedContracts).toBe(1);
      const blockedVersion = blocked.sites[0]!.figures!.config!.version;
      const metrics = await (
        await fetch(`${cloud}/metrics`, { headers: { authorization: operator } })
      ).text();
      expect(counter(metrics, "billing_payment_attempts_total", 'outcome="declined"')).toBeGreaterThanOrEqual(
        1,
      );

      // The driver signs in with the printed credential and sees the debt.
      const signedIn = await fetch(cloud + cloudApiPaths.signIn, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: declining.email, password: declining.password }),
      });
      expect(signedIn.status).toBe(200);
      const { accountToken } = signInResponseSchema.parse(await signedIn.json());
      const auth = { authorization: `Bearer ${accountToken}` };
      const account = async () =>
        accountResponseSchema.parse(
          await (await fetch(cloud + cloudApiPaths.account, { headers: auth })).json(),
        );
      const before = await account();
      expect(before.standing.state).toBe("blocked");
      expect(before.standing.debtMinor).toBeGreaterThan(0);
      expect(before.payments).toEqual({
        through: "simulator",
        testPaymentMethods: ["pm_card_visa", "pm_card_mastercard"],
      });
      expect(before.contracts).toHaveLength(1);
      const contract = before.contracts[0]!.contractId;
      const accountId = before.account.accountId;

      // Settling on the declining card fails again: the debt stays.
      const again = paymentStandingSchema.parse(
        await (await fetch(cloud + cloudApiPaths.settle, { method: "POST", headers: auth })).json(),
      );
      expect(again.state).toBe("blocked");

      // A card the provider does not know is refused with its code; a test card goes on file.
      const unknown = await fetch(cloud + cloudApiPaths.card, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ paymentMethod: "pm_card_nosuchcard" }),
      });
      expect(unknown.status).toBe(422);
      const replaced = await fetch(cloud + cloudApiPaths.card, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ paymentMethod: "pm_card_visa" }),
      });
      expect(replaced.status).toBe(200);
      const card = replaceCardResponseSchema.parse(await replaced.json()).card;
      expect(card.network).toBe("visa");
      expect(card.paymentMethod).not.toBe(`pm_sim_visa_${accountId}`);

      const settled = await fetch(cloud + cloudApiPaths.settle, { method: "POST", headers: auth });
      expect(settled.status).toBe(200);
      await until(
        "the account in good standing with no debt",
        async () => {
          const s = (await account()).standing;
          return s.state === "good" && s.debtMinor === 0;
        },
        120_000,
        250,
      );
      expect((await account()).standing).toEqual({
        state: "good",
        debtMinor: 0,
        currency: "EUR",
        source: "billing",
      });

      // The good standing (a higher standing version) reaches the site with the next sync.
      const seen = net.events.length;
      const restored = await net.waitFor(
        (e) => {
          const s = summary(e);
          const config = s?.sites[0]?.figures?.config;
          return (
            net.events.indexOf(e) >= seen &&
            config?.source === "cloud" &&
            config.blockedContracts === 0 &&
            config.version > blockedVersion &&
            s
          );
        },
        "the site's config document without the blocked contract",
        120_000,
      );
      const figures = restored.sites[0]!.figures!;
      expect(figures.config!.version).toBeGreaterThan(blockedVersion);

      // A session of the contract that started after the site took the good standing is not refused for it
      // (only when the simulated day still had one for this car: the check holds for every such session).
      const sessions = (await (
        await fetch(`${site.url}?limit=500`, { headers: { authorization: technician } })
      ).json()) as SessionsResponse;
      const later = sessions.sessions.filter(
        (x) => x.contractId === contract && x.startedAtMs > figures.simulatedNowMs,
      );
      for (const x of later) expect(x.authorization?.reason).not.toBe("AccountBlocked");
      const refused = sessions.sessions.filter((x) => x.state === "rejected");
      expect(refused.every((x) => x.authorization?.reason === "AccountBlocked")).toBe(true);
      expect(refused.every((x) => x.contractId === contract)).toBe(true);

      expect((await net.stop()).code).toBe(0);

      const ledger = openSqliteFinancialLedger(join(dir, "cloud", "billing.sqlite"), cryptoRandom);
      try {
        // Attempts on the declined card stayed within the card-network limits.
        const oldCard = `pm_sim_visa_${accountId}`;
        const attempts = await ledger.sql.query(
          "SELECT idempotency_key AS k, outcome, code FROM payment_attempts WHERE payment_method = ? ORDER BY at_ms, try_no",
          [oldCard],
        );
        const declined = attempts.filter((a) => a.outcome === "declined");
        expect(declined.length).toBeGreaterThanOrEqual(1);
        expect(declined.every((a) => a.code === "insufficient_funds")).toBe(true);
        const reattempts = new Set(attempts.map((a) => String(a.k)).filter((k) => !k.endsWith("#0")));
        expect(reattempts.size).toBeLessThanOrEqual(MAX_REATTEMPTS_PER_CARD);
        // No payment was attempted again after a do-not-retry code.
        const payments = await ledger.sql.query(
          "SELECT payment_key AS k, status, in_debt AS debt, last_code AS code, payment_method AS pm FROM payments WHERE account_id = ?",
          [accountId],
        );
        for (const p of payments) {
          const network = String(p.code ?? "").split("/")[1];
          if (network && VISA_DO_NOT_RETRY.has(network)) expect(p.status).toBe("declined");
        }
        // No payment of the account is owed now; the debt was paid on the new card.
        const owed = payments.filter(
          (p) => p.status === "declined" || (p.status === "pending" && Number(p.debt) === 1),
        );
        expect(owed).toEqual([]);
        const onNewCard = payments.filter((p) => p.pm === card.paymentMethod && p.status === "succeeded");
        expect(onNewCard.length).toBeGreaterThanOrEqual(1);
        const standing = await ledger.sql.query(
          "SELECT standing, version FROM account_standing WHERE account_id = ?",
          [accountId],
        );
        expect(standing[0]!.standing).toBe("good");
        expect(Number(standing[0]!.version)).toBeGreaterThanOrEqual(2);
        const undelivered = await ledger.sql.query(
          "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'standing' AND account_id = ? AND delivered_at_ms IS NULL",
          [accountId],
        );
        expect(Number(undelivered[0]!.n)).toBe(0);

        const revenue = await checkRevenue(ledger, Date.now());
        expect(revenue.checks.filter((c) => !c.ok)).toEqual([]);
      } finally {
        await ledger.close();
      }
    } finally {
      net.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
