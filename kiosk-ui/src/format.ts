/** Display formatting only (the figures themselves are integer W, Wh and ms). */
export const kW = (w: number) => `${(w / 1000).toFixed(w >= 100_000 ? 0 : 1)} kW`;
export const kWh = (wh: number) => `${(wh / 1000).toFixed(1)} kWh`;
export const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);
export const since = (fromMs: number | null, nowMs: number) => {
  if (fromMs === null) return "unknown";
  const min = Math.max(0, Math.floor((nowMs - fromMs) / 60_000));
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
};
export const phaseLabel: Record<string, string> = {
  available: "Available",
  authorizing: "Authorizing",
  charging: "Charging",
  stopping: "Stopping",
  out_of_service: "Out of service",
};
