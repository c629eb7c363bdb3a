import { loadCarPairing } from "../credentials.js";
import { clockTime, energy, minutes, money, power, soc } from "../format.js";
import { liveSessions } from "../live/feedState.js";
import { chooseSource } from "../live/sourceChoice.js";
import { useCloudFeed, useNow, useSiteFeed } from "../live/useLiveFeeds.js";

/**
 * The in-vehicle dashboard: landscape, large figures readable at arm's length, nothing to tap. With
 * the car's pairing (session token + site feed URL) it reads the cloud and, when the cloud falls
 * silent, the site itself; signed in on a phone it reads the cloud only. It always says which.
 */
export function DashboardView({ accountToken }: { accountToken: string | null }) {
  const car = loadCarPairing();
  const cloud = useCloudFeed(car?.sessionToken ?? accountToken);
  const site = useSiteFeed(car?.siteLiveUrl ?? null, car?.sessionToken ?? null);
  const now = useNow();
  const choice = chooseSource(cloud.status, car ? site.status : null, now);
  const fromCloud = liveSessions(cloud.state)[0] ?? null;
  const fromSite = site.figures;
  const shown =
    choice.source === "site" && fromSite
      ? {
          powerW: fromSite.powerW,
          energyWh: fromSite.energyWh,
          socPermille: fromSite.socPermille,
          costMinor: null,
          currency: null,
          minutesToTarget: null,
          stallId: fromSite.stallId,
          siteId: fromCloud?.siteId ?? null,
        }
      : fromCloud
        ? // The cloud's figures; the battery level from the site's feed when the cloud has none.
          {
            ...fromCloud,
            socPermille:
              fromCloud.socPermille ??
              (site.status.connected && fromSite?.sessionId === fromCloud.sessionId
                ? fromSite.socPermille
                : null),
          }
        : null;
  return (
    <div className="dashboard" data-source={choice.source}>
      <div className="dash-top">
        <span className="dash-where">
          {shown ? `${shown.siteId ?? "site"} · ${shown.stallId}` : "Waiting for a session"}
        </span>
        <span className={`dash-source ${choice.source}`} data-figure="source">
          {choice.source === "cloud" && "Live from chargemesh cloud"}
          {choice.source === "site" &&
            `Live from the site · cloud silent since ${choice.cloudSilentSinceMs ? clockTime(choice.cloudSilentSinceMs) : "start"}`}
          {choice.source === "none" &&
            (choice.cloudSilentSinceMs
              ? `No live data · cloud silent since ${clockTime(choice.cloudSilentSinceMs)}`
              : "Connecting…")}
        </span>
      </div>
      {shown ? (
        <div className="dash-grid">
          <Big label="Power" value={power(shown.powerW)} test="power" primary />
          <Big label="Battery" value={soc(shown.socPermille)} test="soc" primary />
          <Big label="Energy" value={energy(shown.energyWh)} test="energy" />
          <Big
            label="Cost so far"
            value={shown.costMinor === null ? "—" : money(shown.costMinor, shown.currency)}
            test="cost"
          />
          <Big label="To target" value={minutes(shown.minutesToTarget)} test="eta" />
        </div>
      ) : (
        <div className="dash-empty">Plug in to start charging.</div>
      )}
    </div>
  );
}

function Big(props: { label: string; value: string; test: string; primary?: boolean }) {
  return (
    <div className={`big ${props.primary ? "primary" : ""}`}>
      <span className="big-value" data-figure={props.test}>
        {props.value}
      </span>
      <span className="big-label">{props.label}</span>
    </div>
  );
}
