/** The URLs of the live day documents a site root indexes: its day journals, then its ledger segments. */
export function indexedDocuments(root: {
  readonly journals: Record<string, string>;
  readonly segments: Record<string, string>;
}): string[] {
  return [...Object.values(root.journals), ...Object.values(root.segments)];
}
