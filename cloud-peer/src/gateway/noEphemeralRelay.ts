import type { RepoMessage } from "@automerge/automerge-repo";

/** The part of automerge-repo's network subsystem this needs. */
export interface MessageSender {
  readonly peerId: string;
  send(message: never): void;
}

/**
 * Stops a repo from relaying other peers' ephemeral messages. automerge-repo forwards an ephemeral
 * message it receives to every other peer syncing that document, keeping the original sender ID; a
 * cloud peer would so pass a site's live telemetry on to the cloud peers of other regions, whose
 * libp2p adapter resets the stream on a frame claiming a sender other than the connection's peer.
 * Sites dial every region themselves, and live fan-out between gateways is not the repo's job, so a
 * cloud sends only its own ephemeral messages. Returns how many relays it dropped so far. Never throws.
 */
export function dropEphemeralRelays(network: MessageSender): () => number {
  let dropped = 0;
  const send = network.send.bind(network) as (m: RepoMessage) => void;
  (network as unknown as { send: (m: RepoMessage) => void }).send = (m: RepoMessage) => {
    if (
      m.type === "ephemeral" &&
      "senderId" in m &&
      m.senderId !== undefined &&
      m.senderId !== network.peerId
    ) {
      dropped++;
      return;
    }
    send(m);
  };
  return () => dropped;
}
