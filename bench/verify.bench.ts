/**
 * The scale verifier's benchmark (issue 5): single-trace latency, full
 * verification from 10 to 5,000 nodes (30 pods per node) for host-gw and
 * VXLAN, incremental re-checks after one route edit at 5,000 nodes, memory,
 * and pair-by-pair tracing on a sample extrapolated to all pairs. Run by
 * `deno task bench` (see `run.ts`); everything happens in one process.
 *
 * @module
 */
import {
  addRoute,
  buildWorld,
  checkPair,
  deleteRoute,
  podIp,
  podsWithIp,
  resolveProbe,
  traceResolved,
  unwrap,
  type World,
} from "../src/mod.js";
import {
  addrText,
  generateFabric,
  type GenerateSpec,
  recheckEdit,
  Verifier,
} from "../src/verify/mod.js";
import { type Row, stats, timeEach, track } from "./support.js";

const MODES = ["host-gw", "vxlan"] as const;

/** Keeps measured objects reachable until their heap has been read. */
const keep: unknown[] = [];

/**
 * Heap (after full collections) held by a generated fabric and by a verifier
 * of it, in MB. Measured in its own call so nothing else is still reachable.
 */
export function heapOf(spec: GenerateSpec): { fabric: number; verifier: number; rss: number } {
  const base = track.settle();
  const fabric = unwrap(generateFabric(spec), (e) => e.message);
  const fabricMb = track.heapSince(base);
  keep.push(fabric);
  const v = new Verifier(fabric);
  v.result();
  const total = track.heapSince(base);
  const rss = track.rss();
  keep.push(v);
  keep.length = 0;
  return { fabric: fabricMb, verifier: total - fabricMb, rss };
}

/** Process RSS with one 5,000-node verification live, by mode. */
const rssAtTop = new Map<string, number>();

/**
 * The gateway scenario with a detour: the gateway sends node-2's pods via
 * node-3, which forwards to node-2 (9 hops: pod, node, underlay, gateway,
 * underlay, node, underlay, node, pod).
 */
function detour(): World {
  const world = unwrap(buildWorld({ mode: "gateway", nodes: 3, pods: 2 }), (e) => e.message);
  const viaNode3 = unwrap(deleteRoute(world, "gateway", "10.244.2.0/24"), (e) => e.message);
  const w2 = unwrap(
    addRoute(viaNode3, "gateway", "10.244.2.0/24 via 192.168.0.13"),
    (e) => e.message,
  );
  return unwrap(addRoute(w2, "node-3", "10.244.2.0/24 via 192.168.0.12"), (e) => e.message);
}

/** Single-trace latency on lesson-sized clusters: one timing per trace. */
function singleTrace(rows: Row[]) {
  const cases = [
    [
      "vxlan pod→pod",
      unwrap(buildWorld({ mode: "vxlan", nodes: 3, pods: 2 }), (e) => e.message),
      "e",
    ],
    [
      "gateway pod→pod",
      unwrap(buildWorld({ mode: "gateway", nodes: 3, pods: 2 }), (e) => e.message),
      "e",
    ],
    ["gateway detour via node-3", detour(), "c"],
  ] as const;
  for (const [name, world, to] of cases) {
    const probe = unwrap(resolveProbe(world, { from: "a", to }), (e) => e.message);
    const first = traceResolved(world, probe);
    const steps = first.hops.reduce((n, h) => n + h.steps.length, 0);
    const s = timeEach(() => traceResolved(world, probe), 30000, 5000);
    if (first.verdict.kind !== "delivered") throw new Error(`${name}: not delivered`);
    rows.push({
      what: `single trace, ${name}`,
      size: `${first.hops.length} hops, ${steps} steps`,
      median: s.median,
      p99: s.p99,
      target: "median ≤ 0.010 ms",
      ok: s.median <= 0.010,
    });
  }
}

/** Full verification of generated clusters; returns the 5,000-node medians by mode. */
function fullVerification(rows: Row[]): Map<string, number> {
  const top = new Map<string, number>();
  for (const nodes of [10, 100, 1000, 5000]) {
    for (const mode of MODES) {
      const spec: GenerateSpec = { mode, nodes, podsPerNode: 30 };
      const runs = nodes >= 5000 ? 5 : 7;
      const times: number[] = [];
      let failing = -1;
      const memory = nodes >= 1000 ? heapOf(spec) : undefined;
      if (nodes === 5000) rssAtTop.set(mode, memory!.rss);
      for (let r = 0; r < runs; r++) {
        track.settle(); // collect the last run's garbage, untimed
        const fabric = unwrap(generateFabric(spec), (e) => e.message);
        const t = performance.now();
        const v = new Verifier(fabric);
        const result = v.result();
        times.push(performance.now() - t);
        failing = result.failing;
        track.sample();
      }
      const s = stats(times);
      if (nodes === 5000) top.set(mode, s.median);
      rows.push({
        what: `full verification, ${mode}`,
        size: `${nodes} nodes, ${nodes * 30} pods${failing === 0 ? "" : `, ${failing} failing`}${
          memory
            ? ` (fabric ${memory.fabric.toFixed(0)} MB + verifier ${memory.verifier.toFixed(0)} MB)`
            : ""
        }`,
        median: s.median,
        p99: s.max,
        memory: memory ? memory.fabric + memory.verifier : undefined,
        target: nodes === 5000 ? "≤ 1000 ms (stretch 300), ≤ 300 MB" : "",
        ok: nodes === 5000
          ? s.median <= 1000 && memory!.fabric + memory!.verifier <= 300
          : undefined,
      });
    }
  }
  return top;
}

/** Incremental re-checks after one route edit at 5,000 nodes: break a route, then restore it. */
function incremental(rows: Row[]) {
  const nodes = 5000;
  for (const mode of MODES) {
    const v = new Verifier(
      unwrap(generateFabric({ mode, nodes, podsPerNode: 30 }), (e) => e.message),
    );
    const base = v.fabric.baseRoutes;
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const times: number[] = [];
    let wrong = 0;
    const edits = 1000;
    for (let i = 0; i < edits; i++) {
      const from = rand(nodes);
      let to = rand(nodes);
      if (to === from) to = (to + 1) % nodes;
      const route = base[to + 1];
      const host = `node-${from + 1}`;
      const dst = `${addrText(route.dst)}/24`;
      const back = mode === "vxlan"
        ? `${dst} via ${addrText(route.via)} dev flannel.1 onlink`
        : `${dst} via ${addrText(route.via)} dev eth0`;
      const del = unwrap(
        recheckEdit(v, { kind: "route-delete", host, route: dst }),
        (e) => e.message,
      );
      const add = unwrap(
        recheckEdit(v, { kind: "route-add", host, route: back }),
        (e) => e.message,
      );
      // Deleting node A's route to node B breaks exactly A's 30 pods to B's 30.
      if (del.summary.failing !== 900 || add.summary.failing !== 0 || !del.incremental) wrong++;
      times.push(del.millis, add.millis);
    }
    const s = stats(times);
    track.sample();
    rows.push({
      what: `incremental route edit, ${mode}`,
      size: `${nodes} nodes, ${times.length} edits${wrong ? `, ${wrong} WRONG` : ""}`,
      median: s.median,
      p99: s.p99,
      target: "median ≤ 0.1 ms, p99 ≤ 1 ms",
      ok: wrong === 0 && s.median <= 0.1 && s.p99 <= 1,
    });
  }
}

/** Pair-by-pair tracing on a random sample of a kernel world, extrapolated to 150,000 pods. */
function pairByPair(rows: Row[], verifierMs: Map<string, number>) {
  const pods = 150000;
  const allPairs = pods * (pods - 1);
  for (const mode of MODES) {
    const world: World = unwrap(buildWorld({ mode, nodes: 50, pods: 30 }), (e) => e.message);
    const live = world.pods.map((pod) => ({
      pod,
      ip: podIp(world, pod)!,
      namespace: pod.namespace!,
    }));
    let seed = 99;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const sample = 1000;
    const pairs = Array.from({ length: sample }, () => {
      const a = rand(live.length);
      let b = rand(live.length);
      if (b === a) b = (b + 1) % live.length;
      return [live[a], live[b]] as const;
    });
    for (const [a, b] of pairs.slice(0, 300)) checkPair(world, a, b);
    // Five rounds over the sample; the median round's mean stands for the cost.
    const rounds = (run: (i: number) => void) => {
      const means: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        for (let i = 0; i < sample; i++) run(i);
        means.push((performance.now() - t) / sample);
      }
      return stats(means).median;
    };
    const perPair = rounds((i) => checkPair(world, pairs[i][0], pairs[i][1]));
    // The tracer alone (claimants looked up beforehand).
    const probes = pairs.map(([a, b]) => ({
      namespace: a.namespace,
      pod: a.pod,
      dst: b.ip,
      intended: b.pod,
      claimants: podsWithIp(world, b.ip),
      proto: "icmp" as const,
      size: 84,
      df: true,
    }));
    const perTrace = rounds((i) => traceResolved(world, probes[i]));
    const fast = verifierMs.get(mode)!;
    for (const [label, ms] of [["checkPair", perPair], ["tracer only", perTrace]] as const) {
      const total = ms * allPairs;
      rows.push({
        what: `pair by pair (${label}), ${mode}`,
        size: `${sample} pairs × 5 of a 50-node world → ${fmtDuration(total)} for 150,000 pods`,
        median: ms,
        speedup: total / fast,
        target: "",
      });
    }
    track.sample();
  }
}

function fmtDuration(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${(h / 24).toFixed(0)} days` : `${h.toFixed(1)} h`;
}

/**
 * Runs every measurement.
 *
 * @returns The rows of the summary table.
 */
export function bench(): Row[] {
  const rows: Row[] = [];
  singleTrace(rows);
  const top = fullVerification(rows);
  const rss = Math.max(...rssAtTop.values());
  rows.push({
    what: "process RSS, one 5000-node verification live",
    size: "Deno runtime + fabric + verifier, after a full GC",
    memory: rss,
    target: "≤ 300 MB",
    ok: rss <= 300,
  });
  track.settle();
  incremental(rows);
  pairByPair(rows, top);
  rows.push({
    what: "peak memory (RSS, whole run)",
    size: "",
    memory: track.peakRss(),
    target: "",
  });
  return rows;
}
