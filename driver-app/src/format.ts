/** Display helpers: integers in, strings out (no float arithmetic on money or energy). */

/** `12345` minor units of EUR -> "€123.45". */
export function money(minor: number | null, currency: string | null): string {
  if (minor === null || currency === null) return "—";
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, "0");
  const symbol =
    currency === "EUR" ? "€" : currency === "USD" ? "$" : currency === "GBP" ? "£" : `${currency} `;
  return `${sign}${symbol}${whole}.${cents}`;
}

/** Wh -> "12.34 kWh" (two decimals, truncated). */
export function energy(wh: number | null): string {
  if (wh === null) return "—";
  return `${Math.floor(wh / 1000)}.${String(Math.floor((wh % 1000) / 10)).padStart(2, "0")} kWh`;
}

/** W -> "11.0 kW". */
export function power(w: number): string {
  return `${Math.floor(w / 1000)}.${Math.floor((w % 1000) / 100)} kW`;
}

/** Per mille -> "63 %". */
export function soc(permille: number | null): string {
  return permille === null ? "—" : `${Math.round(permille / 10)} %`;
}

export function minutes(m: number | null): string {
  if (m === null) return "—";
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/** How long ago, coarse: "12 s ago", "3 min ago". */
export function ago(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
