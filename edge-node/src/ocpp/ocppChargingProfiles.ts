/** The charging profiles the CSMS installs (OCPP 2.0.1 K01), one ID per purpose and EVSE. */
export const STATION_MAX_PROFILE_ID = 1;
export const TX_DEFAULT_PROFILE_ID = 100;
export const TX_PROFILE_ID = 1_000;

export type ChargingProfilePurpose = "ChargingStationMaxProfile" | "TxDefaultProfile" | "TxProfile";

/**
 * A SetChargingProfile `chargingProfile` holding one limit in W from its start: stack level 0, one
 * schedule of one period. Absolute (from `startSchedule`, ISO 8601) for the station maximum, Relative
 * (from each transaction's start) for the others; a TxProfile names its transaction. Pure.
 */
export function singleLimitProfile(p: {
  readonly id: number;
  readonly purpose: ChargingProfilePurpose;
  readonly limitW: number;
  readonly startSchedule?: string;
  readonly transactionId?: string;
}): Record<string, unknown> {
  return {
    id: p.id,
    stackLevel: 0,
    chargingProfilePurpose: p.purpose,
    chargingProfileKind: p.startSchedule !== undefined ? "Absolute" : "Relative",
    ...(p.transactionId !== undefined ? { transactionId: p.transactionId } : {}),
    chargingSchedule: [
      {
        id: p.id,
        ...(p.startSchedule !== undefined ? { startSchedule: p.startSchedule } : {}),
        chargingRateUnit: "W",
        chargingSchedulePeriod: [{ startPeriod: 0, limit: p.limitW }],
      },
    ],
  };
}
