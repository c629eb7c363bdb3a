import type { SecureElement } from "../secureElement.js";
import type { BatterySpec } from "./simBattery.js";
import { SimBattery } from "./simBattery.js";

/** The contract key's label inside the car's secure element. */
export const CONTRACT_KEY_LABEL = "contract";

/**
 * A simulated car: a battery with its taper, and a contract certificate chain whose private key is
 * held by the car's own secure element (ISO 15118 Plug & Charge). VIN and MAC are claims only.
 */
export class SimVehicle {
  readonly battery: SimBattery;
  /** The latest session token the site handed over. */
  sessionToken: string | null = null;

  constructor(
    spec: BatterySpec,
    readonly secureElement: SecureElement,
    /** DER certificates, contract leaf first. */
    readonly certificateChain: readonly Uint8Array[],
    readonly claimedVin?: string,
  ) {
    this.battery = new SimBattery(spec);
  }

  /** Proof of possession: signs the stall's challenge with the contract key (ECDSA P-256/SHA-256). */
  signChallenge(challenge: Uint8Array): Promise<Uint8Array> {
    return this.secureElement.sign(CONTRACT_KEY_LABEL, challenge);
  }
}
