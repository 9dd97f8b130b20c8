/**
 * Path MTU over VXLAN, as Linux has it (verified in namespaces): an
 * underlay lowered under an existing `flannel.1` does not make the tunnel
 * refuse DF packets (it is not a bridge port); the inner packet is wrapped
 * anyway and the outer packet, DF clear, fragmented. What breaks is the
 * other direction: a full-size outer packet from another node is too big
 * for the lowered NIC and dropped silently. Generated over VXLAN clusters
 * with the underlay lowered at a random node, sizes around every boundary.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { applyMutation } from "../src/fuzz/mutate.js";
import { buildScenario } from "../src/scenario/build.js";
import { loadScenario } from "../src/scenario/load.js";
import { trace } from "../src/trace/tracer.js";
import { vxlanPathMtu } from "../src/forward/rules.js";
import { VXLAN_OVERHEAD } from "../src/wire/vxlan.js";
import { pathMtu } from "../src/invariants/invariants.js";
import { describeCounterexample } from "../src/render/text.js";
import type { World } from "../src/model/world.js";
import { clusterSpecs, worldOf } from "./support/clusters.ts";
import { flatWorld } from "./support/flat.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

/** A VXLAN cluster of 2–3 nodes with one node's `eth0` lowered to `mtu`. */
const lowered = fc.record({
  spec: clusterSpecs(["vxlan"], 3, 2).filter((s) => (s.nodes ?? 1) >= 2),
  node: fc.nat(),
  mtu: fc.integer({ min: 700, max: 1499 }),
}).map(({ spec, node, mtu }) => {
  const doc = must(buildScenario(spec));
  const at = doc.nodes[node % doc.nodes.length];
  const ns = at.namespace ?? at.name;
  const nic = doc.namespaces.find((n) => n.name === ns)!.devices.find((d) => d.kind === "nic")!;
  const w = must(loadScenario(applyMutation(doc, { kind: "mtu", ns, dev: nic.name, mtu })));
  return { w, node: at.name, ns, mtu };
});

test("VXLAN over a lowered underlay: pods' DF packets up to their MTU leave the node, wrapped anyway and fragmented", () => {
  holds(
    fc.property(lowered, ({ w, node, mtu }) => {
      const tunnel = mtu - VXLAN_OVERHEAD;
      const mine = w.pods.filter((p) => p.node === node);
      const far = w.pods.find((p) => p.node !== node)!;
      for (const pod of mine) {
        const podMtu = 1500 - VXLAN_OVERHEAD;
        for (const size of [tunnel - 1, tunnel, tunnel + 1, podMtu].filter((s) => s >= 84)) {
          const t = must(trace(w, { from: pod.name, to: far.name, size }));
          const at = `${pod.name} → ${far.name} ${size}B DF over eth0 ${mtu}`;
          assert.is(t.verdict.kind, "delivered", at);
          const wrapped = t.hops.some((h) =>
            h.steps.some((s) => s.kind === "mtu" && s.outcome === "wrapped-anyway")
          );
          assert.is(wrapped, size > tunnel, `${at}: the tunnel's path MTU step`);
        }
        const over = must(trace(w, { from: pod.name, to: far.name, size: podMtu + 1 }));
        assert.equal(over.verdict.kind === "dropped" && over.verdict.senderSees, {
          kind: "local-error",
          errno: "EMSGSIZE",
          mtu: podMtu,
        });
      }
    }),
    30,
  );
});

test("VXLAN over a lowered underlay: packets into that node whose outer frame exceeds its NIC die there, silently", () => {
  holds(
    fc.property(lowered, ({ w, node, ns, mtu }) => {
      const into = w.pods.find((p) => p.node === node)!;
      const from = w.pods.find((p) => p.node !== node)!;
      // The largest inner packet whose 50-byte-longer frame the NIC still takes (one VLAN tag of slack).
      const last = Math.min(mtu + 4 - VXLAN_OVERHEAD, 1500 - VXLAN_OVERHEAD);
      for (const size of [last - 1, last, last + 1].filter((s) => s >= 84 && s <= 1450)) {
        const t = must(trace(w, { from: from.name, to: into.name, size }));
        const at = `${from.name} → ${into.name} ${size}B DF into eth0 ${mtu}`;
        if (size <= last) {
          assert.is(t.verdict.kind, "delivered", at);
          continue;
        }
        assert.is(t.verdict.kind, "dropped", at);
        if (t.verdict.kind !== "dropped") continue;
        assert.is(t.verdict.namespace, ns, at);
        assert.is(t.verdict.drop.reason, "frame-too-big", at);
        assert.equal(t.verdict.senderSees, { kind: "nothing" }, at);
      }
    }),
    30,
  );
});

test("the tunnel's check: ICMP only from a bridge port, DF set, a tunnel MTU of at least 576", () => {
  holds(
    fc.property(
      fc.integer({ min: 68, max: 9000 }),
      fc.boolean(),
      fc.integer({ min: 68, max: 9000 }),
      fc.boolean(),
      (size, df, under, port) => {
        const got = vxlanPathMtu(size, df, under, port);
        const mtu = under - VXLAN_OVERHEAD;
        if (size <= mtu) return assert.equal(got, { kind: "fits" });
        const told = port && df && mtu >= 576;
        assert.equal(got, { kind: told ? "frag-needed" : "wrapped-anyway", mtu });
      },
    ),
    300,
  );
});

// --- the path MTU invariant ---------------------------------------------------------

type PathMtu = Extract<
  ReturnType<typeof pathMtu>["counterexamples"][number],
  { invariant: "path-mtu" }
>;

const nodeOf = (w: World, pod: string) => w.pods.find((p) => p.name === pod)!.node;

test("path MTU: in every sound cluster every pod pair exchanges packets up to the sender's MTU", () => {
  holds(fc.property(clusterSpecs(undefined, 4, 3), (spec) => pathMtu(worldOf(spec)).holds), 30);
});

test("path MTU: a node's NIC lowered under host-gw or gateway silently loses what comes in, from the NIC's MTU + 5", () => {
  // Out of the node the sender is told (fragmentation needed from the
  // node); into it, a full frame from the underlay is too big for the NIC
  // (is_skb_forwardable) and dropped with nobody told.
  holds(
    fc.property(
      clusterSpecs(["host-gw", "gateway"], 4, 2).filter((s) => (s.nodes ?? 1) >= 2),
      fc.nat(),
      fc.integer({ min: 600, max: 1400 }),
      (spec, pick, mtu) => {
        const built = worldOf(spec);
        const node = built.nodes[pick % built.nodes.length];
        const ns = node.namespace ?? node.name;
        const w = must(loadScenario(applyMutation(
          must(buildScenario(spec)),
          { kind: "mtu", ns, dev: "eth0", mtu },
        )));
        const found = pathMtu(w).counterexamples as PathMtu[];
        const want = w.pods.flatMap((a) =>
          w.pods.filter((b) => nodeOf(w, a.name) !== node.name && nodeOf(w, b.name) === node.name)
            .map((b) => `${a.name}→${b.name}`)
        );
        assert.equal(found.map((c) => `${c.from}→${c.to}`).sort(), want.sort());
        for (const c of found) {
          assert.is(c.size, mtu + 5, `${c.from} → ${c.to}`);
          assert.is(c.namespace, ns);
          assert.equal(c.drop, { reason: "frame-too-big", dev: "eth0", mtu, size: mtu + 5 });
          assert.match(describeCounterexample(c), `${mtu + 5} bytes`);
          assert.match(describeCounterexample(c, "ko"), `${mtu + 5}바이트`);
        }
      },
    ),
    25,
  );
});

test("path MTU: an underlay segment smaller than the nodes' NICs loses every cross-node pair's large packets, silently", () => {
  holds(
    fc.property(
      clusterSpecs(["host-gw", "vxlan"], 3, 2).filter((s) => (s.nodes ?? 1) >= 2),
      fc.integer({ min: 700, max: 1440 }),
      (spec, mtu) => {
        const doc = must(buildScenario(spec));
        const segment = doc.segments![0].name;
        const w = must(loadScenario(applyMutation(doc, { kind: "segment-mtu", segment, mtu })));
        const overhead = spec.mode === "vxlan" ? VXLAN_OVERHEAD : 0;
        const found = pathMtu(w).counterexamples as PathMtu[];
        const cross = w.pods.flatMap((a) =>
          w.pods.filter((b) => nodeOf(w, a.name) !== nodeOf(w, b.name))
            .map((b) => `${a.name}→${b.name}`)
        );
        assert.equal(found.map((c) => `${c.from}→${c.to}`).sort(), cross.sort());
        for (const c of found) {
          assert.is(c.size, mtu + 5 - overhead, `${c.from} → ${c.to}`);
          assert.is(c.drop.reason, "frame-too-big");
          assert.is(c.namespace, segment);
        }
      },
    ),
    25,
  );
});

test("VXLAN as a bridge port over a lowered underlay: fragmentation needed from the inner destination, the tunnel's MTU", () => {
  // Linux (namespaces): vx0 a port of br0, eth0 lowered to 1400 after vx0
  // (1450) exists: a 1450-byte DF ping from a pod gets "Frag needed and DF
  // set (mtu = 1350)" from the pod it was sent to; so does the node's own.
  holds(
    fc.property(
      fc.integer({ min: 700, max: 1499 }),
      fc.integer({ min: 84, max: 1450 }),
      (under, size) => {
        const w = flatWorld([1, 1], { underMtu: under });
        for (const from of ["p10", "node-1"]) {
          const t = must(trace(w, { from, to: "p20", size }));
          const at = `${from} → p20 ${size}B DF over eth0 ${under}`;
          if (size + VXLAN_OVERHEAD <= under) {
            assert.is(t.verdict.kind, "delivered", at);
            continue;
          }
          const mtu = under - VXLAN_OVERHEAD;
          assert.is(t.verdict.kind, "dropped", at);
          if (t.verdict.kind !== "dropped") continue;
          assert.equal(t.verdict.drop, { reason: "mtu-exceeded", dev: "vx0", mtu, size }, at);
          assert.equal(
            t.verdict.senderSees,
            mtu >= 576
              ? {
                kind: "icmp",
                type: "destination-unreachable",
                code: "fragmentation-needed",
                from: t.probe.to.addr,
                mtu,
              }
              : { kind: "nothing" },
            at,
          );
        }
      },
    ),
    60,
  );
});

test.run();
