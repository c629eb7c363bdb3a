/**
 * A site's limit tree flattened into arrays the allocator can walk quickly: nodes in canonical order
 * (depth-first, children sorted by ID, so the input's child order never matters), each node's parent
 * and depth, and each node's path from the root.
 */
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { LimitNode } from "./powerPlanTypes.js";

export interface IndexedLimitTree {
  readonly ids: readonly string[];
  readonly limitW: readonly number[];
  readonly depth: readonly number[];
  /** Node indices from the root to the node, inclusive. */
  readonly path: readonly (readonly number[])[];
  readonly indexOf: ReadonlyMap<string, number>;
}

const MAX_NODES = 10_000;

/** Flattens and validates a limit tree; fails with `invalid_input` on duplicate IDs, a limit that is
 *  not a non-negative safe integer, or a tree larger than 10,000 nodes. */
export function indexLimitTree(root: LimitNode): Result<IndexedLimitTree> {
  const ids: string[] = [];
  const limitW: number[] = [];
  const depth: number[] = [];
  const path: number[][] = [];
  const indexOf = new Map<string, number>();
  const stack: Array<{ node: LimitNode; parentPath: number[] }> = [{ node: root, parentPath: [] }];
  while (stack.length > 0) {
    const { node, parentPath } = stack.pop()!;
    if (typeof node?.id !== "string" || node.id.length === 0) return err(bad("a limit node has no id"));
    if (indexOf.has(node.id)) return err(bad(`duplicate limit node id ${node.id}`));
    if (!Number.isSafeInteger(node.limitW) || node.limitW < 0)
      return err(bad(`limit node ${node.id}: limitW must be a non-negative integer`));
    if (ids.length >= MAX_NODES) return err(bad(`limit tree larger than ${MAX_NODES} nodes`));
    const index = ids.length;
    ids.push(node.id);
    limitW.push(node.limitW);
    depth.push(parentPath.length);
    const own = [...parentPath, index];
    path.push(own);
    indexOf.set(node.id, index);
    const children = [...(node.children ?? [])].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    for (const child of children) stack.push({ node: child, parentPath: own });
  }
  return ok({ ids, limitW, depth, path, indexOf });
}

function bad(message: string): ChargemeshError {
  return new ChargemeshError("invalid_input", message);
}
