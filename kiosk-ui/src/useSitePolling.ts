import { useEffect, useRef, useState } from "react";
import { liveFeedProtocols, localApiPaths, parseLiveFeedMessage } from "@chargemesh/shared-model/contracts";
import type {
  AlarmsResponse,
  PlanRecordContract,
  SiteOverview,
  SyncState,
} from "@chargemesh/shared-model/contracts";
import type { KioskClient } from "./api/kioskClient.js";

/** One sample of the power chart: site time, each stall's draw, the site limit and the plan's total. */
export interface PowerSample {
  readonly atMs: number;
  readonly stalls: Readonly<Record<string, number>>;
  readonly limitW: number;
}

export interface SiteState {
  readonly site: SiteOverview | null;
  readonly plan: PlanRecordContract | null;
  readonly alarms: AlarmsResponse["alarms"];
  readonly sync: SyncState | null;
  readonly history: readonly PowerSample[];
  /** Since when the site controller has not answered (wall clock), null while it answers. */
  readonly unreachableSince: number | null;
  readonly liveConnected: boolean;
}

const HISTORY = 240;

/**
 * Polls the site every second (site, plan, alarms, sync) and listens to the live feed for plans, so
 * the kiosk shows the present even when one of the two is down. Keeps the last HISTORY samples.
 */
export function useSitePolling(
  client: KioskClient,
  credential: string | null,
): SiteState & { refresh(): void } {
  const [state, setState] = useState<SiteState>({
    site: null,
    plan: null,
    alarms: [],
    sync: null,
    history: [],
    unreachableSince: null,
    liveConnected: false,
  });
  const tick = useRef(0);
  const refresh = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const [site, plan, alarms, sync] = await Promise.all([
          client.site(),
          client.plan(),
          client.alarms(),
          client.sync(),
        ]);
        if (stopped) return;
        setState((s) => {
          const sample: PowerSample = {
            atMs: site.siteTimeMs ?? Date.now(),
            stalls: Object.fromEntries(site.stalls.map((st) => [st.stallId, st.powerW])),
            limitW: site.gridLimitW,
          };
          const last = s.history.at(-1);
          const history =
            last && last.atMs === sample.atMs ? s.history : [...s.history.slice(-(HISTORY - 1)), sample];
          return {
            ...s,
            site,
            plan: plan.plan ?? s.plan,
            alarms: alarms.alarms,
            sync,
            history,
            unreachableSince: null,
          };
        });
      } catch {
        if (!stopped) setState((s) => ({ ...s, unreachableSince: s.unreachableSince ?? Date.now() }));
      }
    };
    refresh.current = () => void poll();
    void poll();
    const timer = setInterval(() => void poll(), 1_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [client]);

  useEffect(() => {
    let ws: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const open = () => {
      const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${localApiPaths.live}`;
      ws = new WebSocket(url, liveFeedProtocols(credential));
      ws.onopen = () => setState((s) => ({ ...s, liveConnected: true }));
      ws.onmessage = (e) => {
        const m = typeof e.data === "string" ? parseLiveFeedMessage(e.data) : null;
        if (m?.type === "plan") setState((s) => ({ ...s, plan: m.plan }));
      };
      ws.onclose = () => {
        setState((s) => ({ ...s, liveConnected: false }));
        if (!stopped) retry = setTimeout(open, 3_000 + 1_000 * (tick.current++ % 5));
      };
    };
    open();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      ws?.close();
    };
  }, [credential]);

  return { ...state, refresh: () => refresh.current() };
}
