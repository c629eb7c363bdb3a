import { expect, test } from "vitest";
import pino from "pino";
import { Registry } from "prom-client";
import { VirtualClock } from "@chargemesh/shared-model";
import { CloudLinkLog } from "../../src/sync/cloudLinkLog.js";

test("a lost link is logged once with its reason, the first failed redial with its error, the rest counted, and the return with the downtime", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const clock = new VirtualClock(1_000_000);
  const links = new CloudLinkLog(log, clock);
  const registry = new Registry();
  links.observe(registry);

  links.onLink({ type: "up", remote: "cloud-a" });
  links.onLink({ type: "lost", remote: "cloud-a", reason: "stream reset" });
  for (let i = 0; i < 4; i++) {
    clock.advance(5_000);
    links.onLink({ type: "dial_failed", remote: "cloud-a", reason: `ECONNREFUSED ${i}` });
  }
  clock.advance(2_000);
  links.onLink({ type: "up", remote: "cloud-a" });

  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    [30, "cloud link up"],
    [40, "cloud link lost; redialing"],
    [40, "cloud peer unreachable; redialing (further failures counted)"],
    [30, "cloud link up"],
  ]);
  expect(lines[1]).toMatchObject({ peer: "cloud-a", why: "stream reset" });
  expect(lines[2]).toMatchObject({ why: "ECONNREFUSED 0" });
  expect(lines[3]).toMatchObject({ downMs: 22_000, failedDials: 4, lastError: "ECONNREFUSED 3" });
  const metric = (await registry.getSingleMetric("chargemesh_site_cloud_link_events_total")!.get()).values;
  const count = (event: string) => metric.find((v) => v.labels.event === event)?.value;
  expect([count("up"), count("lost"), count("dial_failed")]).toEqual([2, 1, 4]);
});
