import type { StallViewContract } from "@chargemesh/shared-model/contracts";
import type { StallView } from "../session/sessionOrchestrator.js";
import type { Caller } from "./callerIdentity.js";

/** What the site adds to a stall's view: the stage's enforced limit, the session's contract and energy. */
export interface StallExtras {
  readonly setpointW: number;
  readonly contractId: string | null;
  readonly sessionEnergyWh: number;
}

const whole = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/** A stall as `caller` may see it: phase, power, setpoint and faults for anyone; the session, its
 *  contract, energy and the meter register for technicians only. Integers only. */
export function stallFor(v: StallView, caller: Caller, extras: StallExtras | null): StallViewContract {
  const open: StallViewContract = {
    stallId: v.stallId,
    phase: v.phase,
    powerW: whole(v.powerW),
    meterFault: v.meterFault,
    ...(extras ? { setpointW: whole(extras.setpointW) } : {}),
  };
  if (caller.kind !== "technician") return open;
  return {
    ...open,
    sessionId: v.sessionId,
    registerWh: whole(v.registerWh),
    ...(extras ? { contractId: extras.contractId, sessionEnergyWh: whole(extras.sessionEnergyWh) } : {}),
  };
}
