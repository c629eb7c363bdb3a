import type { SessionFigures } from "@chargemesh/shared-model/contracts";
import { energy, minutes, money, power, soc } from "../format.js";

/** One live session's figures on the phone. */
export function SessionCard({ f }: { f: SessionFigures }) {
  return (
    <article className="card session" data-session={f.sessionId}>
      <div className="row">
        <span className="phase">
          {f.phase === "charging"
            ? "Charging"
            : f.phase === "ended"
              ? "Ended"
              : f.phase === "stopping"
                ? "Stopping"
                : "Starting"}
        </span>
        <span className="muted">
          {f.siteId} · {f.stallId}
        </span>
      </div>
      <div className="figures">
        <Figure label="Power" value={power(f.powerW)} test="power" />
        <Figure label="Energy" value={energy(f.energyWh)} test="energy" />
        <Figure label="Cost so far" value={money(f.costMinor, f.currency)} test="cost" />
        <Figure label="Battery" value={soc(f.socPermille)} test="soc" />
        <Figure label="To target" value={minutes(f.minutesToTarget)} test="eta" />
      </div>
      {f.socPermille === null && (
        <p className="muted small">This site does not report the battery level to the cloud.</p>
      )}
    </article>
  );
}

function Figure(props: { label: string; value: string; test: string }) {
  return (
    <div className="figure">
      <span className="label">{props.label}</span>
      <span className="value" data-figure={props.test}>
        {props.value}
      </span>
    </div>
  );
}
