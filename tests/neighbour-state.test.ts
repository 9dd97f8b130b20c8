/**
 * Neighbour state changes outcomes, not only timing (Linux, verified in
 * namespaces): a frame too big for the next device on the sender's own
 * host (a veth whose peer has a smaller MTU, the underlay's port) gives
 * the sender ENOBUFS when its neighbour entry was already resolved, and
 * nothing when the packet waited for ARP. Generated over clusters with the
 * breakage at a random pod or node; probes with a cold and a warm cache.
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
import { describeStep } from "../src/render/describe.js";
import type { Trace } from "../src/trace/types.js";
import type { ScenarioDoc } from "../src/scenario/schema.js";
import type { Pod, World } from "../src/model/world.js";
import { clusterSpecs } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

const ENOBUFS = { kind: "local-error", errno: "ENOBUFS" } as const;
const sees = (t: Trace) => t.verdict.kind === "dropped" ? t.verdict.senderSees : undefined;

/** A cluster with one pod's host-side veth lowered below the pod's MTU. */
const narrowPeer = fc.record({
  spec: clusterSpecs(["host-gw", "gateway", "vxlan", "single-host"], 3, 2),
  pick: fc.nat(),
  mtu: fc.integer({ min: 600, max: 1400 }),
  permanent: fc.boolean(),
}).map(({ spec, pick, mtu, permanent }) => {
  const doc = must(buildScenario(spec));
  const w0 = must(loadScenario(doc));
  const pod = w0.pods[pick % w0.pods.length];
  const eth0 = w0.namespaces.find((n) => n.name === pod.namespace)!.devices
    .find((d) => d.kind === "veth")!;
  if (eth0.kind !== "veth") throw new Error("no veth");
  const narrow = applyMutation(doc, {
    kind: "mtu",
    ns: eth0.peer.namespace,
    dev: eth0.peer.device,
    mtu,
  });
  return { doc: narrow, w: must(loadScenario(narrow)), pod, mtu, permanent };
});

/** The world with a permanent entry for the sender's next hop towards `to`, as ARP would answer it. */
function pinned(doc: ScenarioDoc, w: World, from: Pod, to: Pod): World | undefined {
  const t = must(trace(w, { from: from.name, to: to.name }));
  const step = t.hops[0].steps.find((s) => s.kind === "neighbour");
  if (step?.kind !== "neighbour" || step.outcome.kind === "failed") return undefined;
  const line = `${step.addr} dev ${step.dev} lladdr ${step.outcome.mac} nud permanent`;
  return must(loadScenario(applyMutation(doc, { kind: "neigh-add", ns: from.namespace!, line })));
}

test("a frame too big for the sender's own veth peer: ENOBUFS when the neighbour was resolved, nothing while waiting for ARP", () => {
  holds(
    fc.property(narrowPeer, ({ doc, w: narrow, pod, mtu, permanent: pin }) => {
      const to = narrow.pods.find((p) => p.name !== pod.name && p.namespace !== undefined);
      if (to === undefined) return;
      const w = (pin ? pinned(doc, narrow, pod, to) : undefined) ?? narrow;
      const permanent = w !== narrow;
      for (const size of [mtu + 4, mtu + 5, 1450]) {
        const cold = must(trace(w, { from: pod.name, to: to.name, size }));
        const warm = must(trace(w, { from: pod.name, to: to.name, size, neighbours: "warm" }));
        const at = `${pod.name} → ${to.name} ${size}B over a peer of MTU ${mtu}`;
        if (size <= mtu + 4) {
          assert.is(cold.verdict.kind, warm.verdict.kind, at);
          continue;
        }
        for (const t of [cold, warm]) {
          assert.is(t.verdict.kind === "dropped" && t.verdict.drop.reason, "frame-too-big", at);
        }
        assert.equal(sees(warm), ENOBUFS, `${at}, warm`);
        assert.equal(sees(cold), permanent ? ENOBUFS : { kind: "nothing" }, `${at}, cold`);
        // The trace says why: the warm cache's answer is marked, in both languages.
        const first = warm.hops[0].steps.find((s) => s.kind === "neighbour")!;
        if (!permanent) {
          assert.match(describeStep(first, "en"), "warm neighbour cache");
          assert.match(describeStep(first, "ko"), "이웃 캐시(warm)");
        }
      }
    }),
    40,
  );
});

test("neighbour state changes nothing when no frame is too big, and never what a forwarding node's error looks like", () => {
  holds(
    fc.property(
      clusterSpecs(["host-gw", "gateway", "vxlan"], 3, 2),
      fc.nat(),
      fc.nat(),
      (spec, i, j) => {
        const w = must(loadScenario(must(buildScenario(spec))));
        const a = w.pods[i % w.pods.length];
        const b = w.pods[j % w.pods.length];
        for (const size of [84, 1450, 1451]) {
          const cold = must(trace(w, { from: a.name, to: b.name, size }));
          const warm = must(trace(w, { from: a.name, to: b.name, size, neighbours: "warm" }));
          assert.equal(warm.verdict, cold.verdict, `${a.name} → ${b.name} ${size}B`);
        }
      },
    ),
    40,
  );
});

test("a probe's neighbour cache is cold or warm, nothing else", () => {
  const w = must(loadScenario(must(buildScenario({ mode: "host-gw" }))));
  const r = trace(w, { from: w.pods[0].name, to: w.pods[1].name, neighbours: "hot" as "warm" });
  assert.ok(!r.ok && r.error.field === "neighbours");
});

test.run();
