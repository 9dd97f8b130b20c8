/**
 * Errors about a DNATed flow come from the address the client used:
 * conntrack rewrites the outer source of a related ICMP error (port
 * unreachable from the endpoint, TTL exceeded on the way, net unreachable
 * after a DNAT to an unroutable address) and of a TCP reset back to the
 * Service address; an error about a flow that was only masqueraded keeps
 * the router's address. Generated over every pod, Service, endpoint and
 * initial TTL of the services example.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stopContainer } from "../src/pods/lifecycle.js";
import type { SenderSees, Trace } from "../src/trace/types.js";
import { setIptables } from "../src/world/edit.js";
import { podIp, podNamed } from "../src/world/query.js";
import { example, must, traced } from "./support/world.ts";

const world = example("services");
const ip = (pod: string) => String(podIp(world, podNamed(world, pod)!));
const SERVICES = [
  { vip: "10.96.0.10", port: 53, proto: "udp" as const, endpoints: ["c", "d"] },
  { vip: "10.96.0.20", port: 80, proto: "tcp" as const, endpoints: ["b", "c", "d"] },
];
const from = (s: SenderSees) => ("from" in s && s.from ? String(s.from) : undefined);
const dnatted = (t: Trace) => t.hops.some((h) => h.steps.some((s) => s.kind === "nat"));

test("conntrack: a TTL-exceeded error about a DNATed packet comes from the Service address, on every hop", () => {
  let checked = 0;
  for (const sender of ["a", "b", "c", "d"]) {
    for (const svc of SERVICES) {
      for (const ep of svc.endpoints) {
        for (let ttl = 1; ttl <= 3; ttl++) {
          const t = traced(world, {
            from: sender,
            to: svc.vip,
            proto: svc.proto,
            port: svc.port,
            ttl,
            branch: ip(ep),
          });
          const v = t.verdict;
          if (v.kind !== "dropped" || v.drop.reason !== "ttl-exceeded") continue;
          const where = `${sender} → ${svc.vip} via ${ep}, ttl ${ttl}`;
          assert.ok(dnatted(t), where);
          assert.is(from(v.senderSees), svc.vip, where);
          checked++;
        }
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} cases`);
});

test("conntrack: port unreachable and TCP reset from an endpoint with nothing listening come from the Service address", () => {
  const stopped = must(stopContainer(world, "d/coredns")).world;
  const u = traced(stopped, {
    from: "a",
    to: "10.96.0.10",
    proto: "udp",
    port: 53,
    branch: ip("d"),
  });
  assert.is(u.verdict.kind === "dropped" && u.verdict.drop.reason, "port-unreachable");
  if (u.verdict.kind === "dropped") assert.is(from(u.verdict.senderSees), "10.96.0.10");
  const app = must(stopContainer(world, "c/app")).world;
  const r = traced(app, { from: "a", to: "10.96.0.20", proto: "tcp", port: 80, branch: ip("c") });
  assert.ok(r.verdict.kind === "dropped", JSON.stringify(r.verdict));
  if (r.verdict.kind === "dropped") {
    assert.is(r.verdict.senderSees.kind, "tcp-reset");
    assert.is(from(r.verdict.senderSees), "10.96.0.20");
  }
});

test("conntrack: net unreachable after a DNAT to an unroutable address comes from the Service address", () => {
  const w = must(setIptables(world, "node-1", [
    "-t nat -A PREROUTING -d 10.96.0.99/32 -p udp --dport 53 -j DNAT --to-destination 203.0.113.7:53",
  ]));
  const t = traced(w, { from: "a", to: "10.96.0.99", proto: "udp", port: 53 });
  assert.ok(t.verdict.kind === "dropped" && t.verdict.drop.reason === "no-route");
  if (t.verdict.kind === "dropped") {
    assert.is(t.verdict.senderSees.kind, "icmp");
    assert.is(from(t.verdict.senderSees), "10.96.0.99");
  }
});

test("conntrack: after MASQUERADE alone the error keeps the router's address", () => {
  // a's traffic to node-2's pods masqueraded at node-1: no DNAT anywhere.
  const w = must(setIptables(world, "node-1", ["-t nat -A POSTROUTING -o eth0 -j MASQUERADE"]));
  const t = traced(w, { from: "a", to: ip("d"), proto: "udp", port: 8080, ttl: 2 });
  assert.ok(t.verdict.kind === "dropped" && t.verdict.drop.reason === "ttl-exceeded");
  if (t.verdict.kind === "dropped") {
    assert.is(from(t.verdict.senderSees), "192.168.0.12");
    assert.ok(
      t.hops.some((h) => h.steps.some((s) => s.kind === "nat" && s.hook === "POSTROUTING")),
    );
  }
});

test.run();
