import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { runRateCli } from "../../src/rating/chargemeshRate.js";

const dir = mkdtempSync(join(tmpdir(), "chargemesh-rate-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
// OCPI 2.2.1 mod_tariffs "Tariff example 0.25 euro per kWh + parking fee + start fee"
// (examples/tariff_10_025kwh_parking_start.json): 20 kWh and 40 min parked cost 7.00 / 7.90.
const tariff = file(
  "tariff.json",
  `{"country_code":"DE","party_id":"ALL","id":"18","currency":"EUR","elements":[{"price_components":[
    {"type":"FLAT","price":0.50,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1},
    {"type":"PARKING_TIME","price":2.00,"vat":20.0,"step_size":900}]}],"last_updated":"2018-12-17T11:44:10Z"}`,
);
const session = file(
  "session.json",
  `{"start_date_time":"2018-12-18T10:00:00Z","end_date_time":"2018-12-18T12:40:00Z","time_zone":"Europe/Berlin",
    "charging_periods":[{"start_date_time":"2018-12-18T10:00:00Z","dimensions":[{"type":"ENERGY","volume":20.000},{"type":"TIME","volume":2}]},
    {"start_date_time":"2018-12-18T12:00:00Z","dimensions":[{"type":"PARKING_TIME","volume":0.6666666666666666}]}]}`,
);

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await runRateCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe("chargemesh-rate", () => {
  it("prints the CDR cost fields and the rounded invoice", async () => {
    const r = await run(["--tariff", tariff, "--cdr", session]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/total_parking_cost\s+1\.5 excl\. VAT, 1\.8 incl\. VAT/);
    expect(r.out).toMatch(/total incl\. VAT\s+7\.90 EUR/);
  });

  it("--json gives exact decimal text and integer minor units", async () => {
    const r = await run(["--tariff", tariff, "--cdr", session, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.total_cost).toEqual({ excl_vat: "7", incl_vat: "7.9" });
    expect(j.total_energy).toBe("20");
    expect(j.invoice.total_incl_vat_minor).toBe("790");
    expect(j.lines.map((l: { dimension: string }) => l.dimension)).toEqual([
      "FLAT",
      "ENERGY",
      "PARKING_TIME",
    ]);
  });

  it("--help exits 0; a bad flag or a missing one prints usage and exits 2", async () => {
    expect((await run(["--help"])).code).toBe(0);
    const bad = await run(["--tarif", tariff]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown option '--tarif'[\s\S]*chargemesh-rate --tariff/);
    expect((await run(["--tariff", tariff])).code).toBe(2);
  });

  it("invalid files exit 3 naming the zod issues; unreadable ones exit 4; no valid version exits 5", async () => {
    const notJson = await run(["--tariff", file("bad.json", "{ nope"), "--cdr", session]);
    expect(notJson.code).toBe(3);
    expect(notJson.err).toMatch(/not JSON/);
    const badTariff = await run([
      "--tariff",
      file(
        "bad-tariff.json",
        '{"country_code":"DE","party_id":"ALL","id":"1","currency":"EUR","elements":[{"price_components":[{"type":"ENERGY","price":"x","step_size":1}]}]}',
      ),
      "--cdr",
      session,
    ]);
    expect(badTariff.code).toBe(3);
    expect(badTariff.err).toMatch(/elements\.0\.price_components\.0\.price: expected a decimal number/);
    const badSession = await run([
      "--tariff",
      tariff,
      "--cdr",
      file(
        "bad-session.json",
        '{"start_date_time":"2018-12-18T10:00:00Z","end_date_time":"2018-12-18T12:00:00Z","time_zone":"Nowhere/City","charging_periods":[]}',
      ),
    ]);
    expect(badSession.code).toBe(3);
    expect(badSession.err).toMatch(/time_zone: not an IANA time zone/);
    expect((await run(["--tariff", join(dir, "missing.json"), "--cdr", session])).code).toBe(4);
    const expired = file(
      "old.json",
      '{"country_code":"DE","party_id":"ALL","id":"9","currency":"EUR","end_date_time":"2017-01-01T00:00:00Z","elements":[{"price_components":[{"type":"FLAT","price":1,"step_size":1}]}]}',
    );
    const none = await run(["--tariff", expired, "--cdr", session]);
    expect(none.code).toBe(5);
    expect(none.err).toMatch(/no version of tariff 9/);
  });

  it("runs as npm run chargemesh-rate (a real process)", async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        "npm",
        ["run", "--silent", "chargemesh-rate", "--", "--tariff", tariff, "--cdr", session, "--json"],
        { cwd: join(import.meta.dirname, "../../.."), timeout: 60_000 },
        (e, stdout) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).invoice.total_incl_vat_minor).toBe("790");
  });
});
