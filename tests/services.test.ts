/**
 * Services as kube-proxy's iptables mode programs them: chain names from
 * its hash, a ClusterIP DNATed to an endpoint with the reply traced back
 * through conntrack, random choices with their probabilities, and the
 * ways a Service conversation fails on Linux (hairpin without masquerade,
 * a reply that never meets the conntrack entry).
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { portProtoHash } from "../src/scenario/kubeproxy.js";
import {
  BUILTIN_CHAINS,
  chainLines,
  ChainSet,
  parseIptables,
  quantizeProbability,
} from "../src/syntax/iptables.js";
import {
  nodePortReachability,
  nodePorts,
  serviceReachability,
} from "../src/invariants/services.js";
import { importIptables } from "../src/import/iptables.js";
import type { Rule } from "../src/model/world.js";
import type { Step, Trace } from "../src/trace/types.js";
import { deleteIptables, setIptables } from "../src/world/edit.js";
import { namespaceNamed, podIp, podNamed } from "../src/world/query.js";
import { example, must, traced } from "./support/world.ts";
import { holds } from "./support/property.ts";

const world = example("services");
const ip = (pod: string) => String(podIp(world, podNamed(world, pod)!));
const steps = (t: Trace): Step[] => t.hops.flatMap((h) => h.steps);
const nat = (t: Trace) =>
  steps(t).filter((s): s is Extract<Step, { kind: "nat" }> => s.kind === "nat");

test("kube-proxy: chain names from portProtoHash (sha256, base32, 16 characters)", () => {
  // Values every cluster shows (kube-dns) and kube-proxy's own tests.
  assert.is(portProtoHash("kube-system/kube-dns:dns", "udp"), "TCOU7JCQXEZGVUNU");
  assert.is(portProtoHash("default/web:http", "tcp"), "CDGGSHYLG3RE2FKL");
  const rules = namespaceNamed(world, "node-1")!.netfilter.rules.map((r) => r.text);
  assert.ok(rules.some((r) => r.endsWith("-j KUBE-SVC-TCOU7JCQXEZGVUNU")), rules.join("\n"));
});

test("DNS through the kube-dns ClusterIP: DNAT to an endpoint, reply un-DNATed, delivered", () => {
  const t = traced(world, { from: "a", to: "10.96.0.10", proto: "udp", port: 53 });
  assert.is(t.verdict.kind, "delivered", JSON.stringify(t.verdict));
  const dnat = nat(t)[0];
  assert.is(dnat.hook, "PREROUTING");
  assert.is(String(dnat.after.dst), ip("c"));
  assert.is(dnat.after.dport, 53);
  assert.ok(t.reply, "the reply is traced");
  const back = t.reply!;
  assert.is(back.verdict.kind, "delivered");
  if (back.verdict.kind === "delivered") {
    assert.is(String(back.verdict.src), "10.96.0.10");
    assert.is(back.verdict.pod, "a");
  }
  assert.ok(nat(back).some((s) => String(s.after.src) === "10.96.0.10"));
});

test("random choice: each endpoint's probability shown, summing to 1; a probe picks a branch", () => {
  const t = traced(world, { from: "a", to: "10.96.0.20", proto: "tcp", port: 80, branch: ip("d") });
  const choices = nat(t)[0].choices!;
  assert.equal(choices.map((c) => c.to), [`${ip("b")}:8080`, `${ip("c")}:8080`, `${ip("d")}:8080`]);
  const sum = choices.reduce((s, c) => s + c.probability, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, String(sum));
  for (const c of choices) assert.ok(Math.abs(c.probability - 1 / 3) < 1e-9, String(c.probability));
  assert.is(String(nat(t)[0].after.dst), ip("d"));
  assert.is(t.verdict.kind, "delivered");
});

test("random choice: a seeded probe lands on the branches in proportion to the probabilities", () => {
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 300; seed++) {
    const t = traced(world, {
      from: "a",
      to: "10.96.0.20",
      proto: "tcp",
      port: 80,
      branch: `seed:${seed}`,
    });
    const to = String(nat(t)[0].after.dst);
    counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  // 300 draws with p = 1/3: each count within 100 ± 40 (more than 4 sigma).
  for (const pod of ["b", "c", "d"]) {
    const n = counts.get(ip(pod)) ?? 0;
    assert.ok(n > 60 && n < 140, `${pod}: ${n} of 300`);
  }
});

test("hairpin: an endpoint reaching itself through its Service is masqueraded to the node and answered", () => {
  const t = traced(world, { from: "b", to: "10.96.0.20", proto: "tcp", port: 80, branch: ip("b") });
  assert.is(t.verdict.kind, "delivered", JSON.stringify(t.verdict));
  if (t.verdict.kind === "delivered") assert.is(String(t.verdict.src), "10.244.1.1");
  assert.is(t.reply?.verdict.kind, "delivered");
});

test("hairpin without masquerade: the endpoint drops its own address as a martian source (as Linux did)", () => {
  const ns = namespaceNamed(world, "node-1")!;
  const masq = ns.netfilter.rules.find((r) =>
    r.chain === "KUBE-POSTROUTING" && r.target.kind === "MASQUERADE"
  )!;
  const broken = must(deleteIptables(world, "node-1", masq.text));
  const t = traced(broken, {
    from: "b",
    to: "10.96.0.20",
    proto: "tcp",
    port: 80,
    branch: ip("b"),
  });
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind === "dropped") {
    assert.is(t.verdict.drop.reason, "martian-source");
    assert.is(t.verdict.namespace, "pod-b");
  }
});

test("same-node endpoint: the reply crosses the bridge without meeting conntrack and arrives from the pod's address", () => {
  const t = traced(world, { from: "a", to: "10.96.0.20", proto: "tcp", port: 80, branch: ip("b") });
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind === "dropped" && t.verdict.drop.reason === "reply-lost") {
    const why = t.verdict.drop.why;
    assert.is(why.kind, "wrong-source");
    if (why.kind === "wrong-source") {
      assert.is(String(why.expected), "10.96.0.20");
      assert.is(String(why.got), ip("b"));
    }
  } else assert.unreachable(JSON.stringify(t.verdict));
});

test("a reply that cannot return: FORWARD without the conntrack rule drops it, and the verdict names the reply path", () => {
  const ns = namespaceNamed(world, "node-2")!;
  const lines = [
    "-P FORWARD DROP",
    "-N KUBE-FORWARD",
    "-A FORWARD -j KUBE-FORWARD",
    "-A KUBE-FORWARD -m conntrack --ctstate NEW -j ACCEPT",
  ];
  const nat = ns.netfilter.rules.filter((r) => r.table === "nat");
  const natLines = [
    ...new Set(nat.flatMap((r) => [r.chain, r.target.kind === "JUMP" ? r.target.chain : ""])),
  ]
    .filter((c) => c.startsWith("KUBE-")).map((c) => `-t nat -N ${c}`);
  const broken = must(setIptables(world, "node-2", [
    ...natLines,
    ...nat.map((r) => `-t nat ${r.text}`),
    ...lines,
  ]));
  const t = traced(broken, { from: "a", to: "10.96.0.10", proto: "udp", port: 53 });
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind === "dropped") {
    assert.is(t.verdict.drop.reason, "reply-lost");
    if (t.verdict.drop.reason === "reply-lost") {
      assert.is(t.verdict.drop.why.kind, "dropped");
      assert.is(t.verdict.drop.at, "node-2");
    }
  }
});

test("iptables chains: -A and -j need the chain created first, a jump loop is refused", () => {
  const read = (lines: string[]) => {
    const chains = new ChainSet();
    for (const l of lines) {
      const p = parseIptables(l);
      if (!p.ok) return p.error.message;
      const e = chains.accept(p.value, l);
      if (e) return `${e.message} @${e.token}`;
    }
    return "ok";
  };
  assert.match(read(["-t nat -A KUBE-X -j RETURN"]), /KUBE-X does not exist/);
  assert.match(read(["-t nat -A PREROUTING -j KUBE-X"]), /KUBE-X does not exist/);
  assert.is(read(["-t nat -N KUBE-X", "-t nat -A PREROUTING -j KUBE-X"]), "ok");
  assert.match(
    read(["-t nat -N A", "-t nat -N B", "-t nat -A A -j B", "-t nat -A B -j A"]),
    /loop @A/,
  );
  assert.match(read(["-t nat -N A", "-t nat -N A"]), /already exists/);
});

test("statistic: probabilities are quantized as iptables stores them (2^-31 steps) and round-trip", () => {
  holds(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => {
      const r = parseIptables(
        `-t nat -A S -m statistic --mode random --probability ${p.toFixed(10)} -j RETURN`,
      );
      if (!r.ok || r.value.kind !== "rule") return false;
      const q = r.value.match.probability!;
      const again = parseIptables(`-t nat ${r.value.text}`);
      return q === quantizeProbability(Number(p.toFixed(10))) &&
        again.ok && again.value.kind === "rule" && again.value.match.probability === q;
    }),
  );
});

test("invariant: every pod reaches every Service on every branch, except where Linux loses the reply (same-bridge endpoints)", () => {
  const r = serviceReachability(world);
  // 4 pods × (kube-dns: 2 endpoints + web: 3 endpoints + echo: 2 endpoints).
  assert.is(r.checked, 28);
  const nodeOf = (pod: string) => podNamed(world, pod)!.node;
  const podAt = (endpoint: string) =>
    world.pods.find((p) => ip(p.name) === endpoint.split(":")[0])!.name;
  const got = r.counterexamples.map((c) => `${c.from}→${podAt(c.endpoint)}:${c.service.port}`)
    .sort();
  // Without br_netfilter the reply of an endpoint on the sender's own bridge
  // crosses the bridge and never meets the node's conntrack entry; a pod
  // reaching itself is masqueraded and answered.
  const sameBridge = (endpoints: string[], port: number) =>
    ["a", "b", "c", "d"].flatMap((from) =>
      endpoints.filter((to) => to !== from && nodeOf(to) === nodeOf(from)).map((to) =>
        `${from}→${to}:${port}`
      )
    );
  const want = [
    ...sameBridge(["b", "c", "d"], 80),
    ...sameBridge(["c", "d"], 7),
    ...sameBridge(["c", "d"], 53),
  ].sort();
  assert.equal(got, want);
  for (const c of r.counterexamples) {
    assert.ok(c.problem.kind === "dropped" && c.problem.drop.reason === "reply-lost", c.from);
  }
});

test("invariant, broken world: node-2 drops established traffic in FORWARD, so every reply through it is lost", () => {
  const ns = namespaceNamed(world, "node-2")!;
  const kept = ns.netfilter.rules.filter((r) =>
    !(r.chain === "KUBE-FORWARD" && r.match.ctstate?.states.includes("ESTABLISHED"))
  );
  const lines = [
    "-P FORWARD DROP",
    ...chainLines(kept),
    ...kept.map((r) => (r.table === "nat" ? `-t nat ${r.text}` : r.text)),
    "-A FORWARD -m conntrack --ctstate NEW -j ACCEPT",
  ];
  const broken = must(setIptables(world, "node-2", lines));
  const r = serviceReachability(broken);
  const cross = r.counterexamples.filter((c) =>
    c.from === "a" && c.problem.kind === "dropped" && c.problem.drop.reason === "reply-lost" &&
    c.problem.drop.why.kind === "dropped" && c.problem.drop.at === "node-2"
  );
  // a's requests to c and d (all three Services) are forwarded; their replies die at node-2.
  assert.is(cross.length, 6, JSON.stringify(r.counterexamples.map((c) => [c.from, c.endpoint])));
});

test("filter INPUT: a DROP there stops delivery to the pod, named with its hook; REJECT and filter OUTPUT are refused", () => {
  const w = must(setIptables(world, "pod-c", ["-A INPUT -p udp --dport 53 -j DROP"]));
  const t = traced(w, { from: "a", to: "10.96.0.10", proto: "udp", port: 53 });
  assert.ok(t.verdict.kind === "dropped" && t.verdict.drop.reason === "forward-drop");
  if (t.verdict.kind === "dropped" && t.verdict.drop.reason === "forward-drop") {
    assert.is(t.verdict.drop.hook, "INPUT");
    assert.is(t.verdict.namespace, "pod-c");
  }
  assert.not.ok(parseIptables("-A INPUT -j REJECT").ok);
  assert.not.ok(parseIptables("-A OUTPUT -j DROP").ok);
});

test("NodePort: the external client reaches every NodePort on every node's address, on every branch, answered from that address", () => {
  assert.equal(nodePorts(world).map((p) => `${p.port}/${p.proto}`), ["30080/tcp", "30007/udp"]);
  const r = nodePortReachability(world);
  // 1 client × (web: 2 node addresses × 3 endpoints + echo: node-2's address × 2 endpoints);
  // node-1 has no echo endpoint and drops 30007 by policy.
  assert.is(r.checked, 8);
  assert.equal(r.counterexamples.map((c) => `${c.addr}:${c.nodePort.port} → ${c.endpoint}`), []);
  assert.equal(r.dropsByPolicy.map((d) => `${d.node} ${d.nodePort.port}`), ["node-1 30007"]);
  const t = traced(world, {
    from: "client",
    to: "192.168.0.12",
    proto: "tcp",
    port: 30080,
    branch: ip("b"),
  });
  assert.is(t.verdict.kind, "delivered");
  if (t.verdict.kind === "delivered") {
    assert.is(t.verdict.pod, "b");
    // Masqueraded by node-2, the node the client connected to, on its way to node-1.
    assert.is(String(t.verdict.src), "192.168.0.12");
  }
  assert.is(t.reply?.verdict.kind, "delivered");
  if (t.reply?.verdict.kind === "delivered") assert.is(String(t.reply.verdict.src), "192.168.0.12");
});

test("NodePort, broken world: without KUBE-EXT's masquerade mark on node-2, the endpoint on node-1 answers the client directly and the reply is lost", () => {
  const ns = namespaceNamed(world, "node-2")!;
  const mark = ns.netfilter.rules.filter((r) =>
    r.chain.startsWith("KUBE-EXT-") && r.target.kind === "JUMP" &&
    r.target.chain === "KUBE-MARK-MASQ"
  );
  assert.is(mark.length, 2, "web's external mark, echo's mark for the node's own traffic");
  let broken = world;
  for (const r of mark) broken = must(deleteIptables(broken, "node-2", r.text));
  const r = nodePortReachability(broken);
  const got = r.counterexamples.map((c) =>
    `${c.node} ${c.nodePort.port} → ${c.endpoint} ${
      c.problem.kind === "dropped" ? c.problem.drop.reason : c.problem.kind
    }`
  ).sort();
  // echo (Local) never masquerades external traffic; its endpoints on node-2 answer through it.
  assert.equal(got, [`node-2 30080 → ${ip("b")}:8080 reply-lost`]);
  for (const c of r.counterexamples) {
    assert.ok(c.problem.kind === "dropped" && c.problem.drop.reason === "reply-lost");
    if (c.problem.kind === "dropped" && c.problem.drop.reason === "reply-lost") {
      const why = c.problem.drop.why;
      assert.is(why.kind, "wrong-source");
      if (why.kind === "wrong-source") {
        assert.is(String(why.expected), "192.168.0.12");
        assert.is(String(why.got), ip("b"));
      }
    }
  }
});

test("NodePort, property: deleting the NodePort jump on a random node fails exactly that node's branches of that port", () => {
  holds(
    // node-1 drops echo's 30007 by policy (no local endpoint): nothing to break there.
    fc.property(
      fc.constantFrom(
        ["node-1", 30080] as const,
        ["node-2", 30080] as const,
        [
          "node-2",
          30007,
        ] as const,
      ),
      ([node, port]) => {
        const ns = namespaceNamed(world, node)!;
        const jump = ns.netfilter.rules.find((r) =>
          r.chain === "KUBE-NODEPORTS" && r.match.dport === port
        )!;
        const broken = must(deleteIptables(world, node, jump.text));
        const r = nodePortReachability(broken);
        return r.counterexamples.length > 0 &&
          r.counterexamples.every((c) =>
            c.node === node && c.nodePort.port === port && c.endpoint === "-"
          );
      },
    ),
    12,
  );
});

test("externalTrafficPolicy Local: kube-proxy's KUBE-EXT/KUBE-SVL layout; the endpoint sees the client; a node without one drops", () => {
  const rules = (node: string) => namespaceNamed(world, node)!.netfilter.rules.map((r) => r.text);
  const hash = portProtoHash("default/echo:udp", "udp");
  for (const node of ["node-1", "node-2"]) {
    const ext = rules(node).filter((r) => r.startsWith(`-A KUBE-EXT-${hash} `));
    assert.ok(ext[0].includes("-s 10.244.0.0/16") && ext[0].endsWith(`-j KUBE-SVC-${hash}`));
    assert.ok(ext[1].includes("--src-type LOCAL") && ext[1].endsWith("-j KUBE-MARK-MASQ"));
    assert.ok(ext[2].includes("--src-type LOCAL") && ext[2].endsWith(`-j KUBE-SVC-${hash}`));
    // Only node-2 has echo endpoints (c, d): its KUBE-SVL picks between them, 1/2 each.
    const svl = rules(node).filter((r) => r.startsWith(`-A KUBE-SVL-${hash} `));
    assert.is(ext.length, node === "node-2" ? 4 : 3, node);
    assert.is(svl.length, node === "node-2" ? 2 : 0, node);
    const drop = rules(node).some((r) =>
      r.startsWith("-A KUBE-EXTERNAL-SERVICES") && r.includes("--dport 30007")
    );
    assert.is(drop, node === "node-1", node);
  }
  const local = traced(world, { from: "client", to: "192.168.0.12", proto: "udp", port: 30007 });
  assert.is(local.verdict.kind, "delivered");
  if (local.verdict.kind === "delivered") {
    assert.ok(["c", "d"].includes(local.verdict.pod!));
    assert.is(String(local.verdict.src), "192.168.0.254", "no masquerade: the client's address");
  }
  assert.is(local.reply?.verdict.kind, "delivered");
  const none = traced(world, { from: "client", to: "192.168.0.11", proto: "udp", port: 30007 });
  assert.ok(none.verdict.kind === "dropped" && none.verdict.drop.reason === "forward-drop");
  if (none.verdict.kind === "dropped" && none.verdict.drop.reason === "forward-drop") {
    assert.is(none.verdict.namespace, "node-1");
    assert.is(none.verdict.drop.hook, "INPUT");
    assert.is(none.verdict.senderSees.kind, "nothing");
  }
  // A pod still reaches echo's ClusterIP on either endpoint (the cluster policy of KUBE-SVC).
  const fromA = traced(world, { from: "a", to: "10.96.0.30", proto: "udp", port: 7 });
  assert.is(fromA.verdict.kind, "delivered");
});

test("addrtype --src-type LOCAL: parsed, printed back, and refused for other types", () => {
  const r = parseIptables("-t nat -A OUTPUT -m addrtype ! --src-type LOCAL -j RETURN");
  assert.ok(r.ok && r.value.kind === "rule");
  if (r.ok && r.value.kind === "rule") {
    assert.equal(r.value.match.srcLocal, { negate: true });
    assert.is(r.value.text, "-A OUTPUT -m addrtype ! --src-type LOCAL -j RETURN");
  }
  assert.not.ok(parseIptables("-t nat -A OUTPUT -m addrtype --src-type UNICAST -j RETURN").ok);
});

/** A namespace's rules as iptables-save prints them. */
function saveText(rules: readonly Rule[]): string {
  const out: string[] = [];
  for (const table of ["nat", "filter"] as const) {
    const mine = rules.filter((r) => r.table === table);
    out.push(`*${table}`);
    for (const c of BUILTIN_CHAINS[table]) out.push(`:${c} ACCEPT [0:0]`);
    for (const l of chainLines(mine)) out.push(`:${l.split(" -N ")[1] ?? l.slice(3)} - [0:0]`);
    for (const r of mine) out.push(r.text);
    out.push("COMMIT");
  }
  return out.join("\n") + "\n";
}

test("import: kube-proxy's chains in iptables-save are modelled, rule for rule", () => {
  const rules = namespaceNamed(world, "node-1")!.netfilter.rules;
  const imported = importIptables(saveText(rules), "iptables-save");
  assert.equal(imported.unmodelled, []);
  const back = must(setIptables(world, "node-1", imported.lines));
  // Tables are saved one after the other; within a table the order is kept.
  const byTable = (rs: readonly Rule[]) =>
    ["nat", "filter"].flatMap((t) => rs.filter((r) => r.table === t).map((r) => r.text));
  assert.equal(byTable(namespaceNamed(back, "node-1")!.netfilter.rules), byTable(rules));
});

test("import: a chain with a match the model lacks stays unmodelled, and so does every jump into it", () => {
  const text = [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":KUBE-SERVICES - [0:0]",
    ":KUBE-X - [0:0]",
    "-A PREROUTING -j KUBE-SERVICES",
    "-A KUBE-SERVICES -j KUBE-X",
    "-A KUBE-X -m recent --rcheck -j RETURN",
    "COMMIT",
  ].join("\n");
  const imported = importIptables(text, "iptables-save");
  assert.equal(imported.lines, []);
  assert.is(imported.unmodelled.length, 1);
  assert.match(imported.unmodelled[0].what, /KUBE-SERVICES/);
});

test.run();
