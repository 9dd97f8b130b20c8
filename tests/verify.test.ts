/**
 * Differential tests of the scale verifier (src/verify) against the
 * pair-by-pair reference `natFreeReachability`: on generated clusters of
 * every mode, healthy and broken with the kernel's own edits, the verifier
 * must report exactly the same failing ordered pairs with the same problem
 * (drop reason, source seen, or NAT applied). Also: a deliberately wrong
 * verifier is caught; incremental re-checks equal full ones; the direct
 * generator equals the builder's worlds.
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
  buildWorld,
  type ClusterSpec,
  deleteIptables,
  deleteNeighbour,
  deleteRoute,
  formatRoute,
  loadScenario,
  type Mode,
  MODES,
  podIp,
  Prefix,
  setIpForward,
  setLinkUp,
  setMtu,
  setRoutes,
  sharingUnchanged,
  toScenario,
  unwrap,
  type World,
} from "../src/mod.js";
import {
  type Fabric,
  type FabricEdit,
  fabricFromWorld,
  generateFabric,
  recheckEdit,
  recheckSteps,
  recheckWorld,
  routeLines,
  Verifier,
} from "../src/verify/mod.js";
import { brokenWorlds, CALICO_FUZZ_MODES, describeMutation } from "../src/fuzz/mutate.ts";
import { differences, type PairMap, problemText, reference, verified } from "./support/pairs.ts";

const replay = replayParameters();

// --- generated clusters ---------------------------------------------------------------------

/** Valid per-node pod CIDRs, overlapping or not, for the random-CIDR runs. */
const cidrsArb = (nodes: number) =>
  fc.array(
    fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom(22, 23, 24, 25, 26)).map((
      [k, bits],
    ) => `10.${k < 8 ? 244 : 245}.${(k % 8) * 4}.0/${bits}`),
    { minLength: nodes, maxLength: nodes },
  );

function specArb(maxNodes: number, maxPods: number): fc.Arbitrary<ClusterSpec> {
  return fc.constantFrom<Mode>("single-host", "same-range", "gateway", "host-gw", "vxlan", "nat")
    .chain((mode) => {
      const nodes = mode === "single-host" ? fc.constant(1) : fc.integer({ min: 1, max: maxNodes });
      return nodes.chain((n) =>
        fc.record({
          mode: fc.constant(mode),
          nodes: fc.constant(n),
          pods: fc.array(fc.integer({ min: 1, max: maxPods }), { minLength: n, maxLength: n }),
          podCidrs: mode === "same-range" || mode === "nat"
            ? fc.constant(undefined)
            : fc.option(cidrsArb(n), { freq: 3 }),
        }, { requiredKeys: ["mode", "nodes", "pods"] })
      );
    }).map((s) =>
      (s.podCidrs === undefined || s.podCidrs === null
        ? { mode: s.mode, nodes: s.nodes, pods: s.pods }
        : s) as ClusterSpec
    );
}

/** An edit as data, so a failing run shows what broke the world. */
type Edit =
  | { kind: "delete-route"; node: number; pick: number }
  | {
    kind: "wrong-route";
    node: number;
    target: number;
    via: "node" | "pod" | "bridge" | "nic" | "blackhole";
  }
  | { kind: "loop"; a: number; b: number; target: number }
  | { kind: "ip-forward-off"; node: number; gateway: boolean }
  | { kind: "forward-drop"; node: number; rule: boolean; target: number }
  | { kind: "masquerade"; node: number; scoped: boolean }
  | { kind: "snat"; node: number }
  | { kind: "dnat"; node: number; pod: number }
  | { kind: "delete-flannel-return"; node: number }
  | {
    kind: "link-down";
    node: number;
    dev: "eth0" | "bridge" | "flannel.1" | "pod" | "veth";
    pod: number;
  }
  | { kind: "mtu"; node: number; dev: "eth0" | "bridge" | "flannel.1"; mtu: number }
  | { kind: "delete-neighbour"; node: number; target: number }
  | { kind: "pod-route"; pod: number }
  | { kind: "static-fdb"; node: number; pod: number; port: number }
  | {
    kind: "odd-prefix";
    node: number;
    target: number;
    bits: number;
    via: "node" | "pod" | "bridge" | "blackhole";
    to: number;
  };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete-route"), node: fc.nat(7), pick: fc.nat(9) }),
  fc.record({
    kind: fc.constant("wrong-route"),
    node: fc.nat(7),
    target: fc.nat(7),
    via: fc.constantFrom("node", "pod", "bridge", "nic", "blackhole"),
  }),
  fc.record({ kind: fc.constant("loop"), a: fc.nat(7), b: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("ip-forward-off"), node: fc.nat(7), gateway: fc.boolean() }),
  fc.record({
    kind: fc.constant("forward-drop"),
    node: fc.nat(7),
    rule: fc.boolean(),
    target: fc.nat(7),
  }),
  fc.record({ kind: fc.constant("masquerade"), node: fc.nat(7), scoped: fc.boolean() }),
  fc.record({ kind: fc.constant("snat"), node: fc.nat(7) }),
  fc.record({ kind: fc.constant("dnat"), node: fc.nat(7), pod: fc.nat(95) }),
  fc.record({ kind: fc.constant("delete-flannel-return"), node: fc.nat(7) }),
  fc.record({
    kind: fc.constant("link-down"),
    node: fc.nat(7),
    dev: fc.constantFrom("eth0", "bridge", "flannel.1", "pod", "veth"),
    pod: fc.nat(95),
  }),
  fc.record({
    kind: fc.constant("mtu"),
    node: fc.nat(7),
    dev: fc.constantFrom("eth0", "bridge", "flannel.1"),
    mtu: fc.constantFrom(68, 80, 83, 84, 87, 88, 120, 133, 134, 1400),
  }),
  fc.record({ kind: fc.constant("delete-neighbour"), node: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("pod-route"), pod: fc.nat(95) }),
  fc.record({
    kind: fc.constant("odd-prefix"),
    node: fc.nat(7),
    target: fc.nat(7),
    bits: fc.integer({ min: 14, max: 30 }),
    via: fc.constantFrom("node", "pod", "bridge", "blackhole"),
    to: fc.nat(95),
  }),
  fc.record({
    kind: fc.constant("static-fdb"),
    node: fc.nat(7),
    pod: fc.nat(95),
    port: fc.nat(11),
  }),
) as fc.Arbitrary<Edit>;

const nodeNs = (w: World, i: number) => w.nodes[i % w.nodes.length].namespace;
const cidrOf = (w: World, i: number) => w.nodes[i % w.nodes.length].podCidr.toString();
const nodeIp = (w: World, i: number) =>
  w.namespaces.find((n) => n.name === nodeNs(w, i))!.devices.find((d) => d.name === "eth0")!
    .addresses[0].addr.toString();
/** Pods with a sandbox and an address: the pods the reachability invariant is about. */
const livePods = (w: World) => w.pods.filter((p) => p.namespace && podIp(w, p));
const podAddr = (w: World, i: number) => {
  const pods = livePods(w);
  const pod = pods[i % pods.length];
  return w.namespaces.find((n) => n.name === pod.namespace)!.devices.find((d) => d.name === "eth0")!
    .addresses[0].addr.toString();
};

/** Applies an edit with the kernel's edit functions; a refused edit leaves the world as it was. */
function applyWorldEdit(w: World, e: Edit): World {
  const keep = (r: { ok: true; value: World } | { ok: false }) => (r.ok ? r.value : w);
  // A routed node (no bridge) takes the edit on its underlay NIC instead.
  const bridge = (i: number) => w.nodes[i % w.nodes.length].bridge ?? "eth0";
  switch (e.kind) {
    case "delete-route": {
      const ns = w.namespaces.find((n) => n.name === nodeNs(w, e.node))!;
      const statics = ns.routes.filter((r) => r.proto !== "kernel");
      if (statics.length === 0) return w;
      return keep(deleteRoute(w, ns.name, statics[e.pick % statics.length].dst.toString()));
    }
    case "wrong-route": {
      const ns = nodeNs(w, e.node);
      const dst = cidrOf(w, e.target);
      const base = keep(deleteRoute(w, ns, dst));
      const line = e.via === "node"
        ? `${dst} via ${nodeIp(w, e.target + 1)}`
        : e.via === "pod"
        ? `${dst} via ${podAddr(base, e.target)}`
        : e.via === "bridge"
        ? `${dst} dev ${bridge(e.node)}`
        : e.via === "nic"
        ? `${dst} dev eth0`
        : `blackhole ${dst}`;
      const r = addRoute(base, ns, line);
      return r.ok ? r.value : w;
    }
    case "loop": {
      let out = w;
      const dst = cidrOf(w, e.target);
      for (const [from, to] of [[e.a, e.b], [e.b, e.a]]) {
        out = keep2(out, deleteRoute(out, nodeNs(w, from), dst));
        out = keep2(out, addRoute(out, nodeNs(w, from), `${dst} via ${nodeIp(w, to)}`));
      }
      return out;
    }
    case "ip-forward-off": {
      const gw = e.gateway && w.namespaces.some((n) => n.name === "gateway");
      return keep(setIpForward(w, gw ? "gateway" : nodeNs(w, e.node), false));
    }
    case "forward-drop":
      return keep(
        addIptables(
          w,
          nodeNs(w, e.node),
          e.rule ? `-A FORWARD -d ${cidrOf(w, e.target)} -j DROP` : "-P FORWARD DROP",
        ),
      );
    case "masquerade":
      return keep(
        addIptables(
          w,
          nodeNs(w, e.node),
          e.scoped
            ? `-t nat -A POSTROUTING -s ${cidrOf(w, e.node)} -j MASQUERADE`
            : "-t nat -A POSTROUTING -j MASQUERADE",
        ),
      );
    case "snat":
      return keep(
        addIptables(
          w,
          nodeNs(w, e.node),
          `-t nat -A POSTROUTING -o eth0 -j SNAT --to-source ${nodeIp(w, e.node)}`,
        ),
      );
    case "dnat":
      return keep(
        addIptables(
          w,
          nodeNs(w, e.node),
          `-t nat -A PREROUTING -d ${cidrOf(w, e.node)} -j DNAT --to-destination ${
            podAddr(w, e.pod)
          }`,
        ),
      );
    case "delete-flannel-return": {
      const ns = w.namespaces.find((n) => n.name === nodeNs(w, e.node))!;
      const rule = ns.netfilter.rules.find((r) => r.target.kind === "RETURN");
      return rule ? keep(deleteIptables(w, ns.name, rule.text)) : w;
    }
    case "link-down": {
      if (e.dev === "pod" || e.dev === "veth") {
        const pods = livePods(w);
        const pod = pods[e.pod % pods.length];
        const ns = w.namespaces.find((n) => n.name === pod.namespace)!;
        const eth0 = ns.devices.find((d) => d.name === "eth0")!;
        const ref = e.dev === "pod"
          ? { namespace: ns.name, device: "eth0" }
          : eth0.kind === "veth"
          ? eth0.peer
          : { namespace: ns.name, device: "eth0" };
        return keep(setLinkUp(w, ref, false));
      }
      const dev = e.dev === "bridge" ? bridge(e.node) : e.dev;
      return keep(setLinkUp(w, { namespace: nodeNs(w, e.node), device: dev }, false));
    }
    case "mtu": {
      const dev = e.dev === "bridge" ? bridge(e.node) : e.dev;
      return keep(setMtu(w, { namespace: nodeNs(w, e.node), device: dev }, e.mtu));
    }
    case "delete-neighbour": {
      const ns = w.namespaces.find((n) => n.name === nodeNs(w, e.node))!;
      if (ns.neighbours.length === 0) return w;
      return keep(
        deleteNeighbour(w, ns.name, ns.neighbours[e.target % ns.neighbours.length].addr.toString()),
      );
    }
    case "pod-route": {
      const pods = livePods(w);
      const pod = pods[e.pod % pods.length];
      return keep(setRoutes(w, pod.namespace!, [`${cidrOf(w, 0)} dev eth0`]));
    }
    case "odd-prefix": {
      // A route whose prefix splits a pod CIDR (/25 ...) or covers several (/16 ...).
      const ns = nodeNs(w, e.node);
      const cidr = w.nodes[e.target % w.nodes.length].podCidr;
      const base = (cidr.addr.value + (e.to % 4) * 2 ** Math.max(0, 32 - e.bits)) >>> 0;
      const dst = `${Prefix.of(Addr.fromUint32(base), e.bits).masked()}`;
      const line = e.via === "node"
        ? `${dst} via ${nodeIp(w, e.to)}`
        : e.via === "pod"
        ? `${dst} via ${podAddr(w, e.to)}`
        : e.via === "bridge"
        ? `${dst} dev ${w.nodes[e.node % w.nodes.length].bridge}`
        : `blackhole ${dst}`;
      return keep(addRoute(w, ns, line));
    }
    case "static-fdb": {
      // `bridge fdb add MAC dev PORT master static`: a pod's MAC pinned to some port.
      const ns = w.namespaces.find((n) => n.name === nodeNs(w, e.node))!;
      const ports = ns.devices.filter((d) => d.master !== undefined);
      const pods = livePods(w);
      if (ports.length === 0 || pods.length === 0) return w;
      const pod = pods[e.pod % pods.length];
      const mac =
        w.namespaces.find((n) => n.name === pod.namespace)!.devices.find((d) => d.name === "eth0")!
          .mac;
      const doc = toScenario(w);
      const line = `${mac} dev ${ports[e.port % ports.length].name} master static`;
      const namespaces = doc.namespaces.map((n) =>
        n.name === ns.name ? { ...n, fdb: [...(n.fdb ?? []), line] } : n
      );
      const loaded = loadScenario({ ...doc, namespaces });
      return loaded.ok ? loaded.value : w;
    }
  }
}

function keep2(w: World, r: { ok: true; value: World } | { ok: false }): World {
  return r.ok ? r.value : w;
}

/** `buildWorld`, or undefined for a spec it refuses (it never throws for input). */
function build(spec: ClusterSpec): World | undefined {
  const r = buildWorld(spec);
  return r.ok ? r.value : undefined;
}

const worldArb = (maxNodes: number, maxPods: number, maxEdits: number) =>
  fc.record({ spec: specArb(maxNodes, maxPods), edits: fc.array(editArb, { maxLength: maxEdits }) })
    .map(({ spec, edits }) => {
      const built = build(spec);
      if (built === undefined) return { spec, edits, world: undefined };
      const out = { spec, edits, world: edits.reduce(applyWorldEdit, built) };
      // Counterexamples print as the spec and the edits, not the whole world.
      Object.defineProperty(out, fc.toStringMethod, {
        value: () => JSON.stringify({ spec, edits }),
      });
      return out;
    })
    .filter((x) => x.world !== undefined) as fc.Arbitrary<
      { spec: ClusterSpec; edits: Edit[]; world: World }
    >;

/** The differential property: the verifier's failing pairs are the reference's, exactly. */
function agrees(make: (f: Fabric) => Verifier) {
  return ({ world }: { world: World }) => {
    const expected = reference(world);
    const v = make(fabricFromWorld(world));
    const diff = differences(expected, verified(v));
    if (diff.length > 0) throw new Error(`Verifier disagrees:\n  ${diff.slice(0, 6).join("\n  ")}`);
    sameMatrix(v, world, expected);
  };
}

/** The node-pair matrix counts the reference's failing pairs by node pair. */
function sameMatrix(v: Verifier, world: World, expected: PairMap) {
  const m = v.nodeMatrix();
  const n = m.nodes.length;
  const nodeOf = new Map(world.pods.map((p) => [p.name, m.nodes.indexOf(p.node)]));
  const want = new Float64Array(n * n);
  for (const k of expected.keys()) {
    const [a, b] = k.split(">");
    want[nodeOf.get(a)! * n + nodeOf.get(b)!]++;
  }
  assert.equal([...m.failing], [...want], "failing pairs by node pair");
  const live = livePods(world).filter((p) => v.fabric.pods.count > 0 && nodeOf.has(p.name));
  assert.is(m.total.reduce((s, x) => s + x, 0), live.length * (live.length - 1));
}

// --- tests ------------------------------------------------------------------------------------

test("the verifier finds exactly the failing pairs of the pair-by-pair check (small clusters, every mode)", () => {
  fc.assert(fc.property(worldArb(4, 4, 0), agrees((f) => new Verifier(f))), {
    numRuns: 40,
    ...replay,
  });
});

test("...and of broken clusters: deleted and wrong routes, loops, ip_forward, FORWARD DROP, NAT, links down, MTU", () => {
  fc.assert(fc.property(worldArb(4, 4, 3), agrees((f) => new Verifier(f))), {
    numRuns: 120,
    ...replay,
  });
});

test("...and of medium clusters (up to 8 nodes and 12 pods per node), broken or not", () => {
  fc.assert(fc.property(worldArb(8, 12, 2), agrees((f) => new Verifier(f))), {
    numRuns: 6,
    ...replay,
  });
});

test("...and of the broken worlds fuzz/ generates: links, MTUs, addresses, sysctls, routes, neighbours, FDB, iptables", () => {
  const broken = brokenWorlds({ maxNodes: 4, maxPods: 3, maxMutations: 4 }).map((b) => {
    // Counterexamples print as the spec and the Linux commands that broke it.
    Object.defineProperty(b, fc.toStringMethod, {
      value: () => JSON.stringify({ spec: b.spec, applied: b.applied.map(describeMutation) }),
    });
    return b;
  });
  fc.assert(fc.property(broken, agrees((f) => new Verifier(f))), {
    numRuns: 150,
    includeErrorInReport: true,
    ...replay,
  });
});

test("...and of broken Calico worlds: routed pods, proxy ARP, blackholes, BGP routes", () => {
  const broken = brokenWorlds({
    modes: CALICO_FUZZ_MODES,
    maxNodes: 3,
    maxPods: 2,
    maxMutations: 3,
  }).map((b) => {
    Object.defineProperty(b, fc.toStringMethod, {
      value: () => JSON.stringify({ spec: b.spec, applied: b.applied.map(describeMutation) }),
    });
    return b;
  });
  fc.assert(fc.property(broken, agrees((f) => new Verifier(f))), {
    numRuns: 40,
    includeErrorInReport: true,
    ...replay,
  });
});

test("the shipped scenarios: the verifier and the reference agree", async () => {
  for (const name of MODES) {
    const { parseScenario } = await import("../src/mod.js");
    const text = await Deno.readTextFile(`lessons/scenarios/${name}.json`);
    const world = unwrap(parseScenario(text), (e) => JSON.stringify(e));
    agrees((f) => new Verifier(f))({ world });
  }
});

test("a host the compact form cannot model is traced, and only the pairs that reach it", () => {
  const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3, pods: 2 }), (e) => e.message);
  // node-2's bridge has a static FDB entry for pod c on pod d's port.
  const doc = toScenario(world);
  const node2 = world.namespaces.find((n) => n.name === "node-2")!;
  const portOf = (pod: string) =>
    node2.devices.find((d) => d.kind === "veth" && d.peer.namespace === `pod-${pod}`)!.name;
  const macOf = (pod: string) =>
    world.namespaces.find((n) => n.name === `pod-${pod}`)!.devices.find((d) => d.name === "eth0")!
      .mac.toString();
  const namespaces = doc.namespaces.map((ns) =>
    ns.name === "node-2"
      ? { ...ns, fdb: [...(ns.fdb ?? []), `${macOf("c")} dev ${portOf("d")} master static`] }
      : ns
  );
  const broken = unwrap(loadScenario({ ...doc, namespaces }), (e) => JSON.stringify(e));
  const v = new Verifier(fabricFromWorld(broken));
  assert.is(v.fabric.irregular, undefined);
  assert.match(v.fabric.hosts[1].opaque ?? "", /static FDB/);
  const diff = differences(reference(broken), verified(v));
  assert.equal(diff, []);
  const r = v.result();
  // Linux moves a static entry when it learns the MAC elsewhere: c's ARP
  // reply teaches the bridge c's real port, so every pair still works.
  assert.is(r.failing, 0);
  // Pairs among node-1's and node-3's pods never enter node-2: not traced.
  assert.ok(r.traced > 0 && r.traced < 30, `${r.traced} pairs traced`);
});

test("a verifier that ignores ip_forward is caught, with an ip_forward counterexample", () => {
  // The wrong verifier: it verifies the fabric as if every host forwarded.
  const wrong = (f: Fabric) =>
    new Verifier({ ...f, hosts: f.hosts.map((h) => ({ ...h, ipForward: true })) });
  const out = fc.check(fc.property(worldArb(3, 2, 2), agrees(wrong)), { numRuns: 300, seed: 42 });
  assert.ok(out.failed, "the differential property must catch the wrong verifier");
  assert.match(String(out.errorInstance), /ip-forward-off/);
  const [{ edits }] = out.counterexample! as unknown as [{ edits: Edit[] }];
  assert.ok(edits.some((e) => e.kind === "ip-forward-off"), JSON.stringify(edits));
});

test("ip_forward off on a node: exactly the traffic through it fails, as one compact set per direction", () => {
  const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3, pods: 2 }), (e) => e.message);
  const broken = unwrap(setIpForward(world, "node-2", false), (e) => e.message);
  const v = new Verifier(fabricFromWorld(broken));
  const r = v.result();
  assert.is(r.failing, 16);
  assert.is(r.traced, 0);
  const names = (ps: readonly number[]) => ps.map((p) => v.fabric.pods.name(p)).sort().join("");
  const sets = r.failures.map((f) =>
    `${names(v.sourcePods(f.sources))}>${names(f.destinations)} ${problemText(f.problem)}`
  ).sort();
  // Pods of node-1 and node-3 send alike: one set for both.
  assert.equal(sets, ["abef>cd dropped ip-forward-off", "cd>abef dropped ip-forward-off"]);
  // The heatmap cell node-1 → node-2: one problem, an example pair and its trace.
  const cell = v.nodePair(0, 1);
  assert.is(cell.total, 4);
  assert.is(cell.failing, 4);
  assert.equal(cell.problems.map((x) => problemText(x.problem)), ["dropped ip-forward-off"]);
  const [p, q] = cell.problems[0].example;
  const t = v.tracePair(p, q)!;
  assert.is(t.verdict.kind === "dropped" && t.verdict.drop.reason, "ip-forward-off");
  assert.is(v.nodePair(0, 2).failing, 0);
  assert.is(v.tracePair(0, 4)!.verdict.kind, "delivered");
  const witness = v.witness(r.failures[0])!;
  assert.is(witness.verdict.kind, "dropped");
  assert.is(witness.verdict.kind === "dropped" && witness.verdict.drop.reason, "ip-forward-off");
  assert.is(v.summary().traced, 0, "witnesses are not counted as traced pairs");
});

test("a MASQUERADE rule: the rewritten source is reported, with the kernel trace as witness", () => {
  const world = unwrap(buildWorld({ mode: "nat", nodes: 2, pods: 2 }), (e) => e.message);
  const v = new Verifier(fabricFromWorld(world));
  const r = v.result();
  const seen = r.failures.map((x) =>
    x.problem.kind === "source-rewritten" && x.problem.seen.toString()
  );
  assert.equal(seen.sort(), ["192.168.0.11", "192.168.0.12"]);
  const f = r.failures[0];
  const t = v.witness(f)!;
  assert.ok(t.hops.some((h) => h.steps.some((s) => s.kind === "nat")));
});

// --- incremental -------------------------------------------------------------------------------

function sameAsFull(v: Verifier, world: World) {
  const full = new Verifier(fabricFromWorld(world));
  const diff = differences(verified(full), verified(v));
  if (diff.length > 0) {
    throw new Error(`Incremental differs from full:\n  ${diff.slice(0, 6).join("\n  ")}`);
  }
  assert.equal(v.summary(), full.summary(), "counts (failing, traced) after the edit");
}

class EditCommand implements fc.Command<{ world: World }, { v: Verifier; world: World }> {
  constructor(readonly edit: Edit) {}
  check() {
    return true;
  }
  run(m: { world: World }, r: { v: Verifier; world: World }) {
    const next = applyWorldEdit(r.world, this.edit);
    recheckWorld(r.v, next);
    r.world = next;
    m.world = next;
    sameAsFull(r.v, next);
  }
  toString() {
    return JSON.stringify(this.edit);
  }
}

test("incremental re-checks after random single edits equal full re-verification (model-based)", () => {
  const commands = fc.commands([editArb.map((e) => new EditCommand(e))], { maxCommands: 6 });
  fc.assert(
    fc.property(specArb(4, 3), commands, (spec, cmds) => {
      const built = build(spec);
      if (built === undefined) return;
      const setup = () => ({
        model: { world: built },
        real: { v: new Verifier(fabricFromWorld(built)), world: built },
      });
      fc.modelRun(setup, cmds);
    }),
    { numRuns: 40, ...replay },
  );
});

test("incremental re-checks stay equal to the pair-by-pair reference", () => {
  fc.assert(
    fc.property(
      worldArb(3, 3, 0),
      fc.array(editArb, { minLength: 1, maxLength: 4 }),
      ({ world }, edits) => {
        const v = new Verifier(fabricFromWorld(world));
        let w = world;
        for (const e of edits) {
          w = applyWorldEdit(w, e);
          recheckWorld(v, w);
        }
        const diff = differences(reference(w), verified(v));
        if (diff.length > 0) {
          throw new Error(
            `Verifier disagrees:\n  ${diff.slice(0, 6).join("\n  ")}`,
          );
        }
      },
    ),
    { numRuns: 30, ...replay },
  );
});

test("compact edits on a generated fabric: incremental equals full", () => {
  const fabricEdit = (n: number): fc.Arbitrary<FabricEdit> =>
    fc.oneof(
      fc.record({
        kind: fc.constant("route-delete" as const),
        host: fc.integer({ min: 1, max: n }).map((i) => `node-${i}`),
        route: fc.integer({ min: 1, max: n }).map((i) => `10.244.${i}.0/24`),
      }),
      fc.record({
        kind: fc.constant("route-add" as const),
        host: fc.integer({ min: 1, max: n }).map((i) => `node-${i}`),
        route: fc.tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n }), fc.nat(2))
          .map(([t, via, m]) => `10.244.${t}.0/24 via 192.168.0.${10 + via} metric ${m}`),
      }),
      fc.record({
        kind: fc.constant("route-replace" as const),
        host: fc.integer({ min: 1, max: n }).map((i) => `node-${i}`),
        route: fc.tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n }))
          .map(([t, via]) => `10.244.${t}.0/24 via 192.168.0.${10 + via}`),
      }),
      fc.record({
        kind: fc.constant("ip-forward" as const),
        host: fc.integer({ min: 1, max: n }).map((i) => `node-${i}`),
        on: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant("iptables-add" as const),
        host: fc.integer({ min: 1, max: n }).map((i) => `node-${i}`),
        rule: fc.constantFrom(
          "-P FORWARD DROP",
          "-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE",
          "-A FORWARD -d 10.244.2.0/24 -j DROP",
        ),
      }),
    );
  fc.assert(
    fc.property(
      fc.constantFrom("host-gw" as const, "vxlan" as const),
      fc.integer({ min: 2, max: 6 }).chain((n) =>
        fc.tuple(fc.constant(n), fc.array(fabricEdit(n), { minLength: 1, maxLength: 6 }))
      ),
      (mode, [n, edits]) => {
        const v = new Verifier(
          unwrap(generateFabric({ mode, nodes: n, podsPerNode: 2 }), (e) => e.message),
        );
        for (const e of edits) {
          const r = recheckEdit(v, e);
          if (!r.ok) continue;
          const full = new Verifier(v.fabric);
          assert.equal(r.value.summary, full.summary(), JSON.stringify(e));
          assert.is(r.value.verification().failing, r.value.summary.failing);
          const diff = differences(verified(full), verified(v));
          if (diff.length > 0) throw new Error(`After ${JSON.stringify(e)}: ${diff.slice(0, 4)}`);
        }
      },
    ),
    { numRuns: 60, ...replay },
  );
});

test("compact edits on a fabric made from a world re-check the edited world: the same summary as a fresh verification, routed Calico pairs too", () => {
  type Op = { kind: "delete"; host: number; route: number } | {
    kind: "forward";
    host: number;
    on: boolean;
  };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), host: fc.nat(), route: fc.nat() }),
    fc.record({ kind: fc.constant("forward" as const), host: fc.nat(), on: fc.boolean() }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom("host-gw" as const, "vxlan" as const, "calico-bgp" as const),
      fc.integer({ min: 2, max: 3 }),
      fc.array(op, { minLength: 1, maxLength: 4 }),
      (mode, nodes, ops) => {
        let world = unwrap(buildWorld({ mode, nodes, pods: 2 }), (e) => e.message);
        const v = new Verifier(fabricFromWorld(world));
        for (const o of ops) {
          const node = world.nodes[o.host % world.nodes.length];
          const ns = world.namespaces.find((n) => n.name === node.namespace)!;
          const statics = ns.routes.filter((r) => r.proto === "static");
          let edit: FabricEdit;
          if (o.kind === "forward") edit = { kind: "ip-forward", host: node.name, on: o.on };
          else if (statics.length === 0) continue;
          else {
            edit = {
              kind: "route-delete",
              host: node.name,
              route: formatRoute(statics[o.route % statics.length]),
            };
          }
          const r = recheckEdit(v, edit);
          if (!r.ok) throw new Error(`${JSON.stringify(edit)} refused: ${r.error.message}`);
          world = v.fabric.world!;
          const fresh = new Verifier(fabricFromWorld(world)).summary();
          assert.equal(r.value.summary, fresh, `${mode} after ${JSON.stringify(edit)}`);
        }
      },
    ),
    { numRuns: 40, ...replay },
  );
});

test("the generator builds what buildWorld builds (same pods, addresses, MACs, verdicts)", () => {
  for (const mode of ["host-gw", "vxlan"] as const) {
    const world = unwrap(buildWorld({ mode, nodes: 4, pods: 3 }), (e) => e.message);
    const a = fabricFromWorld(world);
    const b = unwrap(generateFabric({ mode, nodes: 4, podsPerNode: 3 }), (e) => e.message);
    assert.equal([...a.pods.ip], [...b.pods.ip]);
    assert.equal(
      Array.from({ length: a.pods.count }, (_, i) => a.pods.name(i)),
      Array.from({ length: b.pods.count }, (_, i) => b.pods.name(i)),
    );
    assert.equal(
      a.hosts.map((h) => h.devices.map((d) => d.mac)),
      b.hosts.map((h) => h.devices.map((d) => d.mac)),
    );
    for (const ns of world.namespaces.filter((n) => n.role === "node")) {
      assert.equal(routeLines(b, ns.name), ns.routes.map(formatRoute), ns.name);
    }
    const edit: FabricEdit = { kind: "route-delete", host: "node-2", route: "10.244.3.0/24" };
    const vb = new Verifier(b);
    const rb = unwrap(recheckEdit(vb, edit), (e) => e.message);
    const wa = unwrap(deleteRoute(world, "node-2", "10.244.3.0/24"), (e) => e.message);
    assert.equal(verified(vb), reference(wa));
    assert.ok(rb.incremental);
  }
});

test("a 5,000-node fabric is represented without a world: shared routes, typed-array pods", () => {
  const f = unwrap(
    generateFabric({ mode: "host-gw", nodes: 5000, podsPerNode: 30 }),
    (e) => e.message,
  );
  assert.is(f.pods.count, 150000);
  assert.ok(f.pods.ip instanceof Uint32Array);
  assert.is(f.baseRoutes.length, 5001);
  assert.ok(f.hosts.every((h) => h.ownRoutes.length === 1 && h.removedRoutes.size === 1));
  assert.is(f.world, undefined);
});

test("a world that went through JSON, shared with the verified one, is re-checked incrementally: only the namespace that differs", () => {
  const world = unwrap(buildWorld({ mode: "host-gw", nodes: 6, pods: 2 }), (e) => e.message);
  const v = new Verifier(fabricFromWorld(world));
  const edited = unwrap(setIpForward(world, "node-3", false), (e) => e.message);
  const roundTrip = unwrap(
    loadScenario(JSON.parse(JSON.stringify(toScenario(edited)))),
    (e) => String(e),
  );
  assert.not.ok(
    recheckSteps(new Verifier(fabricFromWorld(world)), roundTrip).incremental,
    "new objects everywhere: a full re-check",
  );
  const r = recheckSteps(v, sharingUnchanged(world, roundTrip));
  assert.equal(r.changed, ["node-3"]);
  assert.ok(r.incremental);
  assert.equal(v.summary(), new Verifier(fabricFromWorld(edited)).summary());
  const copy = unwrap(loadScenario(JSON.parse(JSON.stringify(toScenario(edited)))), String);
  const again = recheckSteps(v, sharingUnchanged(v.fabric.world!, copy));
  assert.equal(again.changed, [], "nothing differs the second time");
});

test.run();
