/**
 * The broken-world generator (`src/fuzz/mutate.ts`): every world it makes
 * loads, each kept mutation really changed the document and the world,
 * every kind of breakage the fidelity issue lists comes up, and a seed
 * gives the same worlds again.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import {
  applyMutation,
  applyMutations,
  brokenWorlds,
  describeMutation,
  type Mutation,
  mutationsOf,
} from "../src/fuzz/mutate.js";
import { buildScenario } from "../src/scenario/build.js";
import { loadScenario } from "../src/scenario/load.js";
import { toScenario } from "../src/scenario/save.js";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

test("every broken world loads, and each kept mutation changes the document", () => {
  holds(
    fc.property(brokenWorlds(), (b) => {
      assert.ok(loadScenario(b.doc).ok, "the mutated document loads");
      assert.equal(toScenario(b.world).name, b.doc.name);
      const base = must(buildScenario(b.spec));
      let doc = base;
      for (const m of b.applied) {
        const next = applyMutation(doc, m);
        assert.not.equal(
          JSON.stringify(next),
          JSON.stringify(doc),
          `${describeMutation(m)} changed nothing`,
        );
        doc = next;
      }
      assert.equal(doc, b.doc, "replaying the kept mutations gives the same document");
    }),
    60,
  );
});

test("a link taken down is down in the loaded world", () => {
  holds(
    fc.property(
      brokenWorlds({ maxMutations: 1 }).filter((b) => b.applied[0]?.kind === "link-down"),
      (b) => {
        const m = b.applied[0] as Extract<Mutation, { kind: "link-down" }>;
        const ns = b.world.namespaces.find((n) => n.name === m.ns)!;
        assert.is(ns.devices.find((d) => d.name === m.dev)!.up, false);
      },
    ),
    20,
  );
});

test("every kind of breakage comes up across a few hundred worlds", () => {
  const kinds = new Set<string>();
  for (const b of fc.sample(brokenWorlds({ maxMutations: 4 }), { seed: 7, numRuns: 400 })) {
    for (const m of b.applied) kinds.add(m.kind);
  }
  const all: Mutation["kind"][] = [
    "link-down",
    "mtu",
    "segment-mtu",
    "address-remove",
    "address-to-lo",
    "sysctl",
    "learning",
    "route-delete",
    "route-replace",
    "route-add",
    "neigh-delete",
    "neigh-add",
    "fdb-delete",
    "fdb-add",
    "fdb-replace",
    "iptables",
  ];
  assert.equal([...all].filter((k) => !kinds.has(k)), [], "kinds never generated");
});

test("a mutation the loader refuses is left out", () => {
  const doc = must(buildScenario({ mode: "vxlan" }));
  const too = applyMutations(doc, [
    { kind: "mtu", ns: "node-1", dev: "flannel.1", mtu: 1500 }, // above eth0's 1500 less 50
    { kind: "link-down", ns: "node-2", dev: "eth0" },
  ]);
  assert.equal(too.applied.map((m) => m.kind), ["link-down"]);
});

test("the same seed gives the same worlds", () => {
  const a = fc.sample(brokenWorlds(), { seed: 42, numRuns: 5 });
  const b = fc.sample(brokenWorlds(), { seed: 42, numRuns: 5 });
  assert.equal(a.map((x) => x.doc), b.map((x) => x.doc));
});

test("mutations of one document name only its namespaces and devices", () => {
  const doc = must(buildScenario({ mode: "gateway", nodes: 2, pods: 1 }));
  const names = new Set(doc.namespaces.map((n) => n.name));
  for (const m of fc.sample(mutationsOf(doc), { seed: 3, numRuns: 200 })) {
    if ("ns" in m) assert.ok(names.has(m.ns), describeMutation(m));
  }
});

test.run();
