/**
 * Generated Calico clusters (full mesh or a route reflector), healthy and
 * broken the ways a Calico cluster breaks — a lost BGP peering, a node's
 * BIRD stopped (real BIRD daemons, killed),
 * proxy ARP off on a pod's cali veth, a node's block blackhole removed, a
 * pod's /32 route removed — built in network namespaces: the kernel and
 * Linux agree on every probe. Sampled from a seed (FC_SEED, FC_RUNS); a
 * failure prints the seed, the cluster and the whole table.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import type { BgpFault, BgpTopology } from "../../src/control/bgp.js";
import { buildWorld, type ClusterSpec } from "../../src/scenario/build.js";
import { deleteRoute, withNamespace } from "../../src/world/edit.js";
import type { World } from "../../src/model/world.js";
import { namespaceNamed } from "../../src/world/query.js";
import { must } from "../support/world.ts";
import { assertAllAgree, envNumber, skipReason } from "./support.ts";

const BREAKS = [
  "none",
  "lost-peering",
  "bird-stopped",
  "proxy-arp-off",
  "blackhole-removed",
  "pod-route-removed",
] as const;
type Break = (typeof BREAKS)[number];

interface Case {
  readonly spec: ClusterSpec;
  readonly broken: Break;
  readonly at: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  mode: fc.constantFrom(
    "calico-bgp",
    "calico-ipip",
    "calico-vxlan",
    "calico-vxlan-cross-subnet" as const,
  ),
  nodes: fc.integer({ min: 2, max: 3 }),
  pods: fc.integer({ min: 1, max: 2 }),
  reflector: fc.boolean(),
  broken: fc.constantFrom(...BREAKS),
  at: fc.nat(),
}).map(({ mode, nodes, pods, reflector, broken, at }): Case => {
  const i = at % nodes;
  const faults: BgpFault[] = broken === "lost-peering"
    ? [{ kind: "missing-peering", a: i, b: (i + 1) % nodes }]
    : broken === "bird-stopped"
    ? [{ kind: "bird-stopped", node: i }]
    : [];
  const topology: BgpTopology = reflector && nodes > 2
    ? { kind: "route-reflectors", reflectors: [0] }
    : { kind: "full-mesh" };
  return {
    spec: {
      mode,
      nodes,
      pods,
      ...(mode === "calico-bgp" || mode === "calico-ipip" ? { bgp: { topology, faults } } : {}),
    },
    broken,
    at: i,
  };
});

function worldOf(c: Case): World {
  const w = must(buildWorld(c.spec));
  const node = namespaceNamed(w, w.nodes[c.at].namespace)!;
  switch (c.broken) {
    case "none":
    case "lost-peering":
    case "bird-stopped":
      return w;
    case "proxy-arp-off": {
      const [first, ...rest] = node.sysctl.proxyArp ?? [];
      if (first === undefined) return w;
      return withNamespace(w, { ...node, sysctl: { ...node.sysctl, proxyArp: rest } });
    }
    case "blackhole-removed": {
      // Felix's blackholes only: BIRD's (proto bird) are BIRD's to install, and it would put one back.
      const hole = node.routes.find((r) => r.type === "blackhole" && r.proto !== "bird");
      return hole ? must(deleteRoute(w, node.name, `blackhole ${hole.dst}`)) : w;
    }
    case "pod-route-removed": {
      const route = node.routes.find((r) => r.dst.bits === 32 && r.dev?.startsWith("cali"));
      return route ? must(deleteRoute(w, node.name, `${route.dst.addr} dev ${route.dev}`)) : w;
    }
  }
}

if (!(await skipReason())) {
  test("lab: generated Calico clusters, healthy and broken: kernel and Linux agree", async () => {
    const seed = envNumber("FC_SEED", 20261203);
    const numRuns = envNumber("FC_RUNS", 8);
    const sampled = fc.sample(cases, { seed, numRuns });
    try {
      // The lab configures BIRD with the topology and faults the world was built with.
      await assertAllAgree(
        sampled.map((c) => [JSON.stringify(c), worldOf(c), { bgp: c.spec.bgp }] as const),
      );
    } catch (e) {
      assert.unreachable(`seed ${seed} (replay: FC_SEED=${seed}): ${(e as Error).message}`);
    }
  });
}

test.run();
