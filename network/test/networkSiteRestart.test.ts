import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SessionsResponse } from "@chargemesh/shared-model/contracts";
import { NetworkProcess } from "../src/networkProcess.js";
import type { NetworkEvent } from "../src/networkProcess.js";
import type { NetworkSnapshot } from "../src/networkSupervisor.js";

const summary = (e: NetworkEvent): NetworkSnapshot | null => (e.event === "summary" ? e : null);

describe("a restarted simulated site and the cloud's config document (real processes)", () => {
  it("a SIGKILLed site comes back with a new PKI, the cloud publishes its new trust anchors, and its cars keep charging and being billed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-network-restart-"));
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
      "40",
      "--speed",
      "600",
      "--summary-every",
      "1",
    ]);
    try {
      const urls = await net.waitFor((e) => e.event === "urls" && e.urls, "the URLs", 300_000);
      const before = await net.waitFor(
        (e) => {
          const s = summary(e);
          const f = s?.sites[0]?.figures;
          return f && f.sessionsCompleted >= 2 && f.config?.source === "cloud" && s;
        },
        "two sessions completed on the cloud's config document",
        300_000,
      );
      const site = before.sites[0]!;
      process.kill(site.pid!, "SIGKILL");
      await net.waitFor(
        (e) => e.event === "child" && e.kind === "ready" && e.name === "site-1" && e.start === 2,
        "site-1 back",
        300_000,
      );
      const seen = net.events.length;
      const after = await net.waitFor(
        (e) => {
          const s = summary(e);
          const f = s?.sites[0]?.figures;
          return (
            net.events.indexOf(e) >= seen &&
            s!.sites[0]!.restarts === 1 &&
            f &&
            f.sessionsCompleted >= site.figures!.sessionsCompleted + 3 &&
            f.config?.source === "cloud" &&
            f.config.version > site.figures!.config!.version &&
            s
          );
        },
        "three more sessions completed after the restart, on a newer cloud config document",
        300_000,
      );
      const completed = after.sites[0]!.figures!.sessionsCompleted;
      await net.waitFor(
        (e) => (summary(e)?.cloud.billing?.invoices ?? 0) >= completed,
        "the sessions of both runs billed",
        120_000,
      );
      // Cars were refused only for their account's standing, never for their certificates.
      const sessions = urls.find((u) => u.owner === "site-1" && u.what === "sessions")!;
      const listed = (await (
        await fetch(`${sessions.url}?limit=500`, {
          headers: { authorization: sessions.credential!.header.replace(/^Authorization: /, "") },
        })
      ).json()) as SessionsResponse;
      const refused = listed.sessions.filter((x) => x.state === "rejected");
      expect(
        refused.filter((x) => x.authorization?.reason !== "AccountBlocked").map((x) => x.authorization),
      ).toEqual([]);
      expect((await net.stop()).code).toBe(0);
    } finally {
      net.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
