/**
 * Calico's routed pods and control plane: same-node traffic is routed by
 * the node (TTL 63, a proxy-ARP answer for 169.254.1.1), cross-node TTL
 * 62; proxy ARP answers only under Linux's conditions (proxy_arp on the
 * device, forwarding on, a unicast route out of another device), and the
 * counterexamples when each is broken; IPAM claims and borrows as Calico
 * does; BGP's sessions and learned routes under full mesh, route
 * reflectors and faults.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr, Prefix } from "../src/addr/mod.ts";
import { learnedRoutes, sessions } from "../src/control/bgp.ts";
import { allocate, originated } from "../src/control/ipam.ts";
import { proxyArpRoute } from "../src/forward/proxyarp.ts";
import { brokenWorlds, CALICO_FUZZ_MODES } from "../src/fuzz/mutate.ts";
import { traceShapeProblems } from "../src/trace/shape.ts";
import type { World } from "../src/model/world.ts";
import { trace } from "../src/trace/tracer.ts";
import type { Trace } from "../src/trace/types.ts";
import { addRoute, deleteRoute, setIpForward, withNamespace } from "../src/world/edit.ts";
import { namespaceNamed } from "../src/world/query.ts";
import { worldOf } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { example } from "./support/world.ts";

const GATEWAY = Addr.mustParse("169.254.1.1");

function run(w: World, from: string, to: string): Trace {
  const t = trace(w, { from, to });
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

const proxySteps = (t: Trace) =>
  t.hops.flatMap((h) => h.steps).filter((s) =>
    s.kind === "neighbour" && s.outcome.kind === "proxy-arp"
  );

const must = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

for (const mode of ["calico-bgp", "calico-vxlan"]) {
  test(`${mode}: same node TTL 63 through a proxy-ARP answer; across nodes TTL 62`, () => {
    const w = example(mode);
    const same = run(w, "a", "b");
    assert.is(same.verdict.kind, "delivered");
    if (same.verdict.kind === "delivered") assert.is(same.verdict.ttl, 63);
    const proxy = proxySteps(same)[0];
    assert.ok(proxy, "a proxy-ARP step");
    if (proxy?.kind === "neighbour") assert.is(proxy.addr, GATEWAY);
    const across = run(w, "a", "c");
    assert.is(across.verdict.kind, "delivered");
    if (across.verdict.kind === "delivered") assert.is(across.verdict.ttl, 62);
  });
}

test("proxy ARP: off on the cali veth, the pod's ARP for 169.254.1.1 goes unanswered", () => {
  const w = example("calico-bgp");
  const node = namespaceNamed(w, "node-1")!;
  const t = run(withNamespace(w, { ...node, sysctl: { ...node.sysctl, proxyArp: [] } }), "a", "b");
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind === "dropped") {
    assert.is(t.verdict.drop.reason, "neighbour-unreachable");
  }
});

test("proxy ARP: without a route for 169.254.1.1 out of another device, no answer", () => {
  const w = must(deleteRoute(example("calico-bgp"), "node-1", "default"));
  const t = run(w, "a", "b");
  assert.is(t.verdict.kind, "dropped");
  // ... and a route back out of the cali veth itself does not answer either (arp_fwd_proxy).
  const node = namespaceNamed(w, "node-1")!;
  const cali = node.sysctl.proxyArp![0];
  const back = must(addRoute(w, "node-1", `169.254.1.1 dev ${cali}`));
  assert.is(proxyArpRoute(namespaceNamed(back, "node-1")!, cali, GATEWAY, undefined), undefined);
});

test("proxy ARP: forwarding off answers nothing (ip_route_input fails)", () => {
  const w = must(setIpForward(example("calico-bgp"), "node-1", false));
  const node = namespaceNamed(w, "node-1")!;
  assert.is(proxyArpRoute(node, node.sysctl.proxyArp![0], GATEWAY, undefined), undefined);
});

test("proxy ARP: a blackhole or unreachable route for the address answers nothing; conf.all answers for every device (as Linux did in namespaces)", () => {
  const w = example("calico-bgp");
  const cali = namespaceNamed(w, "node-1")!.sysctl.proxyArp![0];
  for (const type of ["blackhole", "unreachable", "prohibit"]) {
    const holed = must(addRoute(w, "node-1", `${type} 169.254.1.1`));
    assert.is(
      proxyArpRoute(namespaceNamed(holed, "node-1")!, cali, GATEWAY, undefined),
      undefined,
      type,
    );
  }
  const node = namespaceNamed(w, "node-1")!;
  const all = { ...node, sysctl: { ...node.sysctl, proxyArp: ["all"] } };
  assert.ok(proxyArpRoute(all, cali, GATEWAY, undefined));
  assert.ok(proxyArpRoute(all, "eth0", GATEWAY, undefined) === undefined, "route leaves by eth0");
});

test("blackhole: a pod IP whose /32 route is gone falls into the block's blackhole, silently", () => {
  const w0 = example("calico-bgp");
  const b = w0.pods.find((p) => p.name === "b")!;
  const ip = namespaceNamed(w0, b.namespace!)!.devices.find((d) => d.name === "eth0")!
    .addresses[0].addr;
  const w = must(deleteRoute(w0, "node-1", `${ip}`));
  const t = run(w, "a", "b");
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind === "dropped") {
    assert.is(t.verdict.drop.reason, "route-rejects");
    if (t.verdict.drop.reason === "route-rejects") assert.is(t.verdict.drop.type, "blackhole");
    assert.is(t.verdict.senderSees.kind, "nothing");
  }
});

test("IPAM: blocks are disjoint, every address is in a block of its node or borrowed", () => {
  holds(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 24, max: 28 }),
      (pods, bits) => {
        const pool = { cidr: Prefix.mustParse("10.244.0.0/23"), blockBits: bits };
        const s = allocate(pool, pods, true);
        const capacity = 512 - pods.length;
        if (!s.ok) return pods.reduce((a, b) => a + b, 0) > capacity - 2 ** (32 - bits);
        const blocks = s.value.blocks.flat();
        assert.is(new Set(blocks).size, blocks.length);
        const seen = new Set<number>();
        s.value.allocations.forEach((list, node) => {
          assert.is(list.length, pods[node]);
          for (const a of list) {
            assert.not.ok(seen.has(a.ip.value), `${a.ip} given twice`);
            seen.add(a.ip.value);
            const owner = a.borrowedFrom ?? node;
            assert.ok(s.value.blocks[owner].includes(a.block) && a.block.contains(a.ip));
          }
        });
        return true;
      },
    ),
  );
});

test("IPAM: a full pool makes a node borrow, and the borrowed /32 is announced", () => {
  const s = must(
    allocate({ cidr: Prefix.mustParse("10.244.0.0/25"), blockBits: 26 }, [70, 1], false),
  );
  assert.equal(s.blocks.map((b) => b.map(String)), [["10.244.0.0/26"], ["10.244.0.64/26"]]);
  assert.is(s.allocations[0].filter((a) => a.borrowedFrom === 1).length, 6);
  assert.ok(originated(s, 0).some((p) => p.toString() === "10.244.0.64/32"));
});

const blocksOf = (n: number) =>
  Array.from({ length: n }, (_, i) => [Prefix.mustParse(`10.244.${i}.0/26`)]);

test("BGP: full mesh — every node learns every other block from its origin", () => {
  const got = learnedRoutes(blocksOf(4), { topology: { kind: "full-mesh" } });
  got.forEach((routes, i) => {
    assert.is(routes.length, 3);
    for (const r of routes) assert.is(r.from, r.origin);
    assert.not.ok(routes.some((r) => r.origin === i));
  });
});

test("BGP: a missing peering in a full mesh leaves exactly those two nodes' blocks missing", () => {
  const got = learnedRoutes(blocksOf(4), {
    topology: { kind: "full-mesh" },
    faults: [{ kind: "missing-peering", a: 0, b: 2 }],
  });
  assert.equal(got[0].map((r) => r.origin).sort(), [1, 3]);
  assert.equal(got[2].map((r) => r.origin).sort(), [1, 3]);
  assert.is(got[1].length, 3);
});

test("BGP: a route reflector passes clients' routes; without it nothing crosses", () => {
  const rr = { kind: "route-reflectors", reflectors: [0] } as const;
  const got = learnedRoutes(blocksOf(4), { topology: rr });
  got.forEach((routes) => assert.is(routes.length, 3));
  assert.is(sessions(4, { topology: rr }).length, 3);
  const down = learnedRoutes(blocksOf(4), {
    topology: rr,
    faults: [{ kind: "bird-stopped", node: 0 }],
  });
  // The clients lose every other block; the stopped reflector keeps what it installed.
  down.slice(1).forEach((routes) => assert.is(routes.length, 0));
  assert.is(down[0].length, 3);
});

test("BGP: a stopped BIRD keeps what it had when it stopped, not what later stops withdraw", () => {
  const rr = { kind: "route-reflectors", reflectors: [0] } as const;
  const got = learnedRoutes(blocksOf(3), {
    topology: rr,
    faults: [{ kind: "bird-stopped", node: 1 }, { kind: "bird-stopped", node: 2 }],
  });
  // Node 2 stopped first: it still has both other blocks; node 3 lost node 2's.
  assert.equal(got[1].map((r) => r.origin).sort(), [0, 2]);
  assert.equal(got[2].map((r) => r.origin).sort(), [0]);
  assert.equal(got[0].map((r) => r.origin).sort(), []);
});

test("BGP: a node down keeps its routes until the hold time, then they are withdrawn", () => {
  const at = (elapsed: number) =>
    learnedRoutes(blocksOf(3), {
      topology: { kind: "full-mesh" },
      holdTime: 90,
      faults: [{ kind: "node-down", node: 2, elapsed }],
    });
  assert.is(at(89)[0].length, 2);
  assert.equal(at(90)[0].map((r) => r.origin), [1]);
});

test("BGP: an export filter keeps one prefix from every peer", () => {
  const blocks = blocksOf(3);
  const got = learnedRoutes(blocks, {
    topology: { kind: "full-mesh" },
    faults: [{ kind: "export-filter", node: 1, prefix: blocks[1][0] }],
  });
  assert.equal(got[0].map((r) => r.origin), [2]);
});

test("calico-bgp builder: a lost peering makes exactly the pods behind it unreachable", () => {
  const w = worldOf({
    mode: "calico-bgp",
    nodes: 3,
    pods: 1,
    bgp: { topology: { kind: "full-mesh" }, faults: [{ kind: "missing-peering", a: 0, b: 2 }] },
  });
  assert.is(run(w, "a", "b").verdict.kind, "delivered");
  const lost = run(w, "a", "c");
  assert.is(lost.verdict.kind, "dropped");
});

test("every trace in a broken Calico world has a valid shape and ends", () => {
  holds(
    fc.property(brokenWorlds({ modes: CALICO_FUZZ_MODES, maxMutations: 3 }), ({ world }) => {
      for (const a of world.pods) {
        for (const b of world.pods) {
          if (a === b || a.namespace === undefined) continue;
          const t = trace(world, { from: a.name, to: b.name });
          if (t.ok) assert.equal(traceShapeProblems(t.value), [], `${a.name} → ${b.name}`);
        }
      }
    }),
    60,
  );
});

test.run();
