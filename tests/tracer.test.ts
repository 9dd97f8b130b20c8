/**
 * The tracer against what Linux does with the same packet: TTL on arrival,
 * the source address the receiver sees, where and why a packet dies, and
 * what the sender is told. Each case here was also checked in network
 * namespaces by the lab (tests/lab).
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr } from "../src/addr/mod.js";
import { checkPair } from "../src/invariants/invariants.js";
import { loadScenario } from "../src/scenario/load.js";
import { traceShapeProblems } from "../src/trace/shape.js";
import type { Probe } from "../src/trace/probe.js";
import { STEP_BUDGET } from "../src/trace/tracer.js";
import type { Step, Trace } from "../src/trace/types.js";
import {
  addIptables,
  addRoute,
  deleteRoute,
  setIpForward,
  setLinkUp,
  setMtu,
} from "../src/world/edit.js";
import { podIp, podNamed } from "../src/world/query.js";
import { clusterSpecs, worldOf } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { deepFreeze, example, hostVeth, must, traced } from "./support/world.ts";

const steps = (t: Trace, kind: Step["kind"]) =>
  t.hops.flatMap((h) => h.steps).filter((s) => s.kind === kind);
const path = (t: Trace) => t.hops.map((h) => h.at.name).join(" > ");

function delivered(t: Trace) {
  assert.is(t.verdict.kind, "delivered", `expected delivery, got ${JSON.stringify(t.verdict)}`);
  if (t.verdict.kind !== "delivered") throw new Error("unreachable");
  return t.verdict;
}

function dropped(t: Trace) {
  assert.is(t.verdict.kind, "dropped", `expected a drop, got ${JSON.stringify(t.verdict)}`);
  if (t.verdict.kind !== "dropped") throw new Error("unreachable");
  return t.verdict;
}

test("tracer: pods on one node's bridge are not routed: TTL 64 on arrival", () => {
  const w = example("single-host");
  const t = traced(w, { from: "a", to: "b" });
  const v = delivered(t);
  assert.is(v.ttl, 64);
  assert.is(v.pod, "b");
  assert.is(v.src, podIp(w, podNamed(w, "a")!));
  assert.is(steps(t, "ttl").length, 0);
  assert.is(path(t), "pod-a > node-1 > pod-b");
});

test("tracer: host-gw and VXLAN cross two routing nodes: TTL 62, source kept, no NAT", () => {
  for (const mode of ["host-gw", "vxlan"]) {
    const w = example(mode);
    const v = delivered(traced(w, { from: "a", to: "c" }));
    assert.is(v.ttl, 62, mode);
    assert.is(v.src.toString(), "10.244.1.2", mode);
    assert.not.ok(v.natted, mode);
  }
});

test("tracer: through the gateway router three nodes route: TTL 61", () => {
  const t = traced(example("gateway"), { from: "a", to: "c" });
  assert.is(delivered(t).ttl, 61);
  assert.is(path(t), "pod-a > node-1 > underlay > gateway > underlay > node-2 > pod-c");
});

test("tracer: VXLAN adds 50 bytes of outer IPv4/UDP/VXLAN/Ethernet, VNI 1, UDP 8472, node addresses outside", () => {
  const t = traced(example("vxlan"), { from: "a", to: "c", size: 1000 });
  const [encap] = steps(t, "vxlan-encap");
  assert.ok(encap && encap.kind === "vxlan-encap");
  if (encap.kind !== "vxlan-encap") return;
  assert.is(encap.outer.length - encap.inner.ip.length, 50);
  assert.is(encap.outer.dport, 8472);
  assert.is(encap.vni, 1);
  assert.is(encap.outer.src.toString(), "192.168.0.11");
  assert.is(encap.outer.dst.toString(), "192.168.0.12");
  assert.is(encap.outer.df, false);
  const [decap] = steps(t, "vxlan-decap");
  assert.ok(
    decap.kind === "vxlan-decap" && decap.inner.ip === encap.inner.ip,
    "decapsulation gives the inner packet back unchanged",
  );
});

test("tracer: one range on every bridge delivers to the wrong pod", () => {
  const w = example("same-range");
  assert.is(podIp(w, podNamed(w, "c")!), podIp(w, podNamed(w, "a")!));
  const toC = dropped(traced(w, { from: "a", to: "c" }));
  assert.equal(toC.drop, { reason: "wrong-pod", receiver: "a", intended: "c" });
  const toD = dropped(traced(w, { from: "a", to: "d" }));
  assert.equal(toD.drop, { reason: "wrong-pod", receiver: "b", intended: "d" });
  assert.is(toD.senderSees.kind, "reply", "the wrong pod answers");
});

test("tracer: Docker-style MASQUERADE: the receiver sees the node's address", () => {
  const v = delivered(traced(example("nat"), { from: "a", to: "c" }));
  assert.is(v.src.toString(), "192.168.0.11");
  assert.ok(v.natted);
});

test("tracer: a published port: DNAT on the node, MASQUERADE on the way", () => {
  const t = traced(example("nat"), { from: "a", to: "192.168.0.12", proto: "tcp", port: 8080 });
  const v = delivered(t);
  assert.is(v.pod, "c");
  assert.is(v.container, "app");
  assert.is(v.src.toString(), "192.168.0.11");
  assert.is(steps(t, "nat").length, 2);
});

test("tracer: ip_forward off on a node drops what it would route, silently; bridged traffic still flows", () => {
  const w = must(setIpForward(example("host-gw"), "node-1", false));
  const v = dropped(traced(w, { from: "a", to: "c" }));
  assert.is(v.namespace, "node-1");
  assert.is(v.drop.reason, "ip-forward-off");
  assert.equal(v.senderSees, { kind: "nothing" });
  assert.is(delivered(traced(w, { from: "a", to: "b" })).ttl, 64);
  assert.is(
    dropped(traced(w, { from: "c", to: "a" })).namespace,
    "node-1",
    "the way in is routed by node-1 too",
  );
});

test("tracer: a missing route: ICMP net unreachable from the node's bridge address", () => {
  const w = must(deleteRoute(example("host-gw"), "node-1", "10.244.2.0/24"));
  const v = dropped(traced(w, { from: "a", to: "c" }));
  assert.equal(v.drop, { reason: "no-route", dst: Addr.mustParse("10.244.2.2") });
  assert.equal(v.senderSees, {
    kind: "icmp",
    type: "destination-unreachable",
    code: "net",
    from: Addr.mustParse("10.244.1.1"),
    mtu: undefined,
  });
});

test("tracer: a routing loop ends in time exceeded after 63 routed hops, and the trace is finite", () => {
  let w = example("host-gw");
  w = must(addRoute(w, "node-1", "10.244.9.0/24 via 192.168.0.12 dev eth0"));
  w = must(addRoute(w, "node-2", "10.244.9.0/24 via 192.168.0.11 dev eth0"));
  const t = traced(w, { from: "a", to: "10.244.9.5" });
  const v = dropped(t);
  assert.is(v.drop.reason, "ttl-exceeded");
  assert.is(steps(t, "ttl").length, 63);
  assert.is(v.senderSees.kind, "icmp");
  assert.equal(traceShapeProblems(t), []);
});

test("tracer: a layer-2 loop is cut by the step budget and named", () => {
  const mac = "02:00:00:00:00:99";
  const doc = {
    version: 1,
    name: "l2-loop",
    mode: "custom",
    segments: [],
    nodes: [],
    pods: [],
    namespaces: [
      {
        name: "a",
        role: "pod",
        devices: [{ name: "eth0", kind: "veth", peer: "n/v0", addresses: ["10.0.0.1/24"] }],
        neighbours: [`10.0.0.9 dev eth0 lladdr ${mac}`],
      },
      {
        name: "n",
        role: "node",
        devices: [
          { name: "br0", kind: "bridge" },
          { name: "v0", kind: "veth", peer: "a/eth0", master: "br0" },
          { name: "v1", kind: "veth", peer: "m/w1", master: "br0" },
          { name: "v2", kind: "veth", peer: "m/w2", master: "br0" },
        ],
        fdb: [`${mac} dev v1 master br0 static`],
      },
      {
        name: "m",
        role: "node",
        devices: [
          { name: "br1", kind: "bridge" },
          { name: "w1", kind: "veth", peer: "n/v1", master: "br1" },
          { name: "w2", kind: "veth", peer: "n/v2", master: "br1" },
        ],
        fdb: [`${mac} dev w2 master br1 static`],
      },
    ],
  };
  const w = must(loadScenario(doc));
  const t = traced(w, { from: "a", to: "10.0.0.9" });
  const v = dropped(t);
  assert.is(v.drop.reason, "loop");
  assert.ok(t.hops.reduce((n, h) => n + h.steps.length, 0) <= STEP_BUDGET + 1);
});

test("tracer: DF and a smaller MTU on the way: dropped where the MTU shrinks, frag-needed names it", () => {
  let w = example("vxlan");
  for (
    const ref of [{ namespace: "pod-a", device: "eth0" }, hostVeth(w, "a"), {
      namespace: "node-1",
      device: "cni0",
    }]
  ) {
    w = must(setMtu(w, ref, 1500));
  }
  const v = dropped(traced(w, { from: "a", to: "c", size: 1500 }));
  assert.is(v.namespace, "node-1");
  assert.equal(v.drop, { reason: "mtu-exceeded", dev: "flannel.1", mtu: 1450, size: 1500 });
  assert.equal(v.senderSees, {
    kind: "icmp",
    type: "destination-unreachable",
    code: "fragmentation-needed",
    from: Addr.mustParse("10.244.1.1"),
    mtu: 1450,
  });
  const frag = delivered(traced(w, { from: "a", to: "c", size: 1500, df: false }));
  assert.is(frag.ttl, 62, "without DF the packet is fragmented and arrives");
});

test("tracer: a DF packet larger than the pod's own MTU fails at the sender with EMSGSIZE", () => {
  const v = dropped(traced(example("vxlan"), { from: "a", to: "c", size: 1451 }));
  assert.is(v.namespace, "pod-a");
  assert.equal(v.senderSees, { kind: "local-error", errno: "EMSGSIZE", mtu: 1450 });
});

test("tracer: a pod's veth down on the far node: nobody answers ARP, host unreachable", () => {
  const base = example("host-gw");
  const w = must(setLinkUp(base, hostVeth(base, "c"), false));
  const v = dropped(traced(w, { from: "a", to: "c" }));
  assert.is(v.namespace, "node-2");
  assert.is(v.drop.reason, "neighbour-unreachable");
  assert.equal(v.senderSees, {
    kind: "icmp",
    type: "destination-unreachable",
    code: "host",
    from: Addr.mustParse("192.168.0.12"),
    mtu: undefined,
  });
});

test("tracer: containers of a pod reach each other on localhost; a closed port is refused", () => {
  const w = example("host-gw");
  const t = traced(w, { from: "a/app", to: "127.0.0.1", proto: "tcp", port: 9090 });
  const v = delivered(t);
  assert.is(v.container, "sidecar");
  assert.is(v.namespace, "pod-a");
  assert.is(t.hops.length, 1);
  const closed = dropped(traced(w, { from: "a/app", to: "127.0.0.1", proto: "tcp", port: 1234 }));
  assert.equal(closed.drop, { reason: "port-unreachable", proto: "tcp", port: 1234 });
  assert.is(closed.senderSees.kind, "tcp-reset");
});

test("tracer: UDP or TCP to a node's own address: nothing listens there, so it is refused", () => {
  const w = example("host-gw");
  const udp = dropped(traced(w, { from: "a", to: "192.168.0.12", proto: "udp", port: 53 }));
  assert.is(udp.namespace, "node-2");
  assert.equal(udp.drop, { reason: "port-unreachable", proto: "udp", port: 53 });
  assert.equal(udp.senderSees, {
    kind: "icmp",
    type: "destination-unreachable",
    code: "port",
    from: Addr.mustParse("192.168.0.12"),
  });
  const tcp = dropped(traced(w, { from: "a", to: "192.168.0.12", proto: "tcp", port: 22 }));
  assert.is(tcp.senderSees.kind, "tcp-reset");
  assert.is(
    delivered(traced(w, { from: "a", to: "192.168.0.12" })).namespace,
    "node-2",
    "ping is answered",
  );
});

test("tracer: MASQUERADE between pods (the flannel RETURN rule removed) rewrites the source", () => {
  let w = example("host-gw");
  w = must(
    addIptables(w, "node-1", "-t nat -A POSTROUTING -s 10.244.1.0/24 -o eth0 -j MASQUERADE"),
  );
  const ok = checkPair(w, {
    pod: podNamed(w, "a")!,
    ip: podIp(w, podNamed(w, "a")!)!,
    namespace: "pod-a",
  }, { pod: podNamed(w, "c")!, ip: podIp(w, podNamed(w, "c")!)! });
  assert.is(ok, undefined, "the RETURN rule comes first: still NAT-free");
});

test("tracer: bad probes are errors that name the field", () => {
  const w = example("host-gw");
  const cases: [Probe, string, RegExp][] = [
    [{ from: "zz", to: "c" }, "from", /No pod, container or namespace called "zz"/],
    [{ from: "a/nope", to: "c" }, "from", /no container "nope"/],
    [{ from: "a", to: "10.244.1.300" }, "to", /larger than 255/],
    [{ from: "a", to: "ghost" }, "to", /No pod called "ghost"/],
    [{ from: "a", to: "c", proto: "tcp", port: 70000 }, "port", /1 to 65535/],
    [{ from: "a", to: "c", size: 10 }, "size", /28 to 65535/],
  ];
  for (const [probe, field, message] of cases) {
    const r = traceOf(w, probe);
    assert.not.ok(r.ok);
    if (!r.ok) {
      assert.is(r.error.field, field);
      assert.match(r.error.message, message);
    }
  }
});

import { trace as traceOf } from "../src/trace/tracer.js";

test("tracer: pure and deterministic: a frozen world, the same trace twice", () => {
  const w = deepFreeze(example("vxlan"));
  const before = JSON.stringify(w);
  const a = JSON.stringify(traced(w, { from: "a", to: "d" }));
  const b = JSON.stringify(traced(w, { from: "a", to: "d" }));
  assert.is(a, b);
  assert.is(JSON.stringify(w), before);
});

test("tracer: every trace in a generated cluster has a valid shape and is bounded", () => {
  holds(
    fc.property(
      clusterSpecs(["single-host", "gateway", "host-gw", "vxlan", "nat", "same-range"], 4, 4),
      (spec) => {
        const w = worldOf(spec);
        for (const a of w.pods) {
          for (const b of w.pods) {
            const t = traced(w, { from: a.name, to: b.name });
            const problems = traceShapeProblems(t);
            if (problems.length > 0) {
              throw new Error(`${a.name} → ${b.name}: ${problems.join("; ")}`);
            }
          }
        }
        return true;
      },
    ),
    60,
  );
});

test.run();
