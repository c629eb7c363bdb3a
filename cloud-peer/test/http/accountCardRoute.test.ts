import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { pino } from "pino";
import { SeededRandom, contractId, systemClock } from "@chargemesh/shared-model";
import {
  accountResponseSchema,
  cloudApiErrorBodySchema,
  cloudApiPaths,
  paymentStandingSchema,
  replaceCardResponseSchema,
  signInResponseSchema,
} from "@chargemesh/shared-model/contracts";
import { CloudPeer } from "../../src/sync/cloudPeer.js";
import { startCloudApi } from "../../src/http/cloudApi.js";
import type { CloudApi } from "../../src/http/cloudApi.js";
import { DriverAccounts } from "../../src/accounts/driverAccounts.js";
import { addDemoAccounts } from "../../src/accounts/demoAccounts.js";
import { startEmbeddedBilling } from "../../src/billing/embeddedBilling.js";
import type { EmbeddedBilling } from "../../src/billing/embeddedBilling.js";
import { accountId, currencyCode } from "../../src/billing/billingTypes.js";

const dir = mkdtempSync(join(tmpdir(), "cm-cardroute-"));
const CONTRACT = contractId("DE-CMX-C00000009-1");
let peer: CloudPeer;
let api: CloudApi;
let billing: EmbeddedBilling;
let token: string;
let strangerToken: string;
let counter = 7;
const random = (n: number) =>
  Uint8Array.from({ length: n }, () => (counter = (counter * 1103515245 + 12345) % 2 ** 31) % 256);

beforeAll(async () => {
  peer = await CloudPeer.start({
    dataDir: dir,
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  const accounts = new DriverAccounts();
  const [driver, stranger] = addDemoAccounts(
    accounts,
    [
      {
        accountId: "acct-declines",
        email: "declines@chargemesh.test",
        name: "Declining Driver",
        contracts: [{ contractId: CONTRACT, vehicleName: "Car", batteryWh: 60_000, connector: "ccs2" }],
      },
      { accountId: "acct-nobilling", email: "stranger@chargemesh.test", name: "No Billing", contracts: [] },
    ],
    random,
  );
  billing = startEmbeddedBilling({
    peer,
    dataDir: dir,
    clock: systemClock,
    random: new SeededRandom(42),
    tariffs: [],
    timeZone: "Europe/Berlin",
    accounts: [
      {
        account: {
          accountId: accountId("acct-declines"),
          tier: "standard",
          currency: currencyCode("EUR"),
          paymentMethod: "pm_sim_visa_acct-declines",
          customer: null,
          network: "visa",
        },
        contracts: [CONTRACT],
        declines: [{ declineCode: "insufficient_funds", networkDeclineCode: "51" }],
      },
    ],
    log: pino({ level: "silent" }),
    everyMs: 3_600_000,
  });
  api = await startCloudApi(peer, "127.0.0.1", 0, { accounts, billing: billing.view });
  const signIn = async (who: { email: string; password: string }) =>
    signInResponseSchema.parse(
      await (
        await fetch(api.url + cloudApiPaths.signIn, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: who.email, password: who.password }),
        })
      ).json(),
    ).accountToken;
  token = await signIn(driver!);
  strangerToken = await signIn(stranger!);
});
afterAll(async () => {
  await api.close();
  await billing.stop();
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const putCard = (body: unknown, bearer: string | null = token) =>
  fetch(api.url + cloudApiPaths.card, {
    method: "PUT",
    headers: {
      "content-type": "application/json",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify(body),
  });
const errorCode = async (r: Response) => cloudApiErrorBodySchema.parse(await r.json()).error.code;

test("the account says it pays through the simulator and which test cards it accepts", async () => {
  const account = accountResponseSchema.parse(
    await (
      await fetch(api.url + cloudApiPaths.account, { headers: { authorization: `Bearer ${token}` } })
    ).json(),
  );
  expect(account.payments).toEqual({
    through: "simulator",
    testPaymentMethods: ["pm_card_visa", "pm_card_mastercard"],
  });
  expect(account.standing).toMatchObject({ state: "good", debtMinor: 0, source: "billing" });
});

test("replacing the card needs the account token and a well-formed payment method ID", async () => {
  const anonymous = await putCard({ paymentMethod: "pm_card_visa" }, null);
  expect(anonymous.status).toBe(401);
  expect(await errorCode(anonymous)).toBe("unauthorized");
  for (const body of [
    {},
    { paymentMethod: "x" },
    { paymentMethod: "pm card" },
    { paymentMethod: "pm_card_visa", extra: 1 },
  ]) {
    const r = await putCard(body);
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(await errorCode(r)).toBe("invalid_input");
  }
});

test("a payment method the provider does not know is payment_method_unknown (422); the card on file stays", async () => {
  for (const pm of ["pm_card_amex_unknown", "constructor", "pm_sim_visa_acct_declines"]) {
    const r = await putCard({ paymentMethod: pm });
    expect(r.status, pm).toBe(422);
    expect(await errorCode(r)).toBe("payment_method_unknown");
  }
  expect(billing.view.payments().through).toBe("simulator");
});

test("an account billing holds no record of gets not_found", async () => {
  const r = await putCard({ paymentMethod: "pm_card_visa" }, strangerToken);
  expect(r.status).toBe(404);
  expect(await errorCode(r)).toBe("not_found");
});

test("a test token puts a fresh card of the account on file, on its network, each time anew; settling still answers the standing", async () => {
  const visa = await putCard({ paymentMethod: "pm_card_visa" });
  expect(visa.status).toBe(200);
  const first = replaceCardResponseSchema.parse(await visa.json());
  expect(first.card.network).toBe("visa");
  expect(first.card.paymentMethod).toMatch(/^pm_sim_visa_acct-declines_[0-9a-f]{16}$/);
  expect(first.standing).toMatchObject({ state: "good", debtMinor: 0 });
  const mc = replaceCardResponseSchema.parse(
    await (await putCard({ paymentMethod: "pm_card_mastercard" })).json(),
  );
  expect(mc.card.network).toBe("mastercard");
  expect(mc.card.paymentMethod).not.toBe(first.card.paymentMethod);
  const settled = await fetch(api.url + cloudApiPaths.settle, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  expect(settled.status).toBe(200);
  expect(paymentStandingSchema.parse(await settled.json())).toMatchObject({ state: "good", debtMinor: 0 });
});
