/** The UTC calendar day `YYYY-MM-DD` of an epoch-ms instant (documents are partitioned by it). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
