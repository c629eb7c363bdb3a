/** The power electronics of one stall (the EVSE): a contactor and a settable limit. */
export type PowerStageState = "idle" | "ready" | "delivering" | "faulted" | "unreachable";

export interface PowerStageStatus {
  readonly state: PowerStageState;
  /** The limit the stage is currently enforcing, integer W (after its reaction delay). */
  readonly appliedLimitW: number;
  /** The limit most recently requested, integer W. */
  readonly requestedLimitW: number;
  /** Measured draw, integer W. */
  readonly measuredW: number;
  readonly contactorClosed: boolean;
  /** Fault code when `state` is "faulted". */
  readonly fault?: string;
}

export interface PowerStage {
  /** Hardware limits of the stall, W. `minW` is the lowest non-zero setpoint (AC: 6 A per phase). */
  readonly maxW: number;
  readonly minW: number;
  /** How long the stage takes to apply a new limit, ms (model of the real reaction delay). */
  readonly reactionDelayMs: number;
  /** Requests a new limit (0 = pause). Resolves when the stage acknowledges it has applied the limit;
   *  rejects with a fault when the stage is unreachable or faulted. */
  setLimit(limitW: number): Promise<void>;
  setContactor(closed: boolean): Promise<void>;
  status(): PowerStageStatus;
  onStatus(listener: (status: PowerStageStatus) => void): () => void;
  close(): Promise<void>;
}
