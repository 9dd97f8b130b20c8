/**
 * Views of a verdict for the pages: pod pairs by node pair (the heatmap)
 * and one node pair's failures by problem. Computed from the verdict's
 * pieces alone ({@linkcode PieceView}), apart from how they were found.
 *
 * @module
 */
import { type Piece, type PieceView, type Problem, problemKey } from "./pieces.js";

/** What fails from one node's pods to another's (a heatmap cell). */
export interface NodePairView {
  readonly from: string;
  readonly to: string;
  /** Ordered pod pairs from the first node to the second. */
  readonly total: number;
  readonly failing: number;
  /** One entry per problem, with a pair that shows it (pod indexes). */
  readonly problems: readonly {
    readonly problem: Problem;
    readonly pairs: number;
    readonly example: readonly [number, number];
  }[];
}

/** Pod pairs by node pair; entry `[i * nodes.length + j]` is from node i to node j. */
export interface NodeMatrix {
  readonly nodes: readonly string[];
  readonly total: Float64Array;
  readonly failing: Float64Array;
}

/**
 * Ordered pod pairs by Kubernetes node pair: how many there are and how
 * many fail (`[source * nodes + destination]`). Meant for lesson-sized
 * clusters (it walks every failing set by source group).
 *
 * @returns Node names and the two matrices.
 */
export function nodeMatrix(view: PieceView): NodeMatrix {
  const f = view.fabric;
  const pods = f.pods;
  const n = f.nodes.length;
  const perNode = new Float64Array(n);
  for (let p = 0; p < pods.count; p++) if (pods.node[p] >= 0) perNode[pods.node[p]]++;
  const total = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) total[i * n + j] = perNode[i] * (perNode[j] - (i === j ? 1 : 0));
  }
  const failing = new Float64Array(n * n);
  const add = (piece: Piece) => {
    if (piece.problem === undefined || piece.pairs === 0) return;
    const dstNodes = new Map<number, number>();
    for (const q of piece.destinations) {
      dstNodes.set(pods.node[q], (dstNodes.get(pods.node[q]) ?? 0) + 1);
    }
    const s = piece.sources;
    for (const group of view.sourceGroups(s)) {
      const src = pods.node[group[0]];
      for (const [d, k] of dstNodes) failing[src * n + d] += group.length * k;
    }
    if (s.kind === "pods") {
      for (const p of s.pods) for (const [d, k] of dstNodes) failing[pods.node[p] * n + d] += k;
    }
    // Take out p = q and the excluded pairs.
    for (const q of piece.destinations) {
      if (view.inSources(s, q) || (s.kind === "pods" && s.pods.includes(q))) {
        failing[pods.node[q] * n + pods.node[q]] -= 1;
      }
    }
    for (const [p, q] of piece.except) failing[pods.node[p] * n + pods.node[q]] -= 1;
  };
  for (const piece of view.pieces()) add(piece);
  return { nodes: f.nodes.map((x) => x.name), total, failing };
}

/**
 * The failing pairs from one Kubernetes node's pods to another's, by
 * problem, with an example pair for each (for a heatmap cell; see
 * `Verifier.tracePair` for its trace).
 *
 * @param from Index of the source node (in `fabric.nodes`).
 * @param to Index of the destination node.
 * @returns The cell.
 */
export function nodePair(view: PieceView, from: number, to: number): NodePairView {
  const pods = view.fabric.pods;
  let nFrom = 0;
  let nTo = 0;
  for (let p = 0; p < pods.count; p++) {
    if (pods.node[p] === from) nFrom++;
    if (pods.node[p] === to) nTo++;
  }
  const byProblem = new Map<
    string,
    { problem: Problem; pairs: number; example: [number, number] }
  >();
  const add = (piece: Piece) => {
    if (piece.problem === undefined || piece.pairs === 0) return;
    const dsts = piece.destinations.filter((q) => pods.node[q] === to);
    if (dsts.length === 0) return;
    const srcs = [...view.expandSources(piece.sources)].filter((p) => pods.node[p] === from);
    const except = new Set(piece.except.map(([p, q]) => `${p}|${q}`));
    for (const q of dsts) {
      for (const p of srcs) {
        if (p === q || except.has(`${p}|${q}`)) continue;
        const key = problemKey(piece.problem);
        const entry = byProblem.get(key);
        if (entry) entry.pairs++;
        else byProblem.set(key, { problem: piece.problem, pairs: 1, example: [p, q] });
      }
    }
  };
  for (const piece of view.pieces()) add(piece);
  const problems = [...byProblem.values()];
  return {
    from: view.fabric.nodes[from].name,
    to: view.fabric.nodes[to].name,
    total: nFrom * nTo - (from === to ? nFrom : 0),
    failing: problems.reduce((n, x) => n + x.pairs, 0),
    problems,
  };
}
