/**
 * The scale verifier on Calico clusters (routed pods, no bridge) against
 * the pair-by-pair reference `natFreeReachability`: generated clusters of
 * every Calico mode, with BGP faults (a lost peering, BIRD stopped, a node
 * down past the hold time, an export filter) and broken node state (proxy
 * ARP off, a blackhole removed, a pod's `/32` removed, a `cali…` veth or a
 * pod's eth0 down, ip_forward off, the default route gone) and fuzz/'s
 * mutations. The verifier must find exactly the reference's failing pairs,
 * and verify routed pods by classes (no pair traced) when nothing is odd.
 * A verifier that forgets the pods' `/32` routes is caught.
 *
 * Property runs print fast-check's seed and path when they fail; set
 * FC_SEED (and FC_PATH) to replay one.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { replayParameters } from "./support/property.ts";
import {
  addIptables,
  Addr,
  addRoute,
  buildScenario,
  buildWorld,
  type ClusterSpec,
  deleteRoute,
  formatRoute,
  type Mode,
  Prefix,
  setIpForward,
  unwrap,
  type World,
} from "../src/mod.js";
import {
  type Fabric,
  type FabricEdit,
  fabricFromWorld,
  generateFabric,
  recheckEdit,
  recheckWorld,
  routeLines,
  Verifier,
} from "../src/verify/mod.js";
import {
  applyMutations,
  CALICO_FUZZ_MODES,
  describeMutation,
  type Mutation,
  mutationsOf,
} from "../src/fuzz/mutate.ts";
import type { BgpFault } from "../src/control/bgp.ts";
import type { ScenarioDoc } from "../src/scenario/schema.ts";
import { differences, reference, verified } from "./support/pairs.ts";

const replay = replayParameters();

const BGP_MODES: readonly Mode[] = ["calico-bgp", "calico-ipip"];

function faultArb(nodes: number): fc.Arbitrary<BgpFault> {
  const node = fc.integer({ min: 0, max: nodes - 1 });
  return fc.oneof(
    fc.tuple(node, node).filter(([a, b]) => a !== b).map(([a, b]): BgpFault => ({
      kind: "missing-peering",
      a,
      b,
    })),
    node.map((n): BgpFault => ({ kind: "bird-stopped", node: n })),
    fc.tuple(node, fc.constantFrom(10, 300)).map(([n, elapsed]): BgpFault => ({
      kind: "node-down",
      node: n,
      elapsed,
    })),
    node.map((n): BgpFault => ({
      kind: "export-filter",
      node: n,
      prefix: Prefix.mustParse("10.244.0.0/26"),
    })),
  );
}

/** A Calico cluster spec: mode, 1–4 nodes, 1–3 pods each, block size, BGP faults. */
const specArb: fc.Arbitrary<ClusterSpec> = fc.constantFrom(...CALICO_FUZZ_MODES).chain((mode) =>
  fc.integer({ min: 1, max: 4 }).chain((nodes) =>
    fc.record({
      pods: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nodes, maxLength: nodes }),
      blockBits: fc.constantFrom(26, 26, 29, 30),
      faults: BGP_MODES.includes(mode) && nodes > 1
        ? fc.array(faultArb(nodes), { maxLength: 2 })
        : fc.constant([]),
      reflectors: fc.boolean(),
    }).map(({ pods, blockBits, faults, reflectors }): ClusterSpec => ({
      mode,
      nodes,
      pods,
      blockBits,
      ...(BGP_MODES.includes(mode)
        ? {
          bgp: {
            topology: reflectors && nodes > 2
              ? { kind: "route-reflectors", reflectors: [0] }
              : { kind: "full-mesh" },
            faults,
          },
        }
        : {}),
    }))
  )
);

/** What Calico's nodes depend on, broken one at a time. */
function calicoBreakages(doc: ScenarioDoc): fc.Arbitrary<Mutation> {
  const nodes = doc.namespaces.filter((n) => n.role === "node");
  const options: Mutation[] = [];
  for (const n of nodes) {
    for (const key of Object.keys(n.sysctl ?? {})) {
      const dev = /^net\.ipv4\.conf\.(.+)\.proxy_arp$/.exec(key)?.[1];
      if (dev !== undefined) {
        options.push({
          kind: "sysctl",
          ns: n.name,
          key: `net.ipv4.conf.${dev}.proxy_arp`,
          value: 0,
        });
      }
    }
    for (const route of n.routes ?? []) {
      // A blackhole for a block, a pod's /32, a BGP route, the default route.
      options.push({ kind: "route-delete", ns: n.name, route });
    }
    for (const d of n.devices ?? []) {
      if (d.kind === "veth") {
        options.push({ kind: "link-down", ns: n.name, dev: d.name });
        options.push({ kind: "link-down", ns: d.peer!.split("/")[0], dev: "eth0" });
      }
    }
    options.push({ kind: "sysctl", ns: n.name, key: "net.ipv4.ip_forward", value: 0 });
  }
  return fc.constantFrom(...options);
}

interface Broken {
  readonly spec: ClusterSpec;
  readonly applied: readonly Mutation[];
  readonly world: World;
}

function brokenCalico(maxMutations: number): fc.Arbitrary<Broken> {
  return specArb.map((spec) => ({ spec, doc: buildScenario(spec) }))
    .filter((x) => x.doc.ok)
    .chain(({ spec, doc }) => {
      const d = (doc as { ok: true; value: ScenarioDoc }).value;
      return fc.array(fc.oneof(calicoBreakages(d), mutationsOf(d)), { maxLength: maxMutations })
        .map((ms) => {
          const m = applyMutations(d, ms);
          const out = { spec, applied: m.applied, world: m.world };
          Object.defineProperty(out, fc.toStringMethod, {
            value: () => JSON.stringify({ spec, applied: m.applied.map(describeMutation) }),
          });
          return out;
        });
    });
}

function agrees(make: (f: Fabric) => Verifier) {
  return ({ world }: { world: World }) => {
    const v = make(fabricFromWorld(world));
    const diff = differences(reference(world), verified(v));
    if (diff.length > 0) throw new Error(`Verifier disagrees:\n  ${diff.slice(0, 6).join("\n  ")}`);
  };
}

test("Calico clusters of every mode: the verifier finds exactly the reference's failing pairs", () => {
  fc.assert(fc.property(brokenCalico(0), agrees((f) => new Verifier(f))), {
    numRuns: 60,
    ...replay,
  });
});

test("...and with BGP faults and broken nodes: proxy ARP off, blackholes and /32s removed, links down", () => {
  fc.assert(fc.property(brokenCalico(3), agrees((f) => new Verifier(f))), {
    numRuns: 200,
    includeErrorInReport: true,
    ...replay,
  });
});

test("routed pods are verified by classes: one destination per block, no pair traced", () => {
  for (
    const mode of [
      "calico-bgp",
      "calico-ipip",
      "calico-vxlan",
      "calico-vxlan-cross-subnet",
    ] as const
  ) {
    const world = unwrap(buildWorld({ mode, nodes: 6, pods: 5 }), (e) => e.message);
    const v = new Verifier(fabricFromWorld(world));
    const s = v.summary();
    assert.is(s.failing, 0, mode);
    assert.is(s.traced, 0, `${mode}: ${s.traced} pairs traced`);
    const c = v.classes();
    assert.is(c.destinations, 6, `${mode}: one destination class per node's block`);
    assert.is(c.oddPods, 0, mode);
  }
});

test("a pod's /32 removed: exactly the pairs to it fail, as the reference says", () => {
  const world = unwrap(buildWorld({ mode: "calico-bgp", nodes: 3, pods: 2 }), (e) => e.message);
  const node = world.namespaces.find((n) => n.name === "node-2")!;
  const pod = world.pods.find((p) => p.node === "node-2")!;
  const ip = world.namespaces.find((n) => n.name === pod.namespace)!.devices[1].addresses[0].addr;
  const broken: World = {
    ...world,
    namespaces: world.namespaces.map((n) =>
      n === node
        ? { ...n, routes: n.routes.filter((r) => r.dst.addr !== ip || r.dst.bits !== 32) }
        : n
    ),
  };
  const expected = reference(broken);
  assert.is(expected.size, 5, "every other pod loses the pod (the node's blackhole takes it)");
  for (const k of expected.keys()) assert.ok(k.endsWith(`>${pod.name}`), k);
  assert.equal(differences(expected, verified(new Verifier(fabricFromWorld(broken)))), []);
  assert.ok(Addr.mustParse(ip.toString()) === ip);
});

test("a verifier that forgets the pods' /32 routes is caught, with a counterexample", () => {
  // The wrong verifier: it drops every routed pod's host route.
  const wrong = (f: Fabric) =>
    new Verifier({ ...f, pods: { ...f.pods, hostRoute: new Uint8Array(f.pods.count) } });
  const out = fc.check(fc.property(brokenCalico(0), agrees(wrong)), { numRuns: 100, seed: 42 });
  assert.ok(out.failed, "the differential property must catch the wrong verifier");
  assert.match(String(out.errorInstance), /reference "ok", verifier "dropped/);
});

/** JSON with keys sorted, so records built in another field order compare equal. */
function canonical(x: unknown): string {
  return JSON.stringify(
    x,
    (_, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

test("the generator lays out what buildWorld builds for Calico (routes, devices, pods, verdicts)", () => {
  for (const mode of ["calico-bgp", "calico-ipip", "calico-vxlan"] as const) {
    for (const [nodes, pods] of [[1, 1], [4, 3], [3, 30]]) {
      const world = unwrap(buildWorld({ mode, nodes, pods }), (e) => e.message);
      const a = fabricFromWorld(world);
      const b = unwrap(generateFabric({ mode, nodes, podsPerNode: pods }), (e) => e.message);
      const what = `${mode}, ${nodes} nodes × ${pods}`;
      for (const h of a.hosts) {
        assert.equal(routeLines(b, h.name), routeLines(a, h.name), `${what}: ${h.name} routes`);
      }
      assert.is(canonical(b.hosts.map((h) => h.devices)), canonical(a.hosts.map((h) => h.devices)));
      assert.is(canonical(b.domains), canonical(a.domains), what);
      const podRows = (f: Fabric) =>
        Array.from({ length: f.pods.count }, (_, p) => [
          f.pods.name(p),
          f.pods.ip[p],
          f.pods.mac(p),
          f.pods.gateway[p],
          f.pods.domain[p],
          f.pods.hostRoute[p],
          f.pods.proxyArp[p],
          f.pods.node[p],
        ]);
      assert.equal(podRows(b), podRows(a), what);
      // Each host's neighbour and VXLAN FDB entries (own ∪ base − removed).
      const tables = (f: Fabric) =>
        f.hosts.map((h) => [
          [...h.ownNeighbours, ...f.baseNeighbours.filter((_, i) => !h.removedNeighbours.has(i))]
            .map(canonical).sort(),
          [...h.ownFdb, ...f.baseFdb.filter((_, i) => !h.removedFdb.has(i))].map(canonical).sort(),
        ]);
      assert.equal(tables(b), tables(a), what);
      assert.equal(new Verifier(b).summary(), new Verifier(a).summary(), what);
    }
  }
});

test("a generated 1,000-node Calico cluster: one destination per block, a block route deleted fails exactly 30 × 30 pairs", () => {
  const f = unwrap(
    generateFabric({ mode: "calico-bgp", nodes: 1000, podsPerNode: 30 }),
    (e) => e.message,
  );
  const v = new Verifier(f);
  assert.is(v.summary().failing, 0);
  assert.is(v.classes().destinations, 1000);
  assert.is(v.classes().groupClasses, 1);
  const line = routeLines(f, "node-1")!.find((l) => l.includes("via 192.168.0.18"))!;
  const dst = line.split(" ")[0];
  const del = unwrap(
    recheckEdit(v, { kind: "route-delete", host: "node-1", route: dst }),
    (e) => e.message,
  );
  assert.is(del.summary.failing, 900);
  assert.ok(del.incremental);
  const add = unwrap(
    recheckEdit(v, { kind: "route-add", host: "node-1", route: line }),
    (e) => e.message,
  );
  assert.is(add.summary.failing, 0);
});

test("compact edits on generated Calico fabrics: incremental equals full (block routes, the default route proxy ARP needs, ip_forward, FORWARD rules)", () => {
  const edit = (n: number, lines: readonly string[]): fc.Arbitrary<FabricEdit> => {
    const host = fc.integer({ min: 1, max: n }).map((i) => `node-${i}`);
    return fc.oneof(
      fc.record({
        kind: fc.constant("route-delete" as const),
        host,
        route: fc.constantFrom(...lines.map((l) => l.split(" ")[0]), "default"),
      }),
      fc.record({
        kind: fc.constant("route-add" as const),
        host,
        route: fc.constantFrom(
          ...lines,
          "default via 192.168.0.1 dev eth0",
          "blackhole 10.244.0.0/24",
          "169.254.1.1 via 192.168.0.12",
        ),
      }),
      fc.record({ kind: fc.constant("ip-forward" as const), host, on: fc.boolean() }),
      fc.record({
        kind: fc.constant("iptables-add" as const),
        host,
        rule: fc.constantFrom(
          "-P FORWARD DROP",
          "-A FORWARD -d 10.244.0.64/26 -j DROP",
          "-A FORWARD -o cali+ -j DROP",
          "-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE",
        ),
      }),
    );
  };
  fc.assert(
    fc.property(
      fc.constantFrom("calico-bgp" as const, "calico-ipip" as const, "calico-vxlan" as const),
      fc.integer({ min: 2, max: 5 }),
      fc.infiniteStream(fc.nat()),
      (mode, n, picks) => {
        const f = unwrap(generateFabric({ mode, nodes: n, podsPerNode: 2 }), (e) => e.message);
        const lines = routeLines(f, "node-1")!.filter((l) => / via /.test(l) && !l.startsWith("d"));
        const [edits] = fc.sample(fc.array(edit(n, lines), { minLength: 1, maxLength: 6 }), {
          seed: picks.next().value,
          numRuns: 1,
        });
        const v = new Verifier(f);
        for (const e of edits) {
          const r = recheckEdit(v, e);
          if (!r.ok) continue;
          const full = new Verifier(v.fabric);
          assert.equal(r.value.summary, full.summary(), `${mode}: ${JSON.stringify(edits)}`);
          const diff = differences(verified(full), verified(v));
          if (diff.length > 0) throw new Error(`After ${JSON.stringify(e)}: ${diff.slice(0, 4)}`);
        }
      },
    ),
    { numRuns: 80, includeErrorInReport: true, ...replay },
  );
});

test("world edits on Calico nodes are re-checked incrementally and equal a fresh verification and the reference", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("calico-bgp" as const, "calico-ipip" as const, "calico-vxlan" as const),
      fc.integer({ min: 2, max: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 5 }),
      (mode, nodes, picks) => {
        let world = unwrap(buildWorld({ mode, nodes, pods: 2 }), (e) => e.message);
        const v = new Verifier(fabricFromWorld(world));
        let incremental = 0;
        for (const [a, b, c] of picks) {
          const node = world.namespaces.filter((n) => n.role === "node")[a % nodes];
          const lines = node.routes.map((r) => formatRoute(r));
          const line = lines[b % lines.length];
          const edits = [
            () => deleteRoute(world, node.name, line),
            () => addRoute(world, node.name, "default via 192.168.0.1 dev eth0"),
            () => addRoute(world, node.name, "blackhole 10.244.0.0/24"),
            () => setIpForward(world, node.name, c % 2 === 0),
            () => addIptables(world, node.name, "-A FORWARD -o cali+ -j DROP"),
          ];
          const edited = edits[c % edits.length]();
          if (!edited.ok) continue;
          world = edited.value;
          const r = recheckWorld(v, world);
          if (r.incremental) incremental++;
          assert.equal(r.summary, new Verifier(fabricFromWorld(world)).summary(), line);
          const diff = differences(reference(world), verified(v));
          if (diff.length > 0) throw new Error(`After ${line}: ${diff.slice(0, 4)}`);
        }
        return incremental >= 0;
      },
    ),
    { numRuns: 60, includeErrorInReport: true, ...replay },
  );
  // A BGP route deleted on a node is an incremental re-check (no new fabric).
  const world = unwrap(buildWorld({ mode: "calico-bgp", nodes: 3, pods: 2 }), (e) => e.message);
  const v = new Verifier(fabricFromWorld(world));
  const r = recheckWorld(
    v,
    unwrap(deleteRoute(world, "node-1", "10.244.0.64/26"), (e) => e.message),
  );
  assert.ok(r.incremental, "a route edit on a Calico node is incremental");
  assert.is(r.summary.failing, 4);
});

test.run();
