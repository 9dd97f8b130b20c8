/**
 * Calico at scale (issue 13): full verification of generated `calico-bgp`,
 * `calico-ipip` and `calico-vxlan` clusters from 10 to 5,000 nodes (30 routed pods per
 * node), with the memory the fabric and the verifier hold, and incremental
 * re-checks after one route edit at 5,000 nodes (a node's route to another
 * node's block deleted, then restored). The targets are flannel's
 * (`verify.bench.ts`): at 5,000 nodes full verification ≤ 1000 ms and ≤
 * 300 MB, an edit's re-check median ≤ 0.1 ms and p99 ≤ 1 ms. Each full
 * verification and edit row also gives its ratio to the flannel host-gw
 * cluster of the same size measured in the same process, so a loaded
 * machine shows as slower rows, not as a different ratio.
 *
 * @module
 */
import { unwrap } from "../src/mod.js";
import {
  addrText,
  generateFabric,
  type GenerateSpec,
  recheckEdit,
  routeLines,
  Verifier,
} from "../src/verify/mod.js";
import { type Row, stats, track } from "./support.js";
import { heapOf } from "./verify.bench.ts";

const MODES = ["calico-bgp", "calico-ipip", "calico-vxlan"] as const;

/** Median of full verifications of a generated cluster, and the failing count of the last. */
function verifyMedian(
  spec: GenerateSpec,
  runs: number,
): { median: number; max: number; failing: number } {
  const times: number[] = [];
  let failing = -1;
  for (let r = 0; r < runs; r++) {
    const fabric = unwrap(generateFabric(spec), (e) => e.message);
    // The last run's and the generator's garbage are collected untimed.
    track.settle();
    const t = performance.now();
    const v = new Verifier(fabric);
    failing = v.result().failing;
    times.push(performance.now() - t);
    track.sample();
  }
  const s = stats(times);
  return { median: s.median, max: s.max, failing };
}

function full(rows: Row[]) {
  for (const nodes of [10, 100, 1000, 5000]) {
    const runs = nodes >= 5000 ? 5 : 7;
    const baseline = verifyMedian({ mode: "host-gw", nodes, podsPerNode: 30 }, runs).median;
    for (const mode of MODES) {
      const spec: GenerateSpec = { mode, nodes, podsPerNode: 30 };
      const memory = nodes >= 1000 ? heapOf(spec) : undefined;
      const s = verifyMedian(spec, runs);
      const held = memory ? memory.fabric + memory.verifier : undefined;
      rows.push({
        what: `full verification, ${mode}`,
        size: `${nodes} nodes, ${nodes * 30} pods${
          s.failing === 0 ? "" : `, ${s.failing} failing`
        }${
          memory
            ? ` (fabric ${memory.fabric.toFixed(0)} MB + verifier ${memory.verifier.toFixed(0)} MB)`
            : ""
        }; ${(s.median / baseline).toFixed(2)}× host-gw's ${baseline.toFixed(1)} ms`,
        median: s.median,
        p99: s.max,
        memory: held,
        target: nodes === 5000 ? "≤ 1000 ms, ≤ 300 MB" : "",
        ok: nodes === 5000
          ? s.failing === 0 && s.median <= 1000 && held! <= 300
          : s.failing === 0
          ? undefined
          : false,
      });
    }
  }
}

/**
 * 1,000 random edits at 5,000 nodes: one node's route to another node's
 * pods deleted and restored, each re-checked; `wrong` counts edits whose
 * counts were not exactly 30 × 30 failing pairs, then none.
 */
function editTimes(mode: GenerateSpec["mode"]): { times: number[]; wrong: number } {
  const nodes = 5000;
  const v = new Verifier(
    unwrap(generateFabric({ mode, nodes, podsPerNode: 30 }), (e) => e.message),
  );
  // Every node shows another node's pod range with the same `ip route` line
  // (node-1's table has all but its own, node-2's has node-1's).
  const lineTo = new Map<string, string>();
  for (const host of ["node-2", "node-1"]) {
    for (const l of routeLines(v.fabric, host)!) {
      const via = / via (\S+) /.exec(`${l} `)?.[1];
      if (via !== undefined && !l.startsWith("default")) lineTo.set(via, l);
    }
  }
  const eth0 = (node: number) =>
    addrText(v.fabric.hosts[node].devices.find((d) => d.name === "eth0")!.addresses[0].addr);
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const times: number[] = [];
  let wrong = 0;
  for (let i = 0; i < 1000; i++) {
    const from = rand(nodes);
    let to = rand(nodes);
    if (to === from) to = (to + 1) % nodes;
    const host = `node-${from + 1}`;
    const line = lineTo.get(eth0(to))!;
    const dst = line.split(" ")[0];
    const del = unwrap(
      recheckEdit(v, { kind: "route-delete", host, route: dst }),
      (e) => e.message,
    );
    const add = unwrap(recheckEdit(v, { kind: "route-add", host, route: line }), (e) => e.message);
    // Deleting node A's route to node B's pods breaks exactly A's 30 pods to B's 30.
    if (del.summary.failing !== 900 || add.summary.failing !== 0 || !del.incremental) wrong++;
    times.push(del.millis, add.millis);
  }
  track.sample();
  return { times, wrong };
}

/** Route edits on Calico clusters, with host-gw's in the same process as the baseline. */
function edits(rows: Row[]) {
  const baseline = stats(editTimes("host-gw").times).median;
  for (const mode of MODES) {
    const { times, wrong } = editTimes(mode);
    const s = stats(times);
    rows.push({
      what: `incremental route edit, ${mode}`,
      size: `5000 nodes, ${times.length} edits${wrong ? `, ${wrong} WRONG` : ""}; ${
        (s.median / baseline).toFixed(2)
      }× host-gw's ${(baseline * 1000).toFixed(1)} µs`,
      median: s.median,
      p99: s.p99,
      target: "median ≤ 0.1 ms, p99 ≤ 1 ms",
      ok: wrong === 0 && s.median <= 0.1 && s.p99 <= 1,
    });
  }
}

/**
 * The Calico rows.
 *
 * @returns Full verification from 10 to 5,000 nodes and route edits at 5,000.
 */
export function bench(): Row[] {
  const rows: Row[] = [];
  full(rows);
  edits(rows);
  return rows;
}
