/** Where the app keeps its credentials: the account token (phone), the car's pairing (dashboard). */
export interface AccountCredential {
  readonly token: string;
  readonly expiresAtMs: number;
  readonly name: string;
}

/** What the car hands its dashboard: the site-signed session token and the site's live feed URL. */
export interface CarPairing {
  readonly sessionToken: string;
  readonly siteLiveUrl: string;
}

const ACCOUNT = "chargemesh.account";
const CAR = "chargemesh.car";

function read<T>(storage: Storage, key: string, valid: (v: unknown) => v is T): T | null {
  try {
    const v: unknown = JSON.parse(storage.getItem(key) ?? "null");
    return valid(v) ? v : null;
  } catch {
    return null;
  }
}

const isAccount = (v: unknown): v is AccountCredential =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as AccountCredential).token === "string" &&
  typeof (v as AccountCredential).expiresAtMs === "number";
const isCar = (v: unknown): v is CarPairing =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as CarPairing).sessionToken === "string" &&
  typeof (v as CarPairing).siteLiveUrl === "string";

/** The stored account credential while it is valid, else null. */
export function loadAccount(nowMs: number): AccountCredential | null {
  const a = read(localStorage, ACCOUNT, isAccount);
  return a && a.expiresAtMs > nowMs ? a : null;
}
export function saveAccount(a: AccountCredential | null): void {
  if (a) localStorage.setItem(ACCOUNT, JSON.stringify(a));
  else localStorage.removeItem(ACCOUNT);
}
/** The car's pairing, handed over by the vehicle (sessionStorage: it lives as long as the dashboard tab). */
export function loadCarPairing(): CarPairing | null {
  return read(sessionStorage, CAR, isCar);
}
