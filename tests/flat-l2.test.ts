/**
 * Flat layer 2 (a node NIC enslaved to a bridge, pods on the underlay's
 * subnet): the underlay segment is a learning switch that floods unknown
 * unicast, so every pod and node reaches every other across nodes, with no
 * routing on the way (TTL unchanged), as on Linux. Generated over cluster
 * sizes; the lab regression is in tests/lab/broken.test.ts.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { segmentReceivers } from "../src/forward/layer2.js";
import { trace } from "../src/trace/tracer.js";
import { flatWorld } from "./support/flat.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

const sizes = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 });

test("flat layer 2: every pod and node reaches every pod and node across the bridged underlay, TTL unchanged", () => {
  holds(
    fc.property(sizes, fc.nat(), (pods, i) => {
      const w = flatWorld(pods);
      const names = [...w.pods.map((p) => p.name), ...w.nodes.map((n) => n.name)];
      const from = names[i % names.length];
      for (
        const to of [
          ...w.pods.map((p) => p.name),
          ...w.nodes.map((n) => `192.168.0.${10 + Number(n.name.slice(5))}`),
        ]
      ) {
        if (to === from) continue;
        const t = must(trace(w, { from, to }));
        assert.is(t.verdict.kind, "delivered", `${from} → ${to}`);
        if (t.verdict.kind === "delivered") assert.is(t.verdict.ttl, 64, `${from} → ${to}`);
      }
    }),
    30,
  );
});

test("the underlay switch floods a frame for a MAC no NIC has, and sends a known one to its NIC only", () => {
  holds(
    fc.property(sizes, fc.nat(), (pods, i) => {
      const w = flatWorld(pods);
      const nics = w.namespaces.flatMap((n) => n.devices.filter((d) => d.kind === "nic"));
      const from = nics[i % nics.length];
      if (from.kind !== "nic") return;
      const others = nics.filter((n) => n !== from);
      const podMac = w.namespaces.find((n) => n.role === "pod")!.devices[1].mac;
      assert.equal(segmentReceivers(w, from, podMac), others);
      assert.equal(segmentReceivers(w, from, "broadcast"), others);
      for (const n of others) assert.equal(segmentReceivers(w, from, n.mac), [n]);
    }),
    30,
  );
});

test.run();
