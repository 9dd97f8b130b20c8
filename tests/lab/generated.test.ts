/**
 * Generated small clusters, healthy and broken, built in network
 * namespaces: for each, the kernel and Linux agree on every probe. A
 * handful of clusters sampled from a seed (FC_SEED and FC_RUNS change
 * them); a failure prints the seed, the cluster and the whole table.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Prefix } from "../../src/addr/mod.js";
import { buildWorld, type ClusterSpec, MODES } from "../../src/scenario/build.js";
import { addIptables, deleteRoute, setIpForward, setMtu } from "../../src/world/edit.js";
import type { World } from "../../src/model/world.js";
import { disjointCidrs } from "../support/clusters.ts";
import { must } from "../support/world.ts";
import { assertAllAgree, envNumber, skipReason } from "./support.ts";

/** How a generated cluster is broken. */
const BREAKS = ["none", "route", "forward", "drop", "masquerade", "mtu", "overlap"] as const;
type Break = (typeof BREAKS)[number];

interface Case {
  readonly spec: ClusterSpec;
  readonly broken: Break;
  /** Index of the node the break applies to. */
  readonly at: number;
}

/** The bridged modes; Calico's clusters and their breakages are in calico.test.ts. */
const BRIDGED = MODES.filter((m) => !m.startsWith("calico-"));

const cases: fc.Arbitrary<Case> = fc.record({
  mode: fc.constantFrom(...BRIDGED),
  nodes: fc.integer({ min: 1, max: 3 }),
  pods: fc.integer({ min: 1, max: 2 }),
  broken: fc.constantFrom(...BREAKS),
  at: fc.nat(),
}).chain(({ mode, nodes, pods, broken, at }) => {
  const n = mode === "single-host" ? 1 : Math.max(2, nodes);
  return disjointCidrs(n).map((cidrs): Case => {
    const podCidrs = [...cidrs];
    if (broken === "overlap" && n > 1) {
      // The second node's range is the upper half of the first's.
      const first = Prefix.mustParse(podCidrs[0]);
      podCidrs[1] = Prefix.of(first.addr.add(2 ** (31 - first.bits))!, first.bits + 1).toString();
    }
    return {
      spec: { mode, nodes: n, pods: Array(n).fill(n === 1 ? pods + 1 : pods), podCidrs },
      broken,
      at: at % n,
    };
  });
});

function worldOf(c: Case): World {
  const w = must(buildWorld(c.spec));
  const node = w.nodes[c.at];
  switch (c.broken) {
    case "none":
    case "overlap":
      return w;
    case "route": {
      const ns = w.namespaces.find((x) => x.name === node.namespace)!;
      const route = ns.routes.find((r) => r.proto !== "kernel");
      return route ? must(deleteRoute(w, node.namespace, route.dst.toString())) : w;
    }
    case "forward":
      return must(setIpForward(w, node.namespace, false));
    case "drop":
      return must(addIptables(w, node.namespace, "-P FORWARD DROP"));
    case "masquerade":
      return must(addIptables(w, node.namespace, "-t nat -A POSTROUTING -o eth0 -j MASQUERADE"));
    case "mtu":
      return must(
        // The bridged modes only (BRIDGED): every node has a bridge.
        setMtu(w, { namespace: node.namespace, device: node.bridge ?? "eth0" }, node.podMtu - 100),
      );
  }
}

if (!(await skipReason())) {
  test("lab: generated clusters, healthy and broken: kernel and Linux agree", async () => {
    const seed = envNumber("FC_SEED", 20261126);
    const numRuns = envNumber("FC_RUNS", 6);
    // Sampled rather than asserted as a property: a lab run is too slow to
    // shrink, and sampled cases run several labs at once.
    const sampled = fc.sample(cases, { seed, numRuns });
    try {
      await assertAllAgree(sampled.map((c) => [JSON.stringify(c), worldOf(c)]));
    } catch (e) {
      assert.unreachable(`seed ${seed} (replay: FC_SEED=${seed}): ${(e as Error).message}`);
    }
  });
}

test.run();
