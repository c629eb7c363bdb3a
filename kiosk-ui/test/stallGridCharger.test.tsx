import { renderToStaticMarkup } from "react-dom/server";
import { expect, test } from "vitest";
import type { SiteOverview } from "@chargemesh/shared-model/contracts";
import { StallGrid, chargerOutcome } from "../src/views/StallGrid.js";
import type { StallChargers } from "../src/views/StallGrid.js";
import type { PendingAction } from "../src/views/ConfirmDialog.js";

const site: SiteOverview = {
  siteId: "s",
  gridLimitW: 50_000,
  stalls: [
    { stallId: "ocpp-1", phase: "available", powerW: 0, meterFault: null },
    { stallId: "sim-1", phase: "available", powerW: 0, meterFault: null },
  ],
};
const chargers: StallChargers = new Map([
  [
    "ocpp-1",
    {
      stallId: "ocpp-1",
      chargerId: "CP-7",
      evseId: 1,
      connected: false,
      operative: false,
      availabilityPending: true,
    },
  ],
]);
const act = {
  stop: async () => undefined,
  outOfService: async () => ({ charger: null }),
  restartCharger: async () => ({ charger: { chargerId: "CP-7", evseId: null, status: "Accepted" as const } }),
};
const render = (signedIn: boolean) =>
  renderToStaticMarkup(
    <StallGrid
      site={site}
      plan={null}
      signedIn={signedIn}
      ask={(_a: PendingAction) => {}}
      chargers={chargers}
      act={act}
    />,
  );

test("a signed-in technician sees Restart charger only on a stall driven by an OCPP charger, with its state", () => {
  const html = render(true);
  expect(html.match(/Restart charger/g)?.length).toBe(1);
  const ocppCard = html.slice(
    html.indexOf('aria-label="stall ocpp-1"'),
    html.indexOf('aria-label="stall sim-1"'),
  );
  expect(ocppCard).toContain("Restart charger");
  expect(ocppCard).toContain("Charger CP-7 · offline · availability not yet confirmed");
  expect(render(false)).not.toContain("Restart charger");
});

test("the charger's answer reads as a sentence; a simulated stall has none", () => {
  expect(chargerOutcome({ chargerId: "CP-7", evseId: 1, status: "not_connected" })).toBe(
    "charger CP-7: charger offline: sent when it reconnects",
  );
  expect(chargerOutcome({ chargerId: "CP-7", evseId: 1, status: "Scheduled" })).toBe(
    "charger CP-7: scheduled: done when its charge ends",
  );
  expect(chargerOutcome(null)).toBeUndefined();
});
