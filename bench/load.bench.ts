/**
 * The scenario loader's benchmark: time per item (device, route, neighbour
 * and FDB entry) for a large world against a small one, in the same
 * process. The loader must be linear: a hostile file packed into one
 * namespace (where repeated scans would be quadratic) and a large cluster
 * load in time proportional to their size. Run by `deno task bench`.
 *
 * @module
 */
import { loadScenario } from "../src/scenario/load.js";
import { buildScenario } from "../src/scenario/build.js";
import { type Row, stats } from "./support.js";

/** One namespace with `n` bridge ports, and `n` routes, neighbours and FDB entries. */
function packed(n: number): { doc: unknown; items: number } {
  const hex = (i: number) =>
    [0x02, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 1]
      .map((b) => b.toString(16).padStart(2, "0")).join(":");
  const ip = (i: number) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
  const devices: unknown[] = [{ name: "br0", kind: "bridge", addresses: ["10.0.0.1/8"] }];
  const routes: string[] = [];
  const neighbours: string[] = [];
  const fdb: string[] = [];
  for (let i = 0; i < n; i++) {
    devices.push({ name: `a${i}`, kind: "veth", master: "br0", peer: `r/b${i}` });
    devices.push({ name: `b${i}`, kind: "veth", peer: `r/a${i}` });
    routes.push(`${ip(i + 256)}/32 via 10.0.0.2 metric ${i % 7}`);
    neighbours.push(`${ip(i + 256)} dev br0 lladdr ${hex(i)}`);
    fdb.push(`${hex(i)} dev a${i} master`);
  }
  const doc = {
    version: 1,
    name: "packed",
    mode: "custom",
    segments: [],
    nodes: [],
    namespaces: [{ name: "r", role: "router", devices, routes, neighbours, fdb }],
    pods: [],
  };
  return { doc, items: 2 * n + 3 * n };
}

/** A generated host-gw cluster; items: namespaces, devices, lines, pods and containers. */
function cluster(nodes: number, pods: number): { doc: unknown; items: number } {
  const built = buildScenario({ mode: "host-gw", nodes, pods });
  if (!built.ok) throw new Error(built.error.message);
  const doc = JSON.parse(JSON.stringify(built.value));
  let items = doc.pods.length * 3;
  for (const ns of doc.namespaces) {
    items += 1 + ns.devices.length + (ns.routes?.length ?? 0) + (ns.neighbours?.length ?? 0) +
      (ns.fdb?.length ?? 0);
  }
  return { doc, items };
}

/** Median ms per item over `runs` loads. */
function perItem(w: { doc: unknown; items: number }, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = loadScenario(w.doc);
    times.push(performance.now() - t);
    if (!r.ok) throw new Error(JSON.stringify(r.error.slice(0, 3)));
  }
  return stats(times).median / w.items;
}

/** Largest ratio of a large world's time per item to the small world's. */
const LINEAR = 3;

/**
 * The rows: each large world against a small world of the same shape (so
 * the ratio measures growth, not shape), loaded in the same process.
 */
export function bench(): Row[] {
  const rows: Row[] = [];
  const pairs = [
    ["load: one namespace packed", packed(200), packed(20_000)],
    ["load: host-gw cluster", cluster(5, 30), cluster(100, 30)],
  ] as const;
  for (const [what, small, large] of pairs) {
    perItem(small, 10); // warm up
    const base = perItem(small, 30);
    const ratio = perItem(large, 5) / base;
    rows.push({
      what: `${what} (baseline)`,
      size: `${small.items} items`,
      median: base * small.items,
      target: "(baseline)",
    }, {
      what,
      size: `${large.items} items`,
      median: perItem(large, 1) * large.items,
      target: `per item ≤ ${LINEAR}× baseline: ${ratio.toFixed(2)}×`,
      ok: ratio <= LINEAR,
    });
  }
  return rows;
}
