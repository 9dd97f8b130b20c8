/**
 * The network model's rules over generated clusters. Each rule is stated in
 * its own words and checked where it must hold; then, for each rule, a
 * broken world where it must fail, asserting the exact counterexamples that
 * come back — so none of these properties could pass by never failing.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import {
  type Counterexample,
  disjointNodeCidrs,
  localhostInPod,
  natFreeReachability,
  stableIpAcrossRestarts,
  uniquePodIps,
} from "../src/invariants/invariants.js";
import { createPod } from "../src/pods/lifecycle.js";
import type { ClusterSpec } from "../src/scenario/build.js";
import { traceResolved } from "../src/trace/tracer.js";
import { addIptables, deleteRoute, setIpForward, setLinkUp, setMtu } from "../src/world/edit.js";
import { namespaceNamed, nodeNamed, podIp, podsWithIp } from "../src/world/query.js";
import type { World } from "../src/model/world.js";
import { clusterSpecs, worldOf } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

type Reach = Extract<Counterexample, { invariant: "nat-free-reachability" }>;

const nodeOf = (w: World, pod: string) => w.pods.find((p) => p.name === pod)!.node;
const pairKey = (from: string, to: string) => `${from}→${to}`;
const failingPairs = (w: World) =>
  new Set((natFreeReachability(w).counterexamples as Reach[]).map((c) => pairKey(c.from, c.to)));

function expectedPairs(w: World, fails: (from: string, to: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const a of w.pods) {
    for (const b of w.pods) {
      if (a !== b && fails(a.name, b.name)) out.add(pairKey(a.name, b.name));
    }
  }
  return out;
}

function sameSet(actual: Set<string>, expected: Set<string>, what: string) {
  const missing = [...expected].filter((x) => !actual.has(x));
  const extra = [...actual].filter((x) => !expected.has(x));
  if (missing.length || extra.length) {
    throw new Error(
      `${what}: missing ${missing.slice(0, 5).join(", ") || "none"}; unexpected ${
        extra.slice(0, 5).join(", ") || "none"
      }`,
    );
  }
}

/** A spec with at least two nodes, and a pair of distinct node indices. */
const multiNode = (modes: ClusterSpec["mode"][], maxNodes = 5, maxPods = 4) =>
  clusterSpecs(modes, maxNodes, maxPods)
    .filter((s) => (s.nodes ?? 1) >= 2)
    .chain((spec) =>
      fc.tuple(fc.nat({ max: spec.nodes! - 1 }), fc.nat({ max: spec.nodes! - 2 }))
        .map(([x, k]) => ({ spec, x, y: k >= x ? k + 1 : k }))
    );

// --- the rules hold --------------------------------------------------------------

test("every pod reaches every other pod with its own source address and no NAT", () => {
  holds(fc.property(clusterSpecs(), (spec) => natFreeReachability(worldOf(spec)).holds), 40);
});

test("containers of one pod reach each other on localhost", () => {
  holds(
    fc.property(clusterSpecs(undefined, 4, 6), (spec) => localhostInPod(worldOf(spec)).holds),
    30,
  );
});

test("no two pods share an IP, and no two nodes' pod CIDRs overlap", () => {
  holds(
    fc.property(clusterSpecs(), (spec) => {
      const w = worldOf(spec);
      return uniquePodIps(w).holds && disjointNodeCidrs(w).holds;
    }),
    100,
  );
});

test("restarting an app container keeps the pod's namespace and IP", () => {
  holds(
    fc.property(
      clusterSpecs(undefined, 4, 6),
      (spec) => stableIpAcrossRestarts(worldOf(spec)).holds,
    ),
    40,
  );
});

// --- and fail where they must ------------------------------------------------------

test("overlapping CIDRs: the wrong pod or no pod receives, and the overlap is named", () => {
  holds(
    fc.property(multiNode(["host-gw", "vxlan", "gateway"]), ({ spec, x, y }) => {
      const cidrs = [...spec.podCidrs!];
      cidrs[y] = cidrs[x];
      const w = worldOf({ ...spec, podCidrs: cidrs });
      const overlap = disjointNodeCidrs(w);
      assert.is(overlap.counterexamples.length, 1);
      const c = overlap.counterexamples[0] as Extract<
        Counterexample,
        { invariant: "disjoint-node-cidrs" }
      >;
      assert.equal(new Set([c.node, c.overlaps]), new Set([`node-${x + 1}`, `node-${y + 1}`]));
      for (const ce of natFreeReachability(w).counterexamples as Reach[]) {
        const v = ce.trace.verdict;
        assert.is(
          ce.problem.kind,
          "dropped",
          `${ce.from} → ${ce.to} must not be delivered to its pod`,
        );
        const drop = v.kind === "dropped" ? v.drop : undefined;
        if (drop?.reason === "wrong-pod") {
          assert.is(
            podIp(w, w.pods.find((p) => p.name === drop.receiver)!)?.toString(),
            podIp(w, w.pods.find((p) => p.name === ce.to)!)?.toString(),
          );
        }
      }
      const from = w.pods.find((p) => p.node === `node-${x + 1}`)!;
      const twin = w.pods.find((p) =>
        p.node === `node-${y + 1}` && podsWithIp(w, podIp(w, p)!).length > 1 && p.name !== from.name
      );
      if (twin) {
        const receiver = podsWithIp(w, podIp(w, twin)!).find((p) => p.node === from.node)!;
        const ce = (natFreeReachability(w).counterexamples as Reach[]).find((c) =>
          c.from === from.name && c.to === twin.name
        );
        const expected = receiver.name === from.name ? from.name : receiver.name;
        assert.ok(
          ce && ce.problem.kind === "dropped" && ce.problem.drop.reason === "wrong-pod",
          `${from.name} → ${twin.name}`,
        );
        if (ce?.problem.kind === "dropped" && ce.problem.drop.reason === "wrong-pod") {
          assert.is(ce.problem.drop.receiver, expected);
        }
      }
      assert.not.ok(uniquePodIps(w).holds);
      return true;
    }),
    30,
  );
});

test("one route deleted: exactly the pods behind it are unreachable from the affected node", () => {
  holds(
    fc.property(multiNode(["host-gw", "vxlan"]), ({ spec, x, y }) => {
      const base = worldOf(spec);
      const cidr = nodeNamed(base, `node-${y + 1}`)!.podCidr.toString();
      const w = must(deleteRoute(base, `node-${x + 1}`, cidr));
      const expected = expectedPairs(
        w,
        (a, b) => nodeOf(w, a) === `node-${x + 1}` && nodeOf(w, b) === `node-${y + 1}`,
      );
      sameSet(failingPairs(w), expected, "unreachable pairs");
      for (const c of natFreeReachability(w).counterexamples as Reach[]) {
        assert.ok(c.problem.kind === "dropped" && c.problem.drop.reason === "no-route");
        assert.is(c.trace.verdict.namespace, `node-${x + 1}`);
      }
      return true;
    }),
    30,
  );
});

test("one route deleted on the gateway: nobody outside that node reaches its pods", () => {
  holds(
    fc.property(multiNode(["gateway"]), ({ spec, y }) => {
      const base = worldOf(spec);
      const target = `node-${y + 1}`;
      const w = must(deleteRoute(base, "gateway", nodeNamed(base, target)!.podCidr.toString()));
      const expected = expectedPairs(
        w,
        (a, b) => nodeOf(w, a) !== target && nodeOf(w, b) === target,
      );
      sameSet(failingPairs(w), expected, "unreachable pairs");
      return true;
    }),
    25,
  );
});

test("ip_forward off on a node: exactly the traffic it would route fails", () => {
  holds(
    fc.property(multiNode(["host-gw", "vxlan", "gateway"]), ({ spec, x }) => {
      const node = `node-${x + 1}`;
      const w = must(setIpForward(worldOf(spec), node, false));
      const routedBy = (a: string, b: string) =>
        nodeOf(w, a) !== nodeOf(w, b) && (nodeOf(w, a) === node || nodeOf(w, b) === node);
      sameSet(failingPairs(w), expectedPairs(w, routedBy), "pairs through the node");
      for (const c of natFreeReachability(w).counterexamples as Reach[]) {
        assert.ok(c.problem.kind === "dropped" && c.problem.drop.reason === "ip-forward-off");
        assert.is(c.trace.verdict.namespace, node);
      }
      return true;
    }),
    30,
  );
});

test("a MASQUERADE rule between pods: NAT-free fails and shows the rewritten source", () => {
  holds(
    fc.property(multiNode(["gateway", "host-gw"]), ({ spec, x }) => {
      const node = `node-${x + 1}`;
      const base = worldOf(spec);
      const cidr = nodeNamed(base, node)!.podCidr;
      const w = must(
        addIptables(base, node, `-t nat -A POSTROUTING -s ${cidr} -o eth0 -j MASQUERADE`),
      );
      const nodeIp = namespaceNamed(w, node)!.devices.find((d) =>
        d.name === "eth0"
      )!.addresses[0].addr;
      if (spec.mode === "host-gw") {
        assert.ok(
          natFreeReachability(w).holds,
          "flannel's RETURN rule comes first and keeps pod traffic NAT-free",
        );
        return true;
      }
      const expected = expectedPairs(w, (a, b) => nodeOf(w, a) === node && nodeOf(w, b) !== node);
      sameSet(failingPairs(w), expected, "masqueraded pairs");
      for (const c of natFreeReachability(w).counterexamples as Reach[]) {
        assert.ok(c.problem.kind === "source-rewritten");
        if (c.problem.kind === "source-rewritten") assert.is(c.problem.seen, nodeIp);
      }
      return true;
    }),
    30,
  );
});

test("a smaller MTU with DF: dropped at the node whose link is too small, in both directions", () => {
  holds(
    fc.property(multiNode(["host-gw", "gateway"]), ({ spec, x }) => {
      const node = `node-${x + 1}`;
      const w = must(setMtu(worldOf(spec), { namespace: node, device: "eth0" }, 1000));
      for (const a of w.pods) {
        for (const b of w.pods) {
          if (
            nodeOf(w, a.name) === nodeOf(w, b.name) ||
            (nodeOf(w, a.name) !== node && nodeOf(w, b.name) !== node)
          ) continue;
          const t = traceResolved(w, {
            namespace: a.namespace!,
            pod: a,
            dst: podIp(w, b)!,
            intended: b,
            claimants: [b],
            proto: "icmp",
            size: 1200,
            df: true,
          });
          const v = t.verdict;
          assert.is(v.kind, "dropped", `${a.name} → ${b.name}`);
          if (v.kind !== "dropped") continue;
          assert.is(v.namespace, node, `${a.name} → ${b.name} dies at ${node}`);
          if (nodeOf(w, a.name) === node) {
            assert.equal(v.drop, { reason: "mtu-exceeded", dev: "eth0", mtu: 1000, size: 1200 });
          } else {assert.equal(v.drop, {
              reason: "frame-too-big",
              dev: "eth0",
              mtu: 1000,
              size: 1200,
            });}
        }
      }
      return true;
    }),
    25,
  );
});

test("a pod without a pause container: restarting its app moves it to a new namespace and IP", () => {
  holds(
    fc.property(clusterSpecs(["host-gw", "single-host"], 3, 3), fc.nat(), (spec, pick) => {
      const base = worldOf(spec);
      const node = base.nodes[pick % base.nodes.length].name;
      const w = must(createPod(base, { name: "nopause", node, pause: false })).world;
      const r = stableIpAcrossRestarts(w);
      assert.is(r.counterexamples.length, 1);
      const c = r.counterexamples[0] as Extract<
        Counterexample,
        { invariant: "stable-ip-across-restarts" }
      >;
      assert.is(c.pod, "nopause");
      assert.is.not(c.after.ip, c.before.ip);
      assert.is.not(c.after.namespace, c.before.namespace);
      return true;
    }),
    25,
  );
});

test("loopback down in a pod: its containers no longer reach each other on localhost", () => {
  holds(
    fc.property(clusterSpecs(undefined, 3, 3), fc.nat(), (spec, pick) => {
      const base = worldOf(spec);
      const pod = base.pods[pick % base.pods.length];
      const w = must(setLinkUp(base, { namespace: pod.namespace!, device: "lo" }, false));
      const r = localhostInPod(w);
      assert.ok(r.counterexamples.length > 0);
      for (const c of r.counterexamples) {
        assert.is((c as Extract<Counterexample, { invariant: "localhost-in-pod" }>).pod, pod.name);
      }
      return true;
    }),
    25,
  );
});

test.run();
