/**
 * Node-pair cells for a reachability heatmap: for every ordered pair of
 * Kubernetes nodes, how many pod pairs there are, how many fail, and why —
 * grouped into a few causes a reader can tell apart by colour (a missing
 * route, a next hop nobody answers for, forwarding turned off, a loop, NAT).
 * Computed from the verifier's compact failure sets (a source set times a
 * destination list), never pair by pair.
 *
 * @module
 */
import { match } from "ts-pattern";
import type { DropReason } from "../trace/types.js";
import type { Problem, Verifier } from "./verifier.js";

/** Why a pod pair fails, in the coarse terms a heatmap colours by. */
export type Cause = "route" | "next-hop" | "forwarding" | "loop" | "nat" | "other";

/** Every cause, in legend order. */
export const CAUSES: readonly Cause[] = ["route", "next-hop", "forwarding", "loop", "nat", "other"];

const DROP_CAUSE: Record<DropReason, Cause> = {
  "no-route": "route",
  "route-rejects": "route",
  "neighbour-unreachable": "next-hop",
  "unknown-mac": "next-hop",
  "not-for-us": "next-hop",
  "no-vxlan-remote": "next-hop",
  "vxlan-vni-not-found": "next-hop",
  "vxlan-refused": "next-hop",
  "ipip-no-route": "next-hop",
  "ipip-no-tunnel": "next-hop",
  "device-down": "next-hop",
  "wrong-pod": "next-hop",
  "reply-lost": "other",
  "ip-forward-off": "forwarding",
  "forward-drop": "forwarding",
  "ttl-exceeded": "loop",
  "loop": "loop",
  "mtu-exceeded": "other",
  "frame-too-big": "other",
  "martian-source": "other",
  "martian-destination": "other",
  "no-source-address": "other",
  "port-unreachable": "other",
  "unmodelled": "other",
};

/**
 * The cause a problem counts under.
 *
 * @param problem A problem from the verifier.
 * @returns Its cause.
 * @example
 * ```ts
 * import { causeOf } from "./cells.js";
 * causeOf({ kind: "dropped", reason: "no-route" }); // "route"
 * causeOf({ kind: "nat-applied" }); // "nat"
 * ```
 */
export function causeOf(problem: Problem): Cause {
  return match(problem)
    .with({ kind: "dropped" }, (p) => DROP_CAUSE[p.reason])
    .with({ kind: "source-rewritten" }, () => "nat" as const)
    .with({ kind: "nat-applied" }, () => "nat" as const)
    .exhaustive();
}

/**
 * Pod pairs by ordered node pair. Entry `[i * nodes.length + j]` is from
 * node i's pods to node j's pods (pairs of a pod with itself left out).
 */
export interface NodeCells {
  readonly nodes: readonly string[];
  readonly total: Float64Array;
  readonly failing: Float64Array;
  /** Failing pairs per cause, in {@linkcode CAUSES} order. */
  readonly byCause: readonly Float64Array[];
  /** Index into {@linkcode CAUSES} of the cause with the most failing pairs, or -1 when none fail. */
  readonly cause: Int8Array;
}

/**
 * The heatmap's cells, from the verifier's current verdict.
 *
 * Cost: one pass gathering the failure sets, then per set its source pods
 * and destinations (no pod × pod loop unless the pairs were traced one by one).
 *
 * @param verifier A verifier (after a full or incremental check).
 * @returns The cells.
 * @example
 * ```ts
 * import { generateFabric, nodeCells, recheckEdit, Verifier } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const v = new Verifier(unwrap(generateFabric({ mode: "host-gw", nodes: 3, podsPerNode: 2 }), (e) => e.message));
 * recheckEdit(v, { kind: "route-delete", host: "node-1", route: "10.244.2.0/24" });
 * const cells = nodeCells(v);
 * cells.failing[0 * 3 + 1]; // 4: node-1's 2 pods × node-2's 2 pods
 * cells.cause[0 * 3 + 1]; // 0: "route"
 * ```
 */
export function nodeCells(verifier: Verifier): NodeCells {
  const f = verifier.fabric;
  const pods = f.pods;
  const n = f.nodes.length;
  const nodeOf = (p: number) => pods.node[p];
  const perNode = new Float64Array(n);
  for (let p = 0; p < pods.count; p++) if (nodeOf(p) >= 0) perNode[nodeOf(p)]++;
  const total = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) total[i * n + j] = perNode[i] * (perNode[j] - (i === j ? 1 : 0));
  }
  const byCause = CAUSES.map(() => new Float64Array(n * n));
  const result = verifier.result();
  for (const set of result.failures) {
    const into = byCause[CAUSES.indexOf(causeOf(set.problem))];
    const sources = verifier.sourcePods(set.sources);
    const srcNodes = new Map<number, number>();
    for (const p of sources) if (nodeOf(p) >= 0) bump(srcNodes, nodeOf(p), 1);
    const dstNodes = new Map<number, number>();
    for (const q of set.destinations) if (nodeOf(q) >= 0) bump(dstNodes, nodeOf(q), 1);
    for (const [i, a] of srcNodes) for (const [j, b] of dstNodes) into[i * n + j] += a * b;
    // Take out p = q and the pairs the set excludes.
    const inSources = new Set(sources);
    for (const q of set.destinations) {
      if (inSources.has(q) && nodeOf(q) >= 0) into[nodeOf(q) * n + nodeOf(q)] -= 1;
    }
    for (const [p, q] of set.except) {
      if (nodeOf(p) >= 0 && nodeOf(q) >= 0) into[nodeOf(p) * n + nodeOf(q)] -= 1;
    }
  }
  const failing = new Float64Array(n * n);
  const cause = new Int8Array(n * n).fill(-1);
  for (let k = 0; k < n * n; k++) {
    let best = 0;
    for (let c = 0; c < CAUSES.length; c++) {
      const x = byCause[c][k];
      failing[k] += x;
      if (x > best) {
        best = x;
        cause[k] = c;
      }
    }
  }
  return { nodes: f.nodes.map((x) => x.name), total, failing, byCause, cause };
}

/**
 * The cells whose failing count or cause differ between two snapshots of
 * the same cluster (for redrawing only what changed).
 *
 * @param before The earlier cells.
 * @param after The later cells (same nodes).
 * @returns Cell indexes (`i * nodes + j`), ascending; every cell when the node lists differ.
 * @example
 * ```ts
 * import { changedCells, generateFabric, nodeCells, recheckEdit, Verifier } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const v = new Verifier(unwrap(generateFabric({ mode: "host-gw", nodes: 3, podsPerNode: 2 }), (e) => e.message));
 * const before = nodeCells(v);
 * recheckEdit(v, { kind: "ip-forward", host: "node-2", on: false });
 * changedCells(before, nodeCells(v)); // [1, 3, 5, 7]: to and from node-2, across nodes
 * ```
 */
export function changedCells(before: NodeCells, after: NodeCells): number[] {
  const n = after.nodes.length;
  const same = before.nodes.length === n && before.nodes.every((x, i) => x === after.nodes[i]);
  const out: number[] = [];
  for (let k = 0; k < n * n; k++) {
    if (
      !same || before.failing[k] !== after.failing[k] || before.cause[k] !== after.cause[k] ||
      before.total[k] !== after.total[k]
    ) out.push(k);
  }
  return out;
}

function bump(m: Map<number, number>, k: number, by: number) {
  m.set(k, (m.get(k) ?? 0) + by);
}
