/**
 * The tracer at cluster size: one trace whose path has the same length
 * (pod → its node → underlay → another node → pod) in host-gw worlds of
 * growing size, timed against the 2-node world in the same process, so the
 * ratio shows whether a trace's cost depends on its hops or on the
 * cluster; and what building and loading such a world costs.
 *
 * @module
 */
import {
  buildWorld,
  CLUSTER_LIMITS,
  formatLoadError,
  loadScenario,
  resolveProbe,
  toScenario,
  traceResolved,
  unwrap,
  type World,
} from "../src/mod.ts";
import { type Row, timeEach, track } from "./support.ts";

/** Node counts timed; the first is the baseline. */
const SIZES = [2, 20, 100] as const;

/**
 * A host-gw world of `nodes` nodes and `pods` pods each: the time to build
 * it (`buildWorld`), the heap the built world holds, and (up to 1,000
 * nodes) the time to load its saved document as a page or the CLI would.
 * A 5,000-node document is 25 million route lines, over a gigabyte of
 * text: it is not loaded here.
 */
function hostGw(
  nodes: number,
  pods = 1,
): { world: World; buildMs: number; loadMs?: number; heap: number } {
  const base = track.settle();
  let t = performance.now();
  const world = unwrap(buildWorld(clusterSpec(nodes, pods)), (e) => e.message);
  const buildMs = performance.now() - t;
  const heap = track.heapSince(base);
  if (nodes > 1000) return { world, buildMs, heap };
  const doc = toScenario(world);
  t = performance.now();
  unwrap(
    loadScenario(doc, { limits: CLUSTER_LIMITS }),
    (e) => e.map(formatLoadError).join("; "),
  );
  return { world, buildMs, loadMs: performance.now() - t, heap };
}

/** What a row says of loading the saved document. */
const loaded = (w: { loadMs?: number }) =>
  w.loadMs === undefined
    ? "its saved document is not loaded here"
    : `its saved document loads in ${w.loadMs.toFixed(0)} ms`;

/** A host-gw cluster; past 250 nodes, /24s of 10.0.0.0/8 on a /16 underlay (the defaults run out). */
function clusterSpec(nodes: number, pods: number) {
  if (nodes <= 250) return { mode: "host-gw", nodes, pods } as const;
  return {
    mode: "host-gw",
    nodes,
    pods,
    podCidrs: Array.from({ length: nodes }, (_, i) => `10.${16 + (i >> 8)}.${i & 255}.0/24`),
    clusterCidr: "10.0.0.0/8",
    underlay: "192.168.0.0/16",
  } as const;
}

/** Median and p99 of one trace from the first node's pod to the last node's, in ms. */
function timeTrace(world: World): { median: number; p99: number; hops: number } {
  const pods = world.pods;
  const probe = unwrap(
    resolveProbe(world, { from: pods[0].name, to: pods[pods.length - 1].name }),
    (e) => e.message,
  );
  const first = traceResolved(world, probe);
  if (first.verdict.kind !== "delivered") throw new Error("the probe was not delivered");
  const s = timeEach(() => traceResolved(world, probe), 20000, 3000);
  return { median: s.median, p99: s.p99, hops: first.hops.length };
}

/**
 * Runs the tracer's scaling rows.
 *
 * @returns The rows of the summary table.
 */
export function bench(): Row[] {
  const rows: Row[] = [];
  let baseline = NaN;
  for (const nodes of SIZES) {
    const built = hostGw(nodes);
    const t = timeTrace(built.world);
    if (nodes === SIZES[0]) baseline = t.median;
    const ratio = t.median / baseline;
    rows.push({
      what: "single trace, host-gw pod→pod across nodes",
      size: `${nodes} nodes, ${t.hops} hops; ${ratio.toFixed(2)}× the ${SIZES[0]}-node median`,
      median: t.median,
      p99: t.p99,
      target: nodes === SIZES[0] ? "median ≤ 0.010 ms" : "median ≤ 0.010 ms and ≤ 1.5× baseline",
      ok: t.median <= 0.010 && (nodes === SIZES[0] || ratio <= 1.5),
    });
    if (nodes === SIZES[SIZES.length - 1]) {
      rows.push({
        what: "build a host-gw world",
        size: `${nodes} nodes (${loaded(built)})`,
        median: built.buildMs,
        memory: built.heap,
        target: "reported (the target is the 5000-node row's)",
      });
    }
  }
  // Kubernetes' documented maximum: 5,000 nodes and 150,000 pods, with a
  // route on every node to every other node's pods (25 million routes; the
  // loader shares them, src/scenario/shared-routes.ts).
  for (const nodes of [1000, 5000]) {
    const big = hostGw(nodes, 30);
    const t = timeTrace(big.world);
    const ratio = t.median / baseline;
    const max = nodes === 5000;
    rows.push({
      what: "build a host-gw world",
      size: `${nodes} nodes, ${nodes * 30} pods, ${
        ((nodes * (nodes - 1)) / 1e6).toFixed(nodes < 5000 ? 1 : 0)
      }M routes (${loaded(big)}; peak RSS so far ${track.peakRss().toFixed(0)} MB)`,
      median: big.buildMs,
      memory: big.heap,
      target: max ? "≤ 3000 ms, ≤ 1500 MB" : "reported",
      ...(max ? { ok: big.buildMs <= 3000 && big.heap <= 1500 } : {}),
    });
    rows.push({
      what: "single trace, host-gw pod→pod across nodes",
      size: `${nodes} nodes, ${nodes * 30} pods, ${t.hops} hops; ${ratio.toFixed(2)}× the ${
        SIZES[0]
      }-node median`,
      median: t.median,
      p99: t.p99,
      target: "median ≤ 0.010 ms and ≤ 1.5× baseline",
      ok: t.median <= 0.010 && ratio <= 1.5,
    });
  }
  return rows;
}
