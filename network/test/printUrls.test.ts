import { describe, expect, it } from "vitest";
import { printUrls, urlText } from "../src/printUrls.js";
import { decimal, runningSummary } from "../src/runningSummary.js";

const network = (built: boolean, operatorToken: string | null) => ({
  cloud: {
    apiUrl: "http://127.0.0.1:8810",
    multiaddr: "/ip4/127.0.0.1/tcp/8811/p2p/12D3KooW",
    operatorToken,
    driverApp: built,
  },
  sites: [
    {
      siteId: "site-1",
      apiUrl: "http://127.0.0.1:8710",
      kiosk: built,
      technicianToken: "tech-token-0123456789",
    },
  ],
});

describe("printUrls", () => {
  it("lists every URL the README promises, each with the credential it needs", () => {
    const urls = printUrls(network(false, "op-token-0123456789"));
    const byWhat = Object.fromEntries(urls.map((u) => [`${u.owner} ${u.what}`, u]));
    expect(byWhat["site-1 site"]!.url).toBe("http://127.0.0.1:8710/api/site");
    expect(byWhat["site-1 power plan"]!.url).toBe("http://127.0.0.1:8710/api/power/plan");
    expect(byWhat["site-1 sessions"]!.credential?.header).toBe("Authorization: Bearer tech-token-0123456789");
    expect(byWhat["site-1 live feed"]!.url).toBe("ws://127.0.0.1:8710/live");
    expect(byWhat["site-1 metrics"]!.url).toBe("http://127.0.0.1:8710/metrics");
    expect(byWhat["cloud sites"]!.credential?.header).toBe("Authorization: Bearer op-token-0123456789");
    expect(byWhat["cloud site-1 live"]!.url).toBe("http://127.0.0.1:8810/api/sites/site-1/live");
    expect(byWhat["cloud metrics"]!.credential?.name).toBe("operator");
    const text = urlText(urls).join("\n");
    expect(text).toMatch(/\[operator\] +Authorization: Bearer op-token-0123456789/);
    expect(text.match(/Bearer tech-token/g)).toHaveLength(1);
  });

  it("prints no kiosk or driver app that is not built, and the apps when they are", () => {
    const absent = printUrls(network(false, null)).map((u) => u.what);
    expect(absent).not.toContain("kiosk");
    expect(absent).not.toContain("driver app");
    const built = printUrls(network(true, null)).map((u) => `${u.what} ${u.url}`);
    expect(built).toContain("kiosk http://127.0.0.1:8710/");
    expect(built).toContain("driver app http://127.0.0.1:8810/");
  });

  it("prints the demo driver's sign-in beside the driver app, or beside the sign-in route when the app is not built", () => {
    const demoDriver = { email: "demo@chargemesh.example", password: "pw-0123456789abcdef" };
    for (const built of [true, false]) {
      const n = network(built, "op-token-0123456789");
      const urls = printUrls({ ...n, cloud: { ...n.cloud, demoDriver } });
      const app = urls.find((u) => u.signIn)!;
      expect(app.what).toBe(built ? "driver app" : "driver sign-in");
      expect(app.signIn).toEqual(demoDriver);
      expect(urlText(urls).join("\n")).toMatch(
        /^ {4}\[sign in\] +demo driver: email demo@chargemesh\.example {2}password pw-0123456789abcdef$/m,
      );
    }
  });
});

describe("runningSummary", () => {
  it("shows per site sessions, energy, power against the limit and the cloud's sync view", () => {
    const lines = runningSummary({
      atMs: Date.UTC(2026, 5, 1, 12, 0, 10),
      speed: 60,
      cloud: {
        up: true,
        pid: 3,
        restarts: 0,
        billing: {
          invoices: 12,
          sessionsPaid: 11,
          capturedMinor: "4831",
          currency: "EUR",
          paymentsDeclined: 0,
          paymentSimulator: true,
        },
      },
      sites: [
        {
          siteId: "site-1",
          up: true,
          pid: 4,
          restarts: 1,
          figures: {
            simulatedNowMs: Date.UTC(2026, 5, 1, 7, 5),
            sessionsOpen: 3,
            sessionsCompleted: 17,
            sessionsRejected: 1,
            sessionsFailed: 0,
            energyWh: 312_456,
            powerW: 612_000,
            gridLimitW: 1_200_000,
            dayComplete: false,
            config: null,
          },
          sync: {
            siteId: "site-1",
            connected: true,
            documentsBehind: 1,
            lastContactMs: Date.UTC(2026, 5, 1, 12, 0, 8),
          },
        },
        { siteId: "site-2", up: false, pid: null, restarts: 2, figures: null, sync: null },
      ],
    });
    expect(lines[0]).toBe("chargemesh 12:00:10 UTC, 60x real time");
    expect(lines[1]).toMatch(
      /site-1 +up \(1x\) +sim 07:05 +sessions +3 open +17 completed +energy +312\.4 kWh +power +612\.0 of 1200\.0 kW \(51%\) +cloud: connected, 1 document behind, last contact 2 s ago/,
    );
    expect(lines[2]).toMatch(/site-2 +restarting \(2x\) +no figures yet +cloud: not reported yet/);
    expect(lines[3]).toMatch(/cloud +up +1 of 2 sites connected/);
    expect(lines[4]).toMatch(
      /billing +12 invoices written, 11 paid, 48\.31 EUR captured, 0 declined \(payment SIMULATOR: no real card is charged\)$/,
    );
  });

  it("formats milli-units exactly", () => {
    expect(decimal(0)).toBe("0.0");
    expect(decimal(1_999)).toBe("1.9");
    expect(decimal(240_000)).toBe("240.0");
  });
});
