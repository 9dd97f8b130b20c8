/**
 * Measurements a lesson page makes in the reader's own browser: what one
 * pair-by-pair check costs on the page's cluster (to extrapolate to
 * Kubernetes' limits), and a full and incremental verification of a
 * generated cluster at those limits (run in a Web Worker, see `worker.ts`).
 *
 * @module
 */
import { addrText, type GenerateError, generateFabric, type GenerateSpec } from "./fabric.js";
import { ok, type Result } from "../result.js";
import { checkPair } from "../invariants/invariants.js";
import { podIp } from "../world/query.js";
import type { World } from "../model/world.js";
import { recheckEdit } from "./incremental.js";
import { type Classes, Verifier } from "./verifier.js";

/** What pair-by-pair checking costs, measured on a sample. */
export interface PairCost {
  /** Pairs checked. */
  readonly pairs: number;
  /** Wall time for all of them, in milliseconds. */
  readonly millis: number;
  /** Milliseconds per pair. */
  readonly perPair: number;
}

/** A small deterministic random number generator (a linear congruential one). */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
}

/**
 * Checks `sample` random ordered pod pairs of a world one by one, the way
 * `natFreeReachability` does (a full trace each), and times it.
 *
 * @param world The world.
 * @param options How many pairs (default 200) and the random seed (default 1).
 * @returns The cost; zero pairs when the world has fewer than two pods.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { pairByPairCost } from "./measure.js";
 * const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3 }), (e) => e.message);
 * pairByPairCost(world, { sample: 20 }).pairs; // 20
 * ```
 */
export function pairByPairCost(
  world: World,
  options: { sample?: number; seed?: number } = {},
): PairCost {
  const live = world.pods.flatMap((pod) => {
    const ip = pod.namespace === undefined ? undefined : podIp(world, pod);
    return ip === undefined ? [] : [{ pod, ip, namespace: pod.namespace! }];
  });
  if (live.length < 2) return { pairs: 0, millis: 0, perPair: 0 };
  const rand = lcg(options.seed ?? 1);
  const sample = options.sample ?? 200;
  const pairs = Array.from({ length: sample }, () => {
    const a = rand(live.length);
    let b = rand(live.length);
    if (b === a) b = (b + 1) % live.length;
    return [live[a], live[b]] as const;
  });
  const start = performance.now();
  for (const [a, b] of pairs) checkPair(world, a, b);
  const millis = performance.now() - start;
  return { pairs: sample, millis, perPair: millis / sample };
}

/** A verification at scale, as {@linkcode verifyAtScale} measured it. */
export interface ScaleRun {
  readonly mode: GenerateSpec["mode"];
  readonly nodes: number;
  readonly pods: number;
  /** Ordered pod pairs. */
  readonly checked: number;
  readonly failing: number;
  readonly holds: boolean;
  /** Milliseconds to generate the compact cluster. */
  readonly generateMillis: number;
  /** Milliseconds for the full verification. */
  readonly verifyMillis: number;
  readonly classes: Classes;
  /** Incremental re-checks: a route deleted then restored, timed each. */
  readonly edits: {
    readonly count: number;
    /** Wall time of all edits together, divided by their number (immune to a coarse timer). */
    readonly mean: number;
    /** The median, over groups of 10 edits timed together, of the time per edit. */
    readonly typical: number;
    readonly median: number;
    readonly p99: number;
    readonly max: number;
    /** Edits whose counts were not the expected ones (should be 0). */
    readonly wrong: number;
    /** How many of them were incremental. */
    readonly incremental: number;
  };
  /**
   * The smallest step `performance.now()` took here, in milliseconds:
   * browsers coarsen it (Chromium to 0.1 ms on a page that is not
   * cross-origin isolated), so single edits below it read as 0 or one step.
   */
  readonly timerResolution: number;
}

/**
 * The smallest step of `performance.now()` seen in a few tries.
 *
 * @returns Milliseconds.
 * @example
 * ```ts
 * import { timerResolution } from "./measure.js";
 * timerResolution() > 0; // true
 * ```
 */
export function timerResolution(): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    let b = a;
    while (b === a) b = performance.now();
    best = Math.min(best, b - a);
  }
  return best;
}

/**
 * Generates a host-gw or VXLAN cluster, verifies it in full, then deletes
 * and restores `edits / 2` random node-to-node routes, re-checking after
 * each edit; every deletion must break exactly one node's pods to another's.
 *
 * @param spec Mode, nodes and pods per node (Kubernetes' limit: 5,000 × 30).
 * @param options Number of timed edits (default 200) and the random seed.
 * @returns The measurements, or the field of the spec that is out of range.
 * @example
 * ```ts
 * import { verifyAtScale } from "./measure.js";
 * const run = verifyAtScale({ mode: "host-gw", nodes: 20, podsPerNode: 3 }, { edits: 10 });
 * if (run.ok) run.value.checked; // 3540: 60 pods × 59
 * if (run.ok) run.value.edits.wrong; // 0
 * ```
 */
export function verifyAtScale(
  spec: GenerateSpec,
  options: { edits?: number; seed?: number } = {},
): Result<ScaleRun, GenerateError> {
  let t = performance.now();
  const generated = generateFabric(spec);
  if (!generated.ok) return generated;
  const fabric = generated.value;
  const generateMillis = performance.now() - t;
  t = performance.now();
  const v = new Verifier(fabric);
  const summary = v.summary();
  const verifyMillis = performance.now() - t;
  const classes = v.classes();
  const byDst = new Map(fabric.baseRoutes.filter((r) => r.bits === 24).map((r) => [r.dst, r]));
  const rand = lcg(options.seed ?? 7);
  const times: number[] = [];
  let wrong = 0;
  let incremental = 0;
  const rounds = Math.floor((options.edits ?? 200) / 2);
  const n = spec.nodes;
  const k = spec.podsPerNode;
  const batch = performance.now();
  // Groups of 5 rounds (10 edits) are also timed together: robust to a coarse clock.
  const groups: number[] = [];
  let group = { start: performance.now(), edits: 0 };
  for (let i = 0; i < rounds && n > 1 && k > 0; i++) {
    const from = rand(n);
    let to = rand(n);
    if (to === from) to = (to + 1) % n;
    // The route to node `to`'s pod CIDR (its first pod's subnet).
    const route = byDst.get(fabric.pods.subnet[to * k]);
    if (route === undefined) continue;
    const host = `node-${from + 1}`;
    const prefix = `${addrText(route.dst)}/${route.bits}`;
    const back = route.onlink
      ? `${prefix} via ${addrText(route.via)} dev ${route.dev} onlink`
      : `${prefix} via ${addrText(route.via)} dev ${route.dev}`;
    const del = recheckEdit(v, { kind: "route-delete", host, route: prefix });
    const add = recheckEdit(v, { kind: "route-add", host, route: back });
    if (!del.ok || !add.ok) {
      wrong++;
      continue;
    }
    if (del.value.summary.failing !== k * k || add.value.summary.failing !== 0) wrong++;
    for (const r of [del.value, add.value]) {
      times.push(r.millis);
      if (r.incremental) incremental++;
    }
    group.edits += 2;
    if (group.edits === 10) {
      groups.push((performance.now() - group.start) / group.edits);
      group = { start: performance.now(), edits: 0 };
    }
  }
  const batchMillis = performance.now() - batch;
  groups.sort((a, b) => a - b);
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
  return ok({
    mode: spec.mode,
    nodes: n,
    pods: fabric.pods.count,
    checked: summary.checked,
    failing: summary.failing,
    holds: summary.holds,
    generateMillis,
    verifyMillis,
    classes,
    timerResolution: timerResolution(),
    edits: {
      count: times.length,
      mean: times.length ? batchMillis / times.length : 0,
      typical: groups.length ? groups[Math.floor(groups.length / 2)] : at(0.5),
      median: at(0.5),
      p99: at(0.99),
      max: sorted.length ? sorted[sorted.length - 1] : 0,
      wrong,
      incremental,
    },
  });
}
