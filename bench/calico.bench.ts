/**
 * Calico at scale (issue 13): full verification and route edits on
 * `calico-bgp` clusters built by the builder. The verifier's compact form
 * follows pods on bridges; a Calico pod's routed `cali…` veth is not one,
 * so every pair of a Calico cluster is traced by the tracer (exact, one
 * trace per pair), and an edit re-verifies in full. That keeps these rows
 * to clusters of at most 100 nodes, far from the 5,000 nodes of the
 * flannel rows (target ≤ 1000 ms there): reaching it needs the compact form
 * to model routed pods (a `/32` per pod, proxy ARP), and `generateFabric`
 * to make Calico clusters without building their worlds.
 *
 * @module
 */
import { buildWorld, deleteRoute, unwrap, type World } from "../src/mod.js";
import { addRoute } from "../src/world/edit.js";
import { fabricFromWorld, recheckWorld, Verifier } from "../src/verify/mod.js";
import { type Row, stats, track } from "./support.js";

const PODS = 2;

function world(nodes: number): World {
  return unwrap(buildWorld({ mode: "calico-bgp", nodes, pods: PODS }), (e) => e.message);
}

function full(rows: Row[]) {
  for (const nodes of [10, 50, 100]) {
    const w = world(nodes);
    const times: number[] = [];
    let summary = { failing: -1, traced: 0, checked: 0 };
    for (let r = 0; r < 3; r++) {
      track.settle();
      const t = performance.now();
      const v = new Verifier(fabricFromWorld(w));
      summary = v.summary();
      times.push(performance.now() - t);
    }
    const s = stats(times);
    rows.push({
      what: "full verification, calico-bgp",
      size: `${nodes} nodes, ${
        nodes * PODS
      } pods, ${summary.traced} of ${summary.checked} pairs traced${
        summary.failing === 0 ? "" : `, ${summary.failing} failing`
      }`,
      median: s.median,
      p99: s.max,
      target: nodes === 100 ? "5,000 nodes ≤ 1000 ms: not yet (routed pods are traced)" : "",
      ok: summary.failing === 0 ? undefined : false,
    });
  }
}

/** Delete one node's route to another node's block, then put it back; each re-checked. */
function edits(rows: Row[]) {
  const nodes = 50;
  const base = world(nodes);
  const v = new Verifier(fabricFromWorld(base));
  v.summary();
  const times: number[] = [];
  let wrong = 0;
  let current = base;
  for (let i = 0; i < 5; i++) {
    const to = 1 + (i * 7) % (nodes - 1);
    const block = `10.244.${Math.floor((to * 64) / 256)}.${(to * 64) % 256}/26`;
    const line = `${block} via 192.168.0.${11 + to} dev eth0 proto bird`;
    const broken = unwrap(deleteRoute(current, "node-1", block), (e) => e.message);
    const del = recheckWorld(v, broken);
    current = unwrap(addRoute(broken, "node-1", line), (e) => e.message);
    const add = recheckWorld(v, current);
    // node-1's pods to that node's pods fail, and only those.
    if (del.summary.failing !== PODS * PODS || add.summary.failing !== 0) wrong++;
    times.push(del.millis, add.millis);
  }
  const s = stats(times);
  rows.push({
    what: "route edit re-check, calico-bgp",
    size: `${nodes} nodes, ${times.length} edits${
      wrong ? `, ${wrong} WRONG` : ""
    } (re-verified in full)`,
    median: s.median,
    p99: s.p99,
    target: "5,000 nodes median ≤ 0.1 ms: not yet",
    ok: wrong === 0 ? undefined : false,
  });
}

/**
 * The Calico rows.
 *
 * @returns Full verification at 10 to 100 nodes and route edits at 50.
 */
export function bench(): Row[] {
  const rows: Row[] = [];
  full(rows);
  edits(rows);
  return rows;
}
