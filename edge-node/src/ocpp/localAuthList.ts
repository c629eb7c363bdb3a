/** An idToken's status on a charger's local authorization list (OCPP AuthorizationStatusEnumType subset). */
export type LocalListStatus = "Accepted" | "Blocked" | "Invalid";

/** eMAID -> status: what the site wants every charger to hold for offline authorization. */
export type LocalList = ReadonlyMap<string, LocalListStatus>;

export interface AuthorizationData {
  idToken: { idToken: string; type: "eMAID" };
  idTokenInfo?: { status: LocalListStatus };
}

/**
 * The local list from the config document: account standing (good -> Accepted, blocked -> Blocked),
 * and contracts whose certificate the revocation list names (Invalid; the site knows a certificate's
 * eMAID once a charger presented the chain). Revocation wins over a good standing.
 */
export function localListFrom(
  standing: Readonly<Record<string, "good" | "blocked">>,
  revokedContracts: Iterable<string>,
): LocalList {
  const list = new Map<string, LocalListStatus>();
  for (const [emaid, s] of Object.entries(standing)) list.set(emaid, s === "good" ? "Accepted" : "Blocked");
  for (const emaid of revokedContracts) list.set(emaid, "Invalid");
  return list;
}

const entry = (emaid: string, status?: LocalListStatus): AuthorizationData =>
  status
    ? { idToken: { idToken: emaid, type: "eMAID" }, idTokenInfo: { status } }
    : { idToken: { idToken: emaid, type: "eMAID" } };

/** Every entry of `list` (a Full update). */
export function fullUpdate(list: LocalList): AuthorizationData[] {
  return [...list].sort(([a], [b]) => (a < b ? -1 : 1)).map(([emaid, status]) => entry(emaid, status));
}

/** What turns `from` into `to` (a Differential update): changed entries with their status, removed ones without. */
export function differentialUpdate(from: LocalList, to: LocalList): AuthorizationData[] {
  const out: AuthorizationData[] = [];
  for (const [emaid, status] of to) if (from.get(emaid) !== status) out.push(entry(emaid, status));
  for (const emaid of from.keys()) if (!to.has(emaid)) out.push(entry(emaid));
  return out.sort((a, b) => (a.idToken.idToken < b.idToken.idToken ? -1 : 1));
}

/** The list a charger last accepted (SendLocalList answered Accepted), and the version it holds it under. */
export interface SentLocalList {
  readonly version: number;
  readonly list: LocalList;
}

/**
 * What the CSMS knows each charger holds, by station ID (OCPP D01: the version is the charger's,
 * greater than 0; a Differential update must carry a higher one). `set(id, null)` forgets it, so the
 * next update is Full. Implementations do not throw (one that cannot store keeps it in memory).
 */
export interface LocalListVersions {
  get(stationId: string): SentLocalList | null;
  set(stationId: string, sent: SentLocalList | null): void;
}

/** `LocalListVersions` in memory only (lost at a restart). */
export class MemoryLocalListVersions implements LocalListVersions {
  private readonly sent = new Map<string, SentLocalList>();

  get(stationId: string): SentLocalList | null {
    return this.sent.get(stationId) ?? null;
  }

  set(stationId: string, sent: SentLocalList | null): void {
    if (sent) this.sent.set(stationId, sent);
    else this.sent.delete(stationId);
  }
}
