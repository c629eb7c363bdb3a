import type { FeedFrame, FeedServerMessage, SessionFigures } from "@chargemesh/shared-model/contracts";

/** What the app shows of the cloud feed: the latest frame per session, and counts that reveal trouble. */
export interface FeedState {
  readonly frames: Readonly<Record<string, FeedFrame>>;
  /** Frames dropped because their seq was already shown. */
  readonly duplicates: number;
  /** Frames that skipped a seq (the gateway lost some); shown anyway, counted. */
  readonly gaps: number;
  readonly resets: number;
  /** Sessions that ended while this view watched them (for the in-app notice). */
  readonly ended: readonly string[];
}

export const emptyFeedState: FeedState = { frames: {}, duplicates: 0, gaps: 0, resets: 0, ended: [] };

/**
 * Applies one gateway message. A frame is shown only when its seq follows what is shown (the first
 * frame of a session sets the baseline); an older or equal seq is a duplicate and is dropped. Pure.
 */
export function applyFeedMessage(state: FeedState, m: FeedServerMessage): FeedState {
  switch (m.type) {
    case "hello": {
      let s = state;
      for (const f of m.sessions) s = showFrame(s, f, true);
      return s;
    }
    case "frame":
      return showFrame(state, m, false);
    case "reset":
      return { ...withFrame(state, m.frame), resets: state.resets + 1 };
    default:
      return state;
  }
}

function showFrame(state: FeedState, f: FeedFrame, baseline: boolean): FeedState {
  const held = state.frames[f.figures.sessionId];
  if (held && f.seq <= held.seq) return baseline ? state : { ...state, duplicates: state.duplicates + 1 };
  const gap = held && !baseline && f.seq > held.seq + 1 ? 1 : 0;
  return { ...withFrame(state, f), gaps: state.gaps + gap };
}

function withFrame(state: FeedState, f: FeedFrame): FeedState {
  const id = f.figures.sessionId;
  // Ended while watched: a session first seen already ended (a page load, a resume's hello) is no news.
  const held = state.frames[id];
  const endedNow = f.figures.phase === "ended" && held !== undefined && held.figures.phase !== "ended";
  return {
    ...state,
    frames: { ...state.frames, [id]: f },
    ended: endedNow ? [...state.ended, id] : state.ended,
  };
}

/** The resume positions of a state: the last seq shown per session. Pure. */
export function resumePositions(state: FeedState): { sessionId: string; seq: number }[] {
  return Object.values(state.frames).map((f) => ({ sessionId: f.figures.sessionId, seq: f.seq }));
}

/** Sessions still running, most recent first. Pure. */
export function liveSessions(state: FeedState): SessionFigures[] {
  return Object.values(state.frames)
    .map((f) => f.figures)
    .filter((f) => f.phase !== "ended")
    .sort((a, b) => b.siteTimeMs - a.siteTimeMs);
}
