import * as A from "@automerge/automerge";

/**
 * The sync message `mine` sends a peer holding `theirsNow` once the two have exchanged heads: the
 * first message that carries changes. Throws when none does within a few rounds (nothing to send).
 */
export function messageCarryingChanges<T>(mine: A.Doc<T>, theirsNow: A.Doc<T>): Uint8Array {
  let theirs = A.clone(theirsNow);
  let [myState, theirState] = [A.initSyncState(), A.initSyncState()];
  for (let i = 0; i < 5; i++) {
    const [ts, fromThem] = A.generateSyncMessage(theirs, theirState);
    theirState = ts;
    if (fromThem) [, myState] = A.receiveSyncMessage(mine, myState, fromThem);
    const [ms, fromMe] = A.generateSyncMessage(mine, myState);
    myState = ms;
    if (fromMe && A.decodeSyncMessage(fromMe).changes.length > 0) return fromMe;
    if (fromMe) [theirs, theirState] = A.receiveSyncMessage(theirs, theirState, fromMe);
  }
  throw new Error("no sync message carried the changes");
}
