/**
 * Broken worlds, one per way the course breaks a cluster — a route deleted,
 * ip_forward off, FORWARD DROP, a MASQUERADE rule, an MTU too small for a
 * DF packet, overlapping pod ranges — plus the worlds of
 * tests/tracer-linux.test.ts and the VXLAN breakage classes of
 * tests/fidelity.test.ts (ARP with no way back, learning against a
 * permanent entry, cloned VTEP MACs): the kernel and Linux agree on every probe.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildWorld } from "../../src/scenario/build.js";
import { addIptables, deleteRoute, setIpForward, setMtu } from "../../src/world/edit.js";
import type { World } from "../../src/model/world.js";
import { gatewayOneWay, hostGwNoWayBack, vxlanThinUnderlay } from "../support/linux-worlds.ts";
import { example, must } from "../support/world.ts";
import { flatWorld } from "../support/flat.ts";
import { buildScenario } from "../../src/scenario/build.js";
import { loadScenario } from "../../src/scenario/load.js";
import { applyMutation, type Mutation } from "../../src/fuzz/mutate.js";
import type { ScenarioDoc } from "../../src/scenario/schema.js";

/** A two-node VXLAN cluster (one pod each) with `edit` applied to its document. */
function vxlanBroken(edit: (doc: ScenarioDoc) => ScenarioDoc): World {
  return must(loadScenario(edit(must(buildScenario({ mode: "vxlan", nodes: 2, pods: [1, 1] })))));
}

const mutate = (...ms: Mutation[]) => (doc: ScenarioDoc) => ms.reduce(applyMutation, doc);
const fdbOf = (doc: ScenarioDoc, ns: string) => doc.namespaces.find((n) => n.name === ns)!.fdb!;
const neighOf = (doc: ScenarioDoc, ns: string) =>
  doc.namespaces.find((n) => n.name === ns)!.neighbours!;
import { assertAllAgree, skipReason } from "./support.ts";

const cases: [string, () => World][] = [
  [
    "host-gw, node-1 lost its route to node-2's pods",
    () => must(deleteRoute(example("host-gw"), "node-1", "10.244.2.0/24")),
  ],
  ["vxlan, ip_forward off on node-2", () => must(setIpForward(example("vxlan"), "node-2", false))],
  [
    "host-gw, -P FORWARD DROP on node-1",
    () => must(addIptables(example("host-gw"), "node-1", "-P FORWARD DROP")),
  ],
  [
    "gateway, MASQUERADE out of node-1's eth0",
    () =>
      must(
        addIptables(example("gateway"), "node-1", "-t nat -A POSTROUTING -o eth0 -j MASQUERADE"),
      ),
  ],
  [
    "vxlan, node-2's cni0 MTU 1400 under 1450-byte DF probes",
    () => must(setMtu(example("vxlan"), { namespace: "node-2", device: "cni0" }, 1400)),
  ],
  [
    "host-gw, node-2's eth0 MTU 1300",
    () => must(setMtu(example("host-gw"), { namespace: "node-2", device: "eth0" }, 1300)),
  ],
  [
    "host-gw, overlapping pod ranges 10.244.0.0/23 and 10.244.1.0/24",
    () => must(buildWorld({ mode: "host-gw", podCidrs: ["10.244.0.0/23", "10.244.1.0/24"] })),
  ],
  ["host-gw, node-2 has no way back (tracer-linux)", hostGwNoWayBack],
  ["gateway, node-1 drops eth0 → cni0 (tracer-linux)", gatewayOneWay],
  ["vxlan, node-1's eth0 MTU 1300 under 1450-byte pods (tracer-linux)", vxlanThinUnderlay],
  [
    "flat layer 2: NICs enslaved to br0, pods on the underlay's subnet (flat-l2)",
    () => flatWorld([2, 1]),
  ],
  [
    "flat layer 2 over VXLAN (vx0 a port of br0), eth0 lowered to 1400 after vx0: fragmentation needed from the inner destination (path-mtu)",
    () => flatWorld([1, 1], { underMtu: 1400 }),
  ],
  [
    "host-gw, pod a's host-side veth MTU 1000 (its big frames: ENOBUFS warm, nothing cold)",
    () => {
      const w = example("host-gw");
      const ns = w.namespaces.find((n) => n.name === w.pods[0].namespace)!;
      const eth0 = ns.devices.find((d) => d.kind === "veth")!;
      if (eth0.kind !== "veth") throw new Error("pod a has no veth");
      return must(setMtu(w, eth0.peer, 1000));
    },
  ],
  [
    "vxlan, both nodes' eth0 lowered to 1400 after flannel.1 (DF pod packets wrapped anyway, outer fragmented)",
    () =>
      [1, 2].reduce(
        (w, i) => must(setMtu(w, { namespace: `node-${i}`, device: "eth0" }, 1400)),
        example("vxlan"),
      ),
  ],
  [
    "vxlan, node-1 asks by ARP over a default FDB entry, node-2 has no entry back (learning off)",
    () =>
      vxlanBroken((doc) =>
        mutate(
          { kind: "neigh-delete", ns: "node-1", line: neighOf(doc, "node-1")[0] },
          {
            kind: "fdb-add",
            ns: "node-1",
            line: "00:00:00:00:00:00 dev flannel.1 dst 192.168.0.12 self permanent",
          },
          { kind: "fdb-delete", ns: "node-2", line: fdbOf(doc, "node-2")[0] },
        )(doc)
      ),
  ],
  [
    "vxlan, node-2 learns with a permanent entry putting node-1's MAC elsewhere",
    () =>
      vxlanBroken((doc) => {
        const line = fdbOf(doc, "node-2")[0];
        return mutate(
          { kind: "learning", ns: "node-2", dev: "flannel.1", on: true },
          {
            kind: "fdb-replace",
            ns: "node-2",
            line,
            with: line.replace("192.168.0.11", "192.168.0.99"),
          },
        )(doc);
      }),
  ],
  [
    "vxlan, node-2's flannel.1 cloned node-1's MAC",
    () =>
      vxlanBroken((doc) => {
        const [mine, theirs] = [fdbOf(doc, "node-2")[0], fdbOf(doc, "node-1")[0]].map((l) =>
          l.split(" ")[0]
        );
        const text = JSON.stringify({
          ...doc,
          namespaces: doc.namespaces.map((n) =>
            n.name !== "node-2" ? n : {
              ...n,
              devices: n.devices.map((d) => (d.name === "flannel.1" ? { ...d, mac: theirs } : d)),
            }
          ),
        });
        // node-2's tunnel gets node-1's MAC; every entry naming node-2's names it too.
        return JSON.parse(text.replaceAll(theirs, mine));
      }),
  ],
];

if (!(await skipReason())) {
  test("lab: broken worlds: kernel and Linux agree on every probe", async () => {
    const reports = await assertAllAgree(cases.map(([name, world]) => [name, world()]));
    reports.forEach((r, i) =>
      assert.ok(
        r.rows.some((row) => row.kernel.receptions.length === 0),
        `${cases[i][0]}: nothing broke`,
      )
    );
  });
}

test.run();
