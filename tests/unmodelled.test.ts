/**
 * What the model does not model stops a trace and is named, at every
 * decision it can affect — and only there: a packet that never meets it is
 * traced as before. The `unmodelled` list survives save and load, and a
 * malformed entry is refused with its path.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { exportLab } from "../src/lab/export.js";
import { checkInvariants } from "../src/invariants/invariants.js";
import { loadScenario } from "../src/scenario/load.js";
import { toScenario } from "../src/scenario/save.js";
import type { UnmodelledDoc } from "../src/scenario/schema.ts";
import { traceShapeProblems } from "../src/trace/shape.js";
import type { Trace } from "../src/trace/types.js";
import { holds } from "./support/property.ts";
import { must, traced } from "./support/world.ts";

const BASE = JSON.parse(Deno.readTextFileSync("lessons/scenarios/host-gw.json"));

/** host-gw with `entries` added to namespace `ns`. */
function withUnmodelled(ns: string, entries: UnmodelledDoc[]) {
  const doc = structuredClone(BASE);
  const n = doc.namespaces.find((x: { name: string }) => x.name === ns);
  n.unmodelled = entries;
  return must(loadScenario(doc));
}

function stoppedBy(t: Trace): string | undefined {
  const v = t.verdict;
  return v.kind === "dropped" && v.drop.reason === "unmodelled" ? v.drop.what : undefined;
}

const TUNL: UnmodelledDoc = {
  kind: "route",
  what: "tunl0 (ipip)",
  text: "10.244.2.0/26 via 192.168.0.12 dev tunl0 onlink",
  dst: "10.244.2.0/26",
};

test("unmodelled: a route through tunl0 stops the trace at node-1 and names tunl0", () => {
  const w = withUnmodelled("node-1", [TUNL]);
  const t = traced(w, { from: "a", to: "c" });
  assert.is(stoppedBy(t), "tunl0 (ipip)");
  assert.is(t.verdict.kind === "dropped" && t.verdict.namespace, "node-1");
  assert.is(t.verdict.kind === "dropped" && t.verdict.senderSees.kind, "unknown");
  assert.equal(traceShapeProblems(t), []);
});

test("unmodelled: a more specific modelled route wins over a covering unmodelled one", () => {
  const w = withUnmodelled("node-1", [{ ...TUNL, dst: "10.0.0.0/8" }]);
  assert.is(traced(w, { from: "a", to: "c" }).verdict.kind, "delivered");
});

test("unmodelled: each kind stops exactly the packets that meet it", () => {
  const cases: [UnmodelledDoc, string, string, boolean][] = [
    [{ kind: "rules", what: "policy rule", text: "32765: from all lookup 100" }, "a", "c", true],
    [{ kind: "rules", what: "policy rule", text: "32765: from all lookup 100" }, "a", "b", false],
    [
      {
        kind: "netfilter",
        what: "KUBE-FORWARD",
        text: "-A FORWARD -j KUBE-FORWARD",
        hook: "FORWARD",
      },
      "a",
      "c",
      true,
    ],
    [
      {
        kind: "netfilter",
        what: "KUBE-FORWARD",
        text: "-A FORWARD -j KUBE-FORWARD",
        hook: "FORWARD",
      },
      "a",
      "b",
      false,
    ],
    [
      {
        kind: "netfilter",
        what: "KUBE-SERVICES",
        text: "-A PREROUTING -j KUBE-SERVICES",
        hook: "PREROUTING",
      },
      "a",
      "c",
      true,
    ],
    [{ kind: "netfilter", what: "INPUT", text: "-P INPUT DROP", hook: "INPUT" }, "a", "c", false],
    [
      { kind: "netfilter", what: "INPUT", text: "-P INPUT DROP", hook: "INPUT" },
      "a",
      "10.244.1.1",
      true,
    ],
    [
      { kind: "netfilter", what: "OUTPUT", text: "-A OUTPUT -j X", hook: "OUTPUT" },
      "a",
      "c",
      false,
    ],
    [
      { kind: "device", what: "rp_filter=1 on eth0", text: "rp_filter 1", device: "eth0" },
      "c",
      "a",
      true,
    ],
    [
      { kind: "device", what: "rp_filter=1 on eth0", text: "rp_filter 1", device: "eth0" },
      "a",
      "c",
      false,
    ],
    [
      {
        kind: "address",
        what: "10.244.1.77 on tunl0",
        text: "10.244.1.77/32 dev tunl0",
        addr: "10.244.1.77",
      },
      "a",
      "10.244.1.77",
      true,
    ],
    [{ kind: "listed", what: "IPv6", text: "fd00::1/64 dev eth0" }, "a", "c", false],
  ];
  for (const [entry, from, to, stops] of cases) {
    const w = withUnmodelled("node-1", [entry]);
    const t = traced(w, { from, to });
    assert.is(stoppedBy(t) === entry.what, stops, `${entry.text}: ${from} → ${to}`);
    if (!stops) assert.is(stoppedBy(t), undefined);
    assert.equal(traceShapeProblems(t), []);
  }
});

test("unmodelled: an ICMP error that meets unmodelled state leaves what the sender sees unknown", () => {
  // node-2 cannot resolve 10.244.2.99 and answers with host unreachable, which it
  // sends itself (OUTPUT): the original packet never passes node-2's OUTPUT.
  const plain = traced(withUnmodelled("node-2", []), { from: "a", to: "10.244.2.99" }).verdict;
  assert.is(plain.kind === "dropped" && plain.senderSees.kind, "icmp");
  const w = withUnmodelled("node-2", [
    { kind: "netfilter", what: "OUTPUT chain", text: "-A OUTPUT -j X", hook: "OUTPUT" },
  ]);
  const v = traced(w, { from: "a", to: "10.244.2.99" }).verdict;
  assert.is(v.kind === "dropped" && v.drop.reason, "neighbour-unreachable");
  assert.is(v.kind === "dropped" && v.senderSees.kind, "unknown");
});

test("unmodelled: a proxy_arp device the ARP request reaches stops a failed resolution", () => {
  const doc = structuredClone(BASE);
  const podA = doc.namespaces.find((x: { name: string }) => x.name === "pod-a");
  podA.routes = ["default via 169.254.1.1 dev eth0 onlink"];
  const node = doc.namespaces.find((x: { name: string }) => x.name === "node-1");
  // A routed veth, as Calico's cali… devices are: not a bridge port.
  const dev = node.devices.find((d: { peer?: string }) => d.peer === "pod-a/eth0");
  delete dev.master;
  const veth = dev.name;
  const plain = must(loadScenario(doc));
  const failed = traced(plain, { from: "a", to: "c" }).verdict;
  assert.is(failed.kind === "dropped" && failed.drop.reason, "neighbour-unreachable");
  node.unmodelled = [{ kind: "device", what: `proxy_arp on ${veth}`, text: "1", device: veth }];
  const t = traced(must(loadScenario(doc)), { from: "a", to: "c" });
  assert.is(stoppedBy(t), `proxy_arp on ${veth}`);
  assert.is(t.verdict.kind === "dropped" && t.verdict.namespace, "pod-a");
});

test("unmodelled: the invariants report a stopped pair as a counterexample naming it", () => {
  const w = withUnmodelled("node-1", [TUNL]);
  const reach = checkInvariants(w).find((r) => r.counterexamples.some((c) => "trace" in c))!;
  assert.ok(reach !== undefined && !reach.holds);
  const ce = reach.counterexamples.find((c) => "trace" in c && stoppedBy(c.trace));
  assert.ok(ce, "a counterexample names tunl0");
});

test("unmodelled: the lab refuses to build a world it cannot build faithfully", () => {
  const r = exportLab(withUnmodelled("node-1", [TUNL]));
  assert.ok(!r.ok && /tunl0 \(ipip\)/.test(r.error.message));
});

test("unmodelled: entries survive save and load (property over entry lists)", () => {
  const entry = fc.oneof(
    fc.record({ kind: fc.constant("rules"), what: fc.constant("rule"), text: fc.constant("x") }),
    fc.record({
      kind: fc.constant("route"),
      what: fc.constant("tunl0 (ipip)"),
      text: fc.constant("r"),
      dst: fc.constantFrom("10.0.0.0/8", "10.244.2.0/26", "0.0.0.0/0"),
    }),
    fc.record({
      kind: fc.constant("netfilter"),
      what: fc.constant("chain"),
      text: fc.constant("-A X"),
      hook: fc.constantFrom("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    }),
  );
  // save(load(doc)) keeps every unmodelled entry.
  holds(fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
    const w = withUnmodelled("node-2", entries as UnmodelledDoc[]);
    const again = must(loadScenario(toScenario(w)));
    const back = again.namespaces.find((n) => n.name === "node-2")!.unmodelled ?? [];
    assert.equal(back.map((u) => [u.kind, u.text]), entries.map((e) => [e.kind, e.text]));
  }));
});

test("unmodelled: malformed entries are refused with their path and value", () => {
  const bad: [unknown, string][] = [
    [{ kind: "route", what: "x", text: "y" }, "/namespaces/0/unmodelled/0/dst"],
    [{ kind: "route", what: "x", text: "y", dst: "10.0.0.0/33" }, "/namespaces/0/unmodelled/0/dst"],
    [
      { kind: "device", what: "x", text: "y", device: "nope0" },
      "/namespaces/0/unmodelled/0/device",
    ],
    [
      { kind: "netfilter", what: "x", text: "y", hook: "MANGLE" },
      "/namespaces/0/unmodelled/0/hook",
    ],
    [{ kind: "rules", what: "x\u001b[31m", text: "y" }, "/namespaces/0/unmodelled/0/what"],
    [{ kind: "rules", what: "x", text: "y", dst: "10.0.0.0/8" }, "/namespaces/0/unmodelled/0/dst"],
    [{ kind: "magic", what: "x", text: "y" }, "/namespaces/0/unmodelled/0/kind"],
    ["tunl0", "/namespaces/0/unmodelled/0"],
  ];
  for (const [entry, path] of bad) {
    const doc = structuredClone(BASE);
    doc.namespaces[0].unmodelled = [entry];
    const r = loadScenario(doc);
    assert.ok(!r.ok, JSON.stringify(entry));
    if (!r.ok) {
      assert.ok(r.error.some((e) => e.path === path), `${path}: ${JSON.stringify(r.error)}`);
    }
  }
});

test.run();
