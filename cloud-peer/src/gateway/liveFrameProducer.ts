import { minutesToTarget } from "@chargemesh/shared-model";
import type { HeldOcpiTariffs, LiveTelemetry } from "@chargemesh/shared-model";
import type { FeedPhase, SessionFigures } from "@chargemesh/shared-model/contracts";
import { costSoFarMinor, ocpiCostSoFar, tariffAt } from "./costSoFar.js";
import type { Tariff } from "./costSoFar.js";
import type { FrameBus } from "./feedEnvelope.js";

/** What the cloud knows of a session from the site's day journal. */
export interface SessionFacts {
  readonly contractId: string | null;
  /** The journal's start: when the site authorized the session. */
  readonly startedAtMs: number;
  /** The meter time of the session's signed begin record (where its invoice starts), or null/absent while it has not synced. */
  readonly beginAtMs?: number | null;
}

/** Session facts and tariffs as this cloud peer holds them (read from the sites' synced documents). */
export interface SiteFactsSource {
  /** The session's facts, or null while its journal entry has not arrived (the source may fetch it for a later call). */
  session(siteId: string, sessionId: string): SessionFacts | null;
  /** The tariffs the site's config document publishes. */
  tariffs(siteId: string): readonly Tariff[];
  /** The OCPI tariffs the site's config document carries (`ocpiTariffs`), read; null when it has none or they do not read. */
  ocpiTariffs?(siteId: string): HeldOcpiTariffs | null;
}

/** A SoC reading and the session energy when it was read. */
interface SocMark {
  readonly socPermille: number;
  readonly energyWh: number;
}

/** Sessions whose frames are being numbered at most (each a counter); the oldest ended ones go first. */
const MAX_NUMBERED_SESSIONS = 200_000;

/**
 * Turns each site's live telemetry into per-session frames and publishes them on the bus: one frame
 * per session on a stall per message, numbered 1, 2, 3... per session by this process (the origin);
 * a session that leaves its stall gets a last frame in phase `ended`. Cost so far: when the site's
 * config document carries OCPI tariffs, the invoice's rating of the session so far (shared-model
 * liveSessionCost from the signed begin record's time, where the invoice starts, to the message's site
 * time; null when that fails), else the simple tariff of the session's journal start (as FlatTariffRater
 * picks it); time to target estimated from the car's SoC (shared-model minutesToTarget). Never throws (a bad figure source skips the session's cost, not the frame).
 */
export class LiveFrameProducer {
  private readonly seqs = new Map<string, number>();
  private readonly onStall = new Map<
    string,
    { sessionId: string; last: SessionFigures; firstSoc: SocMark | null }
  >();
  framesPublished = 0;

  constructor(
    private readonly facts: SiteFactsSource,
    private readonly bus: FrameBus,
  ) {}

  /** One valid telemetry message of a site (LiveTelemetryGateway.subscribeAll). */
  onTelemetry(m: LiveTelemetry): void {
    for (const s of m.stalls) {
      const key = `${m.siteId}\u0000${s.stallId}`;
      const held = this.onStall.get(key);
      if (held && held.sessionId !== s.sessionId) {
        this.emit({ ...held.last, phase: "ended", powerW: 0, siteTimeMs: m.siteTimeMs });
        this.onStall.delete(key);
      }
      if (!s.sessionId || !(s.phase === "authorizing" || s.phase === "charging" || s.phase === "stopping"))
        continue;
      let facts: SessionFacts | null = null;
      let tariffs: readonly Tariff[] = [];
      let ocpi: HeldOcpiTariffs | null = null;
      try {
        facts = this.facts.session(m.siteId, s.sessionId);
        ocpi = this.facts.ocpiTariffs?.(m.siteId) ?? null;
        if (!ocpi) tariffs = this.facts.tariffs(m.siteId);
      } catch {
        // no facts yet: the frame goes out without contract and cost
      }
      const tariff = facts && !ocpi ? tariffAt(tariffs, facts.startedAtMs) : null;
      // The invoice rates from the signed begin record's meter time; authorization (the journal's
      // startedAtMs) comes before it, so TIME prices or a tariff boundary in that gap would make the
      // last live figure differ from the invoice. Only until the begin record has synced here does
      // the figure count from the authorization (an estimate, corrected by the next frame after it).
      const costStartMs = facts ? (facts.beginAtMs ?? facts.startedAtMs) : 0;
      const cost = !facts
        ? null
        : ocpi
          ? ocpiCostSoFar(ocpi, s.sessionId, costStartMs, m.siteTimeMs, s.sessionEnergyWh)
          : tariff
            ? { costMinor: costSoFarMinor(tariff, s.sessionEnergyWh), currency: tariff.currency }
            : null;
      const soc = s.socPermille ?? null;
      // The battery's size is estimated from the SoC gained per Wh since the first SoC seen here.
      const firstSoc =
        this.onStall.get(key)?.firstSoc ??
        (soc !== null ? { socPermille: soc, energyWh: s.sessionEnergyWh } : null);
      const figures: SessionFigures = {
        sessionId: s.sessionId,
        siteId: m.siteId,
        stallId: s.stallId,
        phase: s.phase as FeedPhase,
        powerW: s.powerW,
        energyWh: s.sessionEnergyWh,
        costMinor: cost?.costMinor ?? null,
        currency: cost?.currency ?? null,
        socPermille: soc,
        minutesToTarget: firstSoc
          ? minutesToTarget({
              startSocPermille: firstSoc.socPermille,
              socPermille: soc,
              targetPermille: s.targetPermille ?? null,
              energyWh: s.sessionEnergyWh - firstSoc.energyWh,
              powerW: s.powerW,
            })
          : null,
        siteTimeMs: m.siteTimeMs,
      };
      this.onStall.set(key, { sessionId: s.sessionId, last: figures, firstSoc });
      this.emit(figures, facts?.contractId ?? null);
    }
  }

  private emit(figures: SessionFigures, contractId: string | null = null): void {
    const id = figures.sessionId;
    const seq = (this.seqs.get(id) ?? 0) + 1;
    this.seqs.delete(id);
    this.seqs.set(id, seq);
    if (this.seqs.size > MAX_NUMBERED_SESSIONS) this.seqs.delete(this.seqs.keys().next().value!);
    this.bus.publish({ frame: { type: "frame", seq, figures }, contractId });
    this.framesPublished++;
  }
}
