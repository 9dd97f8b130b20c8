/**
 * Behaviour the lab found Linux to have where the kernel first disagreed.
 * Each test states what Linux does, in the kernel's terms; the lab
 * (tests/lab/) builds the same worlds in network namespaces and checks it
 * against Linux again.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gatewayOneWay, hostGwNoWayBack, vxlanThinUnderlay } from "./support/linux-worlds.ts";
import { example, traced } from "./support/world.ts";

test("linux: a port-unreachable error that cannot route back never reaches the sender", () => {
  // Linux: the pod answers with ICMP port unreachable, node-2 has no route
  // back to 10.244.1.2, so `ping`/the UDP socket sees nothing (a timeout).
  const t = traced(hostGwNoWayBack(), { from: "a", to: "c", proto: "udp", port: 9999 });
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind !== "dropped") return;
  assert.is(t.verdict.drop.reason, "port-unreachable");
  assert.equal(t.verdict.senderSees, { kind: "nothing" });
});

test("linux: the forward packet still arrives when only the way back is broken", () => {
  const t = traced(hostGwNoWayBack(), { from: "a", to: "c" });
  assert.is(t.verdict.kind, "delivered");
});

test("linux: a router's ICMP error is forwarded back like any packet (a FORWARD DROP on the way eats it)", () => {
  // TTL 2: node-1 forwards (TTL 1), the gateway sends time exceeded from
  // 192.168.0.1; node-1 drops it in FORWARD (eth0 → cni0), the sender times out.
  const w = gatewayOneWay();
  const ttl = traced(w, { from: "a", to: "c", ttl: 2 });
  assert.is(ttl.verdict.kind === "dropped" && ttl.verdict.drop.reason, "ttl-exceeded");
  assert.equal(ttl.verdict.kind === "dropped" && ttl.verdict.senderSees, { kind: "nothing" });
  // Without the rule the same error arrives.
  const ok = traced(example("gateway"), { from: "a", to: "c", ttl: 2 });
  assert.equal(ok.verdict.kind === "dropped" && ok.verdict.senderSees, {
    kind: "icmp",
    type: "time-exceeded",
    code: "ttl",
    from: ok.verdict.kind === "dropped" && ok.verdict.senderSees.kind === "icmp"
      ? ok.verdict.senderSees.from
      : undefined,
    mtu: undefined,
  });
  const port = traced(w, { from: "a", to: "c", proto: "udp", port: 9999 });
  assert.equal(port.verdict.kind === "dropped" && port.verdict.senderSees, { kind: "nothing" });
});

test("linux: conntrack undoes MASQUERADE for the ICMP error, so it reaches the pod behind the NAT", () => {
  // nat: a → c is masqueraded to 192.168.0.11 on node-1; c's port
  // unreachable goes to 192.168.0.11 and node-1 translates it back to a.
  const t = traced(example("nat"), { from: "a", to: "c", proto: "udp", port: 9999 });
  assert.is(t.verdict.kind, "dropped");
  if (t.verdict.kind !== "dropped") return;
  assert.is(t.verdict.senderSees.kind, "icmp");
  assert.is(
    String(t.verdict.senderSees.kind === "icmp" && t.verdict.senderSees.from),
    "172.17.2.2",
  );
});

test("linux: the wrong pod's reply is seen only when it can come back", () => {
  const t = traced(example("same-range"), { from: "b", to: "c" });
  assert.equal(t.verdict.kind === "dropped" && t.verdict.senderSees.kind, "reply");
});

test("linux: a pod's DF packet too big for a lowered underlay is wrapped anyway, the outer packet fragmented", () => {
  // Linux (namespaces, kernel 6.18): node-1's eth0 lowered to 1300 after
  // flannel.1 (1450) exists. flannel.1 is not a bridge port, so
  // skb_tunnel_check_pmtu only records 1250 on the inner route (forwarding
  // ignores it) and wraps the 1450-byte packet; the 1500-byte outer packet,
  // DF clear, leaves eth0 in fragments and the pod's ping is answered.
  const w = vxlanThinUnderlay();
  const t = traced(w, { from: "a", to: "c", size: 1450 });
  assert.is(t.verdict.kind, "delivered");
  const steps = t.hops.flatMap((h) => h.steps);
  assert.ok(
    steps.some((s) =>
      s.kind === "mtu" && s.dev === "flannel.1" && s.outcome === "wrapped-anyway" && s.mtu === 1250
    ),
  );
  assert.ok(
    steps.some((s) =>
      s.kind === "mtu" && s.dev === "eth0" && s.outcome === "fragments" && s.size === 1500
    ),
  );
  // One byte over flannel.1's own MTU is the pod's own EMSGSIZE (its eth0 is 1450).
  const over = traced(w, { from: "a", to: "c", size: 1451 });
  assert.equal(over.verdict.kind === "dropped" && over.verdict.senderSees, {
    kind: "local-error",
    errno: "EMSGSIZE",
    mtu: 1450,
  });
});

test("linux: a node's first DF packet through its own VXLAN device over a lowered underlay arrives", () => {
  // The node's path MTU cache is cold for the first packet: it is wrapped
  // and fragmented like a pod's; Linux records mtu 1250, and later packets
  // from the node itself get EMSGSIZE (mtu=1250).
  const t = traced(vxlanThinUnderlay(), { from: "node-1", to: "10.244.2.2", size: 1450 });
  assert.is(t.verdict.kind, "delivered");
});

test.run();
