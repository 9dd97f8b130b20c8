/**
 * Tests of what the scale lesson takes from the verifier: node-pair cells
 * by cause (equal to the verifier's node matrix and to its failing pairs,
 * counted one by one), re-checks in steps (equal to a full verification,
 * incremental step by step), the class counts, and the measurements the
 * page and its Web Worker make.
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
  addRoute,
  buildWorld,
  deleteRoute,
  iptablesLines,
  type Mode,
  namespaceNamed,
  setIpForward,
  setIptables,
  unwrap,
  type World,
} from "../src/mod.js";
import {
  causeOf,
  CAUSES,
  changedCells,
  fabricFromWorld,
  generateFabric,
  type GenerateSpec,
  type NodeCells,
  nodeCells,
  pairByPairCost,
  recheckEdit,
  recheckSteps,
  Verifier,
  verifyAtScale,
  verifyWorld,
} from "../src/verify/mod.js";
import { answer } from "../src/verify/worker.js";

const replay = replayParameters();

const built = (mode: Mode, nodes: number, pods: number | number[]) =>
  unwrap(buildWorld({ mode, nodes, pods }), (e) => e.message);

/** One breakage on one node, as the lesson page offers them, plus a few more. */
type Edit =
  | { kind: "delete-route"; node: number; target: number }
  | { kind: "wrong-hop"; node: number; target: number }
  | { kind: "blackhole"; node: number; target: number }
  | { kind: "loop"; node: number; other: number; target: number }
  | { kind: "ip-forward-off"; node: number }
  | { kind: "masquerade"; node: number }
  | { kind: "forward-drop"; node: number; target: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete-route"), node: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("wrong-hop"), node: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("blackhole"), node: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("loop"), node: fc.nat(7), other: fc.nat(7), target: fc.nat(7) }),
  fc.record({ kind: fc.constant("ip-forward-off"), node: fc.nat(7) }),
  fc.record({ kind: fc.constant("masquerade"), node: fc.nat(7) }),
  fc.record({ kind: fc.constant("forward-drop"), node: fc.nat(7), target: fc.nat(7) }),
) as fc.Arbitrary<Edit>;

/** Applies an edit with the kernel's edit functions; a refused one leaves the world as it was. */
function applyEdit(w: World, e: Edit): World {
  const node = (i: number) => w.nodes[i % w.nodes.length];
  const ns = (i: number) => node(i).namespace;
  const cidr = (i: number) => node(i).podCidr.toString();
  const keep = (x: World, r: { ok: true; value: World } | { ok: false }) => (r.ok ? r.value : x);
  const replace = (x: World, i: number, dst: string, line: string) =>
    keep(x, addRoute(keep(x, deleteRoute(x, ns(i), dst)), ns(i), line));
  switch (e.kind) {
    case "delete-route":
      return keep(w, deleteRoute(w, ns(e.node), cidr(e.target)));
    case "wrong-hop":
      return replace(w, e.node, cidr(e.target), `${cidr(e.target)} via 192.168.0.250`);
    case "blackhole":
      return replace(w, e.node, cidr(e.target), `blackhole ${cidr(e.target)}`);
    case "loop": {
      const ip = (i: number) =>
        namespaceNamed(w, ns(i))!.devices.find((d) => d.name === "eth0")!.addresses[0].addr;
      const once = replace(w, e.node, cidr(e.target), `${cidr(e.target)} via ${ip(e.other)}`);
      return replace(once, e.other, cidr(e.target), `${cidr(e.target)} via ${ip(e.node)}`);
    }
    case "ip-forward-off":
      return keep(w, setIpForward(w, ns(e.node), false));
    case "masquerade": {
      const n = namespaceNamed(w, ns(e.node))!;
      const rule = `-t nat -A POSTROUTING -s ${cidr(e.node)} -j MASQUERADE`;
      const r = setIptables(w, n.name, [rule, ...iptablesLines(n)]);
      return r.ok ? r.value : w;
    }
    case "forward-drop":
      return keep(w, addIptables(w, ns(e.node), `-A FORWARD -d ${cidr(e.target)} -j DROP`));
  }
}

const worldArb = fc.record({
  mode: fc.constantFrom<Mode>("host-gw", "vxlan", "gateway", "nat"),
  nodes: fc.integer({ min: 2, max: 6 }),
  pods: fc.integer({ min: 1, max: 4 }),
}).map(({ mode, nodes, pods }) => built(mode, nodes, pods));

/** The cells counted pair by pair from the verifier's failing pairs. */
function cellsByPair(v: Verifier): { failing: Float64Array; byCause: Float64Array[] } {
  const n = v.fabric.nodes.length;
  const failing = new Float64Array(n * n);
  const byCause = CAUSES.map(() => new Float64Array(n * n));
  const node = v.fabric.pods.node;
  for (const [p, q, problem] of v.failingPairs(v.result())) {
    const k = node[p] * n + node[q];
    failing[k]++;
    byCause[CAUSES.indexOf(causeOf(problem))][k]++;
  }
  return { failing, byCause };
}

function assertCells(v: Verifier, cells: NodeCells, what: string) {
  const m = v.nodeMatrix();
  assert.equal([...cells.total], [...m.total], `${what}: totals`);
  assert.equal([...cells.failing], [...m.failing], `${what}: failing = nodeMatrix`);
  const counted = cellsByPair(v);
  assert.equal([...cells.failing], [...counted.failing], `${what}: failing = pairs`);
  CAUSES.forEach((c, i) =>
    assert.equal([...cells.byCause[i]], [...counted.byCause[i]], `${what}: cause ${c}`)
  );
  for (let k = 0; k < cells.failing.length; k++) {
    if (cells.failing[k] === 0) assert.is(cells.cause[k], -1, `${what}: cell ${k} has no cause`);
    else {
      const best = Math.max(...cells.byCause.map((a) => a[k]));
      assert.is(cells.byCause[cells.cause[k]][k], best, `${what}: cell ${k} dominant cause`);
    }
  }
}

test("causes: every problem has one, and the legend lists each once", () => {
  assert.is(new Set(CAUSES).size, CAUSES.length);
  assert.is(causeOf({ kind: "dropped", reason: "no-route" }), "route");
  assert.is(causeOf({ kind: "dropped", reason: "neighbour-unreachable" }), "next-hop");
  assert.is(causeOf({ kind: "dropped", reason: "ip-forward-off" }), "forwarding");
  assert.is(causeOf({ kind: "dropped", reason: "ttl-exceeded" }), "loop");
  assert.is(causeOf({ kind: "nat-applied" }), "nat");
});

test("node cells equal the node matrix and the failing pairs counted one by one (broken clusters)", () => {
  const causes = new Set<number>();
  fc.assert(
    fc.property(worldArb, fc.array(editArb, { maxLength: 3 }), (world, edits) => {
      const broken = edits.reduce(applyEdit, world);
      const v = new Verifier(fabricFromWorld(broken));
      const cells = nodeCells(v);
      assertCells(v, cells, `${world.mode} ${JSON.stringify(edits)}`);
      cells.cause.forEach((c) => causes.add(c));
    }),
    { numRuns: 80, ...replay },
  );
  // The runs did break things, for every cause the edits can produce.
  for (const c of ["route", "next-hop", "forwarding", "loop", "nat"] as const) {
    assert.ok(causes.has(CAUSES.indexOf(c)), `no run produced cause ${c}`);
  }
});

test("a deleted route turns exactly one cell, with cause route; restoring it clears it", () => {
  const world = built("host-gw", 5, 3);
  const v = new Verifier(fabricFromWorld(world));
  const before = nodeCells(v);
  assert.ok(before.failing.every((x) => x === 0));
  const r = recheckEdit(v, { kind: "route-delete", host: "node-2", route: "10.244.4.0/24" });
  assert.ok(r.ok && r.value.incremental);
  const after = nodeCells(v);
  assert.equal(changedCells(before, after), [1 * 5 + 3]);
  assert.is(after.failing[1 * 5 + 3], 9);
  assert.is(CAUSES[after.cause[1 * 5 + 3]], "route");
  recheckEdit(v, { kind: "route-add", host: "node-2", route: "10.244.4.0/24 via 192.168.0.14" });
  assert.equal(changedCells(after, nodeCells(v)), [1 * 5 + 3]);
});

test("re-checks in steps equal a full verification, and each step is incremental", () => {
  fc.assert(
    fc.property(
      worldArb,
      fc.array(fc.array(editArb, { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
      (world, rounds) => {
        const v = new Verifier(fabricFromWorld(world));
        for (const edits of rounds) {
          // Every round starts again from the healthy world: earlier edits are undone.
          const target = edits.reduce(applyEdit, world);
          const r = recheckSteps(v, target);
          const full = verifyWorld(target);
          assert.is(r.summary.failing, full.failing, JSON.stringify(edits));
          assert.is(r.steps.length, r.changed.length);
          assert.ok(v.fabric.world === target, "the verifier keeps the caller's world");
          assertCells(v, nodeCells(v), JSON.stringify(edits));
        }
      },
    ),
    { numRuns: 40, ...replay },
  );
});

test("moving ip_forward off from one node to another is two incremental steps", () => {
  const world = built("host-gw", 4, 2);
  const v = new Verifier(fabricFromWorld(world));
  const off = (n: string) => unwrap(setIpForward(world, n, false), (e) => e.message);
  recheckSteps(v, off("node-2"));
  const off3 = off("node-3");
  const r = recheckSteps(v, off3);
  assert.equal(r.changed, ["node-2", "node-3"]);
  assert.is(r.steps.length, 2);
  assert.ok(r.incremental);
  assert.is(r.summary.failing, verifyWorld(off3).failing);
  assert.is(recheckSteps(v, off3).steps.length, 0, "nothing changed: no step");
});

test("a world with other pods is verified again in one full step", () => {
  const v = new Verifier(fabricFromWorld(built("host-gw", 3, 2)));
  const other = built("host-gw", 3, 3);
  const r = recheckSteps(v, other);
  assert.is(r.steps.length, 1);
  assert.not.ok(r.incremental);
  assert.is(r.summary.pods, 9);
});

test("classes: one destination per node's pod CIDR, one group class for a uniform cluster", () => {
  const v = new Verifier(
    unwrap(generateFabric({ mode: "host-gw", nodes: 10, podsPerNode: 3 }), (e) => e.message),
  );
  const c = v.classes();
  assert.is(c.destinations, 10);
  assert.is(c.groups, 10);
  assert.is(c.groupClasses, 1);
  assert.ok(c.atoms >= c.destinations);
  assert.ok(c.states > 0);
  assert.is(c.oddPods, 0);
  // ip_forward off on one node gives that node's pods a class of their own.
  recheckEdit(v, { kind: "ip-forward", host: "node-4", on: false });
  assert.is(v.classes().groupClasses, 2);
});

test("pair-by-pair cost: the sample is checked and timed", () => {
  const world = built("host-gw", 3, 2);
  const c = pairByPairCost(world, { sample: 30, seed: 5 });
  assert.is(c.pairs, 30);
  assert.ok(c.millis >= 0 && Math.abs(c.perPair * 30 - c.millis) < 1e-9);
  assert.is(pairByPairCost(built("single-host", 1, 1)).pairs, 0);
});

test("verification at scale: counts, and every edit breaks and repairs exactly one cell", () => {
  for (const mode of ["host-gw", "vxlan"] as const) {
    const run = unwrap(
      verifyAtScale({ mode, nodes: 30, podsPerNode: 4 }, { edits: 40, seed: 3 }),
      (e) => e.message,
    );
    assert.is(run.pods, 120);
    assert.is(run.checked, 120 * 119);
    assert.ok(run.holds);
    assert.is(run.edits.count, 40);
    assert.is(run.edits.wrong, 0);
    assert.is(run.edits.incremental, 40);
    assert.ok(run.edits.median <= run.edits.p99 && run.edits.p99 <= run.edits.max);
    assert.ok(run.edits.mean > 0 && run.edits.typical > 0 && run.timerResolution > 0);
    assert.is(run.classes.destinations, 30);
  }
});

test("the worker's answers: a scenario document, a scale run, errors as values", () => {
  const b = answer({ id: 1, kind: "build", spec: { mode: "host-gw", nodes: 3, pods: 2 } });
  assert.ok(b.ok && b.kind === "build");
  if (b.ok && b.kind === "build") {
    assert.is(b.id, 1);
    assert.is(b.doc.pods.length, 6);
    // The document survives structured cloning (what postMessage does).
    assert.equal(structuredClone(b.doc), b.doc);
  }
  const bad = answer({ id: 2, kind: "build", spec: { mode: "host-gw", nodes: 0 } });
  assert.ok(!bad.ok && bad.id === 2 && bad.message.length > 0);
  const s = answer({ id: 3, kind: "scale", spec: { mode: "vxlan", nodes: 5, podsPerNode: 2 } });
  assert.ok(s.ok && s.kind === "scale" && s.run.checked === 90);
  const refused = answer({
    id: 4,
    kind: "scale",
    spec: { mode: "vxlan", nodes: -1, podsPerNode: 2 },
  });
  assert.ok(!refused.ok && refused.message.startsWith("nodes: "), JSON.stringify(refused));
});

test("generateFabric refuses a spec out of range as a value naming the field, never a throw", () => {
  const cases: [GenerateSpec, keyof GenerateSpec][] = [
    [{ mode: "vxlan", nodes: 0, podsPerNode: 2 }, "nodes"],
    [{ mode: "vxlan", nodes: 50001, podsPerNode: 2 }, "nodes"],
    [{ mode: "host-gw", nodes: 2.5, podsPerNode: 2 }, "nodes"],
    [{ mode: "host-gw", nodes: 3, podsPerNode: -1 }, "podsPerNode"],
    [{ mode: "host-gw", nodes: 3, podsPerNode: 251 }, "podsPerNode"],
    [{ mode: "calico" as "vxlan", nodes: 3, podsPerNode: 2 }, "mode"],
  ];
  for (const [spec, field] of cases) {
    const r = generateFabric(spec);
    assert.ok(!r.ok && r.error.field === field, `${JSON.stringify(spec)} → ${JSON.stringify(r)}`);
  }
  const edge = generateFabric({ mode: "host-gw", nodes: 1, podsPerNode: 0 });
  assert.ok(edge.ok && edge.value.pods.count === 0);
});

test.run();
