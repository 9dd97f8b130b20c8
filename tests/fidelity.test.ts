/**
 * Linux-true under breakage: each class of behaviour the lab found the
 * kernel getting wrong on broken worlds, stated as a property over
 * generated clusters with the breakage applied in a random place (a random
 * node, device, route). The lab regression seeds for the same classes are
 * in tests/lab/fuzz.test.ts.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr } from "../src/addr/mod.js";
import { applyMutation, type Mutation } from "../src/fuzz/mutate.js";
import { buildScenario, type ClusterSpec, type Mode } from "../src/scenario/build.js";
import { loadScenario } from "../src/scenario/load.js";
import type { ScenarioDoc } from "../src/scenario/schema.js";
import { trace } from "../src/trace/tracer.js";
import type { World } from "../src/model/world.js";
import { fabricFromWorld, Verifier } from "../src/verify/mod.js";
import { clusterSpecs } from "./support/clusters.ts";
import { holds } from "./support/property.ts";
import { must } from "./support/world.ts";

/** A cluster of the modes with a node index and a pick, for placing one breakage. */
function placed(modes: readonly Mode[], minNodes = 1) {
  return fc.record({
    spec: clusterSpecs(modes, 3, 2).filter((s) => (s.nodes ?? 1) >= minNodes),
    node: fc.nat(),
    pick: fc.nat(),
  }).map(({ spec, node, pick }) => {
    const doc = must(buildScenario(spec));
    return { spec, doc, node: doc.nodes[node % doc.nodes.length], pick };
  });
}

function loaded(doc: ScenarioDoc, ...ms: Mutation[]): World {
  const out = ms.reduce(applyMutation, doc);
  const w = loadScenario(out);
  if (!w.ok) throw new Error(`does not load: ${w.error.map((e) => e.message).join("; ")}`);
  return w.value;
}

function nodeNs(doc: ScenarioDoc, node: { name: string; namespace?: string }) {
  return doc.namespaces.find((n) => n.name === (node.namespace ?? node.name))!;
}

test("a down device's address stays local: its node and the node's pods reach it", () => {
  holds(
    fc.property(placed(["host-gw", "gateway", "vxlan", "single-host"]), ({ doc, node, pick }) => {
      const ns = nodeNs(doc, node);
      const withAddr = ns.devices.filter((d) => d.kind !== "loopback" && d.addresses?.length);
      const dev = withAddr[pick % withAddr.length];
      const addr = dev.addresses![0].split("/")[0];
      const w = loaded(doc, { kind: "link-down", ns: ns.name, dev: dev.name });
      const own = must(trace(w, { from: ns.name, to: addr }));
      assert.is(own.verdict.kind, "delivered", `${ns.name} → ${addr} on down ${dev.name}`);
      if (dev.name === node.bridge) return; // the pods' way in is down
      for (const pod of w.pods.filter((p) => p.node === node.name)) {
        const t = must(trace(w, { from: pod.name, to: addr }));
        assert.is(
          t.verdict.kind === "delivered" && t.verdict.namespace,
          ns.name,
          `${pod.name} → ${addr} on down ${dev.name}`,
        );
      }
    }),
    40,
  );
});

test("source selection: with no address on the output device, the first global address in device order, lo first", () => {
  holds(
    fc.property(placed(["vxlan"], 2), fc.boolean(), ({ doc, node }, toLo) => {
      const ns = nodeNs(doc, node);
      const tunnel = ns.devices.find((d) => d.kind === "vxlan")!;
      const address = tunnel.addresses![0];
      const w = loaded(doc, {
        kind: toLo ? "address-to-lo" : "address-remove",
        ns: ns.name,
        dev: tunnel.name,
        address,
      });
      const remote = w.pods.find((p) => p.node !== node.name)!;
      const t = must(trace(w, { from: ns.name, to: remote.name }));
      const eth0 = ns.devices.find((d) => d.kind === "nic")!.addresses![0].split("/")[0];
      const expected = toLo ? address.split("/")[0] : eth0;
      assert.is(String(t.probe.packet.src), expected);
    }),
    30,
  );
});

test("a VXLAN device whose outer packet has no route drops silently: the inner sender is told nothing", () => {
  holds(
    fc.property(placed(["vxlan"], 2), ({ doc, node }) => {
      const ns = nodeNs(doc, node);
      const nic = ns.devices.find((d) => d.kind === "nic")!;
      const w = loaded(doc, {
        kind: "address-remove",
        ns: ns.name,
        dev: nic.name,
        address: nic.addresses![0],
      });
      const remote = w.pods.find((p) => p.node !== node.name)!;
      for (
        const from of [
          ns.name,
          ...w.pods.filter((p) => p.node === node.name).map((p) => p.name),
        ]
      ) {
        const t = must(trace(w, { from, to: remote.name }));
        assert.is(t.verdict.kind, "dropped", `${from} → ${remote.name}`);
        assert.equal(t.verdict.kind === "dropped" && t.verdict.senderSees, { kind: "nothing" });
      }
    }),
    30,
  );
});

test("loader: a gateway needs a scope-link route to it now, not an address's subnet", () => {
  holds(
    fc.property(placed(["host-gw", "gateway"], 2), ({ doc, pick }) => {
      const withGw = doc.namespaces.flatMap((ns) =>
        (ns.routes ?? []).filter((r) => / via /.test(r) && !/onlink/.test(r)).map((r) => ({
          ns,
          r,
        }))
      );
      fc.pre(withGw.length > 0);
      const { ns, r } = withGw[pick % withGw.length];
      const via = Addr.mustParse(r.split(" via ")[1].split(" ")[0]);
      const w = must(loadScenario(doc));
      const table = w.namespaces.find((n) => n.name === ns.name)!.routes;
      const connected = table.find((x) => x.proto === "kernel" && x.dst.contains(via))!;
      const broken = applyMutation(doc, {
        kind: "route-delete",
        ns: ns.name,
        route: `${connected.dst} dev ${connected.dev}`,
      });
      const refused = loadScenario(broken);
      assert.not.ok(refused.ok, `${ns.name}: ${r} after deleting ${connected.dst}`);
      if (!refused.ok) {
        assert.ok(refused.error.some((e) => /Nexthop has invalid gateway/.test(e.message)));
      }
    }),
    30,
  );
});

test("loader: Calico's link-scope gateway (169.254.1.1 dev eth0 scope link, default via it) loads", () => {
  holds(
    fc.property(placed(["host-gw", "vxlan", "gateway"]), ({ doc, pick }) => {
      const pods = doc.namespaces.filter((n) => n.role === "pod");
      const ns = pods[pick % pods.length];
      const routes = ["169.254.1.1 dev eth0 scope link", "default via 169.254.1.1 dev eth0"];
      const next = {
        ...doc,
        namespaces: doc.namespaces.map((n) => (n === ns ? { ...n, routes } : n)),
      };
      const w = loadScenario(next);
      assert.ok(w.ok, w.ok ? "" : w.error.map((e) => e.message).join("; "));
    }),
    20,
  );
});

test("loader: a bridge FDB entry for a MAC the bridge already has (a port's, its own) is refused", () => {
  holds(
    fc.property(
      placed(["host-gw", "single-host", "gateway"]),
      fc.nat(),
      ({ doc, node, pick }, p2) => {
        const w = must(loadScenario(doc));
        const ns = w.namespaces.find((n) => n.name === nodeNs(doc, node).name)!;
        const ports = ns.devices.filter((d) => d.master === node.bridge);
        fc.pre(ports.length > 0);
        const bridge = ns.devices.find((d) => d.name === node.bridge)!;
        const macs = [bridge.mac, ...ports.map((d) => d.mac)];
        const mac = macs[pick % macs.length];
        const port = ports[p2 % ports.length];
        const line = `${mac} dev ${port.name} master ${bridge.name} static`;
        const refused = loadScenario(applyMutation(doc, { kind: "fdb-add", ns: ns.name, line }));
        assert.not.ok(refused.ok, line);
      },
    ),
    20,
  );
});

test("a static bridge FDB entry is moved by learning: the ARP reply teaches the bridge the real port", () => {
  holds(
    fc.property(placed(["single-host", "host-gw"]), fc.nat(), fc.nat(), ({ doc, node }, i, j) => {
      const w0 = must(loadScenario(doc));
      const pods = w0.pods.filter((p) => p.node === node.name);
      fc.pre(pods.length >= 2);
      const [to, from] = [
        pods[i % pods.length],
        pods[(i + 1 + (j % (pods.length - 1))) % pods.length],
      ];
      const ns = w0.namespaces.find((n) => n.name === nodeNs(doc, node).name)!;
      const ports = ns.devices.filter((d) => d.master === node.bridge);
      const wrong = ports[j % ports.length];
      const mac = w0.namespaces.find((n) =>
        n.name === to.namespace
      )!.devices.find((d) => d.name === "eth0")!.mac;
      const line = `${mac} dev ${wrong.name} master ${node.bridge} static`;
      const w = loaded(doc, { kind: "fdb-add", ns: ns.name, line });
      const t = must(trace(w, { from: from.name, to: to.name }));
      assert.is(
        t.verdict.kind === "delivered" && t.verdict.pod,
        to.name,
        `${line}: ${from.name} → ${to.name}`,
      );
    }),
    30,
  );
});

/** Two distinct nodes of a VXLAN cluster, A and B, with their flannel devices as loaded. */
function vxlanPair(doc: ScenarioDoc, a: string, pick: number) {
  const w = must(loadScenario(doc));
  const nodes = w.namespaces.filter((n) => n.role === "node");
  const na = nodes.find((n) => n.name === a)!;
  const others = nodes.filter((n) => n !== na);
  const nb = others[pick % others.length];
  const tunnel = (ns: typeof na) => ns.devices.find((d) => d.kind === "vxlan")!;
  const [ta, tb] = [tunnel(na), tunnel(nb)];
  const local = (t: typeof ta) => String(t.kind === "vxlan" && t.local);
  return { w, na, nb, ta, tb, localA: local(ta), localB: local(tb) };
}

/** The verifier's problem for the pod pair, as "dropped REASON", or "ok": it must say what the trace says. */
function verifierSays(w: World, from: string, to: string): string {
  const v = new Verifier(fabricFromWorld(w));
  const pods = v.fabric.pods;
  for (const [p, q, problem] of v.failingPairs(v.result())) {
    if (pods.name(p) === from && pods.name(q) === to) {
      return problem.kind === "dropped" ? `dropped ${problem.reason}` : problem.kind;
    }
  }
  return "ok";
}

/** The namespace's line in `doc` (neighbour or FDB) that starts with `start`. */
function lineWith(doc: ScenarioDoc, ns: string, field: "neighbours" | "fdb", start: string) {
  const line = doc.namespaces.find((n) => n.name === ns)?.[field]?.find((l) => l.startsWith(start));
  if (line === undefined) throw new Error(`${ns} has no ${field} line starting ${start}`);
  return line;
}

test("ARP over VXLAN needs the way back: a far side with no FDB entry to the asker (learning off) fails the neighbour", () => {
  holds(
    fc.property(
      placed(["vxlan"], 2),
      fc.constantFrom("one-sided", "both", "learning"),
      ({ doc, node, pick }, variant) => {
        const { w: w0, na, nb, ta, tb, localA, localB } = vxlanPair(doc, node.name, pick);
        const bAddr = tb.addresses[0].addr;
        // A asks by ARP: its neighbour entry for B's tunnel address is gone,
        // and broadcasts go to B by a default FDB entry.
        const ms: Mutation[] = [
          {
            kind: "neigh-delete",
            ns: na.name,
            line: lineWith(doc, na.name, "neighbours", `${bAddr} dev ${ta.name} `),
          },
          {
            kind: "fdb-add",
            ns: na.name,
            line: `00:00:00:00:00:00 dev ${ta.name} dst ${localB} self permanent`,
          },
        ];
        if (variant !== "both") {
          ms.push({
            kind: "fdb-delete",
            ns: nb.name,
            line: lineWith(doc, nb.name, "fdb", `${ta.mac} dev ${tb.name} dst ${localA} `),
          });
        }
        if (variant === "learning") {
          ms.push({ kind: "learning", ns: nb.name, dev: tb.name, on: true });
        }
        const w = loaded(doc, ...ms);
        const from = w0.pods.find((p) => p.node === na.name)!;
        const to = w0.pods.find((p) => p.node === nb.name)!;
        const t = must(trace(w, { from: from.name, to: to.name }));
        const what = `${variant}: ${from.name} → ${to.name}`;
        if (variant === "one-sided") {
          assert.is(t.verdict.kind, "dropped", what);
          if (t.verdict.kind !== "dropped") return;
          assert.is(t.verdict.drop.reason, "neighbour-unreachable", what);
          const sees = t.verdict.senderSees;
          assert.is(
            sees.kind === "icmp" && `${sees.type}/${sees.code}`,
            "destination-unreachable/host",
            what,
          );
        } else {
          assert.is(t.verdict.kind === "delivered" && t.verdict.pod, to.name, what);
        }
      },
    ),
    30,
  );
});

test("two VTEPs with the same MAC: a frame whose inner source MAC is the receiving VXLAN device's own is dropped, silently", () => {
  holds(
    fc.property(placed(["vxlan"], 2), fc.boolean(), ({ doc, node, pick }, cloned) => {
      const { w: w0, na, nb, ta, tb } = vxlanPair(doc, node.name, pick);
      // B is a clone of A: its tunnel device has A's MAC, and every entry
      // the cluster made for B's tunnel names that MAC.
      const [old, mac] = [String(tb.mac), String(ta.mac)];
      const next: ScenarioDoc = !cloned ? doc : JSON.parse(
        JSON.stringify({
          ...doc,
          namespaces: doc.namespaces.map((n) =>
            n.name !== nb.name ? n : {
              ...n,
              devices: n.devices.map((d) => (d.name === tb.name ? { ...d, mac: old } : d)),
            }
          ),
        }).replaceAll(old, mac),
      );
      const w = loaded(next);
      const from = w0.pods.find((p) => p.node === na.name)!;
      const to = w0.pods.find((p) => p.node === nb.name)!;
      for (const [a, b] of [[from, to], [to, from]]) {
        const t = must(trace(w, { from: a.name, to: b.name }));
        const what = `${cloned ? "cloned" : "distinct"} MACs: ${a.name} → ${b.name}`;
        if (!cloned) {
          assert.is(t.verdict.kind === "delivered" && t.verdict.pod, b.name, what);
          continue;
        }
        assert.is(t.verdict.kind === "dropped" && t.verdict.drop.reason, "vxlan-refused", what);
        assert.is(t.verdict.kind === "dropped" && t.verdict.senderSees.kind, "nothing", what);
        assert.is(verifierSays(w, a.name, b.name), "dropped vxlan-refused", `verify: ${what}`);
      }
    }),
    30,
  );
});

test("VXLAN learning on with a permanent FDB entry that disagrees with where the frame came from: dropped", () => {
  holds(
    fc.property(
      placed(["vxlan"], 2),
      fc.boolean(),
      fc.nat(255),
      ({ doc, node, pick }, wrong, x) => {
        const { w: w0, na, nb, ta, tb, localA } = vxlanPair(doc, node.name, pick);
        const line = lineWith(doc, nb.name, "fdb", `${ta.mac} dev ${tb.name} dst ${localA} `);
        // Somewhere else on the underlay, never A's own address.
        const elsewhere = `203.0.113.${x}`;
        const ms: Mutation[] = [{ kind: "learning", ns: nb.name, dev: tb.name, on: true }];
        if (wrong) {
          ms.push({
            kind: "fdb-replace",
            ns: nb.name,
            line,
            with: line.replace(localA, elsewhere),
          });
        }
        const w = loaded(doc, ...ms);
        const from = w0.pods.find((p) => p.node === na.name)!;
        const to = w0.pods.find((p) => p.node === nb.name)!;
        const t = must(trace(w, { from: from.name, to: to.name }));
        const what = `${
          wrong ? `entry to ${elsewhere}` : "entry right"
        }: ${from.name} → ${to.name}`;
        assert.is(
          verifierSays(w, from.name, to.name),
          wrong ? "dropped vxlan-refused" : "ok",
          `verify: ${what}`,
        );
        if (!wrong) {
          assert.is(t.verdict.kind === "delivered" && t.verdict.pod, to.name, what);
          return;
        }
        assert.is(t.verdict.kind === "dropped" && t.verdict.namespace, nb.name, what);
        assert.equal(
          t.verdict.kind === "dropped" && t.verdict.drop,
          {
            reason: "vxlan-refused",
            dev: tb.name,
            mac: ta.mac,
            from: Addr.mustParse(localA),
            why: "fdb-conflict",
          },
          what,
        );
        assert.is(t.verdict.kind === "dropped" && t.verdict.senderSees.kind, "nothing", what);
      },
    ),
    30,
  );
});

/** The specs above must keep generating clusters of the modes they ask for. */
test("the placements generate what they ask for", () => {
  const [one] = fc.sample(placed(["vxlan"], 2), { seed: 1, numRuns: 1 });
  assert.is((one.spec as ClusterSpec).mode, "vxlan");
  assert.ok((one.spec.nodes ?? 0) >= 2);
});

test.run();
