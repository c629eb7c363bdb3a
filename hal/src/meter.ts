import type { MeterId } from "@chargemesh/shared-model";

/** Stable meter fault codes: drivers turn every hardware problem into one of these, never a crash. */
export type MeterFaultCode =
  | "meter_timeout" // no answer within the driver's timeout
  | "meter_crc_error" // a frame arrived with a bad CRC
  | "meter_disconnected" // the serial device is gone or cannot be opened
  | "meter_bad_response" // an answer that does not decode (wrong length, exception code)
  | "meter_register_regressed"; // the register read lower than before (meter replaced or broken)

export interface MeterReading {
  /** Cumulative import register, integer Wh; never decreases. */
  readonly registerWh: number;
  /** Instantaneous active power, integer W. */
  readonly powerW: number;
  /** Reading time on the injected clock, ms since epoch. */
  readonly atMs: number;
  /** A certified meter's own signed payload for exactly this register (e.g. OCMF), carried byte for byte. */
  readonly signedPayload?: Uint8Array;
}

export type MeterReadResult =
  { ok: true; reading: MeterReading } | { ok: false; fault: MeterFaultCode; message: string };

/** An energy meter on one stall. */
export interface Meter {
  readonly id: MeterId;
  /** Reads the register and power. Never throws: failures are returned as fault codes. */
  read(): Promise<MeterReadResult>;
  /** Releases the device (serial port, timers). Idempotent. */
  close(): Promise<void>;
}
