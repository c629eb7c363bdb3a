/**
 * The vehicle side of a stall (ISO 15118 high-level communication): plug events, the car's contract
 * certificate chain, proof of possession of the contract key, and the car's present acceptance.
 */
export interface VehicleAcceptance {
  /** The most the car accepts now (its taper curve at the present state of charge), integer W. */
  readonly maxPowerW: number;
  /** State of charge, per mille (0-1000), integer. */
  readonly socPermille: number;
  /** Target state of charge, per mille. */
  readonly targetPermille: number;
  /** True once the car considers itself full (reached target). */
  readonly full: boolean;
}

export interface PlugEvent {
  /** DER certificates, leaf first (contract leaf, MO sub-CA 2, MO sub-CA 1); empty when the car offers none
   *  (external identification: a VIN or MAC is never an identity). */
  readonly certificateChain: readonly Uint8Array[];
  /** What the car claims about itself; informational only, never used for authorization. */
  /** The eMAID the car names for this charge (ISO 15118 PaymentDetailsReq); must match the leaf. */
  readonly claimedEmaid?: string;
  readonly claimedVin?: string;
  readonly claimedMac?: string;
  /** Who checks that the car holds the contract key: the site, by a signed challenge (default), or the
   *  charger's SECC (OCPP Plug & Charge: the CSMS receives only the chain). */
  readonly proofOfPossession?: "site" | "charger-secc";
}

export interface VehicleLink {
  /** Signs the stall's fresh challenge with the contract key held in the car's secure element
   *  (ECDSA P-256 / SHA-256, DER signature). Rejects when no car is plugged. */
  signChallenge(challenge: Uint8Array): Promise<Uint8Array>;
  acceptance(): VehicleAcceptance | null;
  /** Tells the car how much it may draw now, W (the car follows after its own delay). */
  offerPower(limitW: number): void;
  /** Subscribes to plug-in and unplug; returns an unsubscribe function. */
  onPlug(listener: (event: PlugEvent) => void): () => void;
  onUnplug(listener: () => void): () => void;
  plugged(): boolean;
  /** Hands the car its short-lived session token (for its dashboard and the owner's phone). */
  receiveSessionToken?(token: string): void;
  close(): Promise<void>;
}
