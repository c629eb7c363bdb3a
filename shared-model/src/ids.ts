/**
 * Typed identifiers. Every ID in chargemesh is a branded string so a stall ID can never be passed
 * where a meter ID is expected. Constructors validate the shape and throw `ChargemeshError`
 * (code `invalid_id`) on bad input; `is*` guards never throw.
 */
import { ChargemeshError } from "./errors.js";

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type SiteId = Brand<string, "SiteId">;
export type StallId = Brand<string, "StallId">;
export type MeterId = Brand<string, "MeterId">;
export type SessionId = Brand<string, "SessionId">;
/** eMAID (e-mobility account identifier), ISO 15118 / DIN 91286, e.g. `DE-ABC-C12345678-9`. */
export type ContractId = Brand<string, "ContractId">;
export type TechnicianId = Brand<string, "TechnicianId">;
export type PeerName = Brand<string, "PeerName">;
export type RegionId = Brand<string, "RegionId">;
export type DocumentName = Brand<string, "DocumentName">;

const SIMPLE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
// eMAID: country (2) - provider (3) - optional separator - instance (9 alnum) - optional check char.
const EMAID = /^[A-Z]{2}-?[A-Z0-9]{3}-?[A-Z0-9]{9}(-?[A-Z0-9])?$/i;

function make<T extends string>(kind: string, pattern: RegExp) {
  return (value: string): T => {
    if (typeof value !== "string" || !pattern.test(value)) {
      throw new ChargemeshError("invalid_id", `not a valid ${kind}: ${JSON.stringify(value)}`);
    }
    return value as T;
  };
}

export const siteId = make<SiteId>("site ID", SIMPLE);
export const stallId = make<StallId>("stall ID", SIMPLE);
export const meterId = make<MeterId>("meter ID", SIMPLE);
export const sessionId = make<SessionId>("session ID", /^[A-Za-z0-9._:-]{8,128}$/);
export const contractId = make<ContractId>("eMAID", EMAID);
export const technicianId = make<TechnicianId>("technician ID", SIMPLE);
export const peerName = make<PeerName>("peer name", SIMPLE);
export const regionId = make<RegionId>("region ID", SIMPLE);

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A session ID unique without coordination: `<site>:<48-bit ms time><80 random bits>` in Crockford
 * base32 (ULID layout), so IDs sort by start time within a site. Time and randomness are injected.
 */
export function newSessionId(site: SiteId, nowMs: number, random: (n: number) => Uint8Array): SessionId {
  let t = Math.floor(nowMs);
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = random(10);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let rand = "";
  for (let i = 0; i < 16; i++) {
    rand = CROCKFORD[Number(bits & 31n)] + rand;
    bits >>= 5n;
  }
  return sessionId(`${site}:${time}${rand}`);
}
