/**
 * What comes back to the sender: the reply to a DNATed request, an ICMP
 * error or a TCP reset about its packet, each traced as a packet of its own
 * (an answer run) that conntrack translates back where the probe was
 * NATed; and what the sender sees when its packet is refused.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import { lookupRoute, selectSource } from "../forward/fib.js";
import type { Namespace } from "../model/world.js";
import type { ResolvedProbe } from "./probe.js";
import type { Drop, IpHeader, Packet, SenderSees } from "./types.js";
import type { Run } from "./run.js";

/**
 * The reply to a DNATed request, from the endpoint back to the client:
 * traced like any answer (conntrack reverses the NAT where the request
 * was rewritten); what keeps it from the client's socket, if anything.
 */
export function followReply(run: Run, ns: Namespace, packet: Packet): Drop | undefined {
  const ip = packet.ip;
  const proto = ip.proto;
  if (proto === "ipip") return undefined;
  const probe: ResolvedProbe = {
    namespace: ns.name,
    dst: ip.src,
    claimants: [],
    proto,
    size: ip.length,
    sport: ip.dport,
    dport: ip.sport,
    df: false,
  };
  const sub = run.child(probe, {
    kind: "answer",
    src: ip.dst,
    reverse: run.nats,
  });
  const reply = sub.start();
  run.reply = reply;
  const v = reply.verdict;
  if (v.kind === "dropped") {
    if (v.drop.reason === "unmodelled") return v.drop;
    return { reason: "reply-lost", at: v.namespace, why: { kind: "dropped", drop: v.drop } };
  }
  const expected = run.probe.dst;
  if (v.namespace !== run.probe.namespace) {
    return {
      reason: "reply-lost",
      at: v.namespace,
      why: { kind: "wrong-source", expected, got: v.src },
    };
  }
  if (v.src !== expected) {
    return {
      reason: "reply-lost",
      at: v.namespace,
      why: { kind: "wrong-source", expected, got: v.src },
    };
  }
  return undefined;
}

/**
 * Whether an answer to `packet`, sent from `ns`, gets back to the probe's
 * sender: an ICMP error about it (at most 576 bytes, from `from`), a TCP
 * reset, or the reply of the host that took it. The answer is traced like
 * any packet (routes, ip_forward, FORWARD chains, MTUs), except that it
 * belongs to the probe's connection: conntrack undoes the probe's NAT
 * rewrites in each namespace that made one, and no nat rule applies to it.
 */
export function answerArrives(
  run: Run,
  ns: Namespace,
  packet: Packet,
  kind: "error" | "reset" | "reply",
  from: Addr = packet.ip.dst,
): Addr | undefined {
  if (run.depth > 0) return undefined;
  const ip = packet.ip;
  // Answers to an outer tunnel packet go to the tunnel, never to the probe's sender.
  const proto = ip.proto;
  if (proto === "ipip") return undefined;
  const swapped = { sport: ip.dport, dport: ip.sport };
  const probe: ResolvedProbe = {
    namespace: ns.name,
    dst: ip.src,
    claimants: [],
    ...(kind === "error"
      ? { proto: "icmp", size: 28 + Math.min(ip.length, 548) }
      : kind === "reset"
      ? { proto: "tcp", size: 40, ...swapped }
      : { proto, size: ip.length, ...swapped }),
    df: false,
  };
  const sub = run.child(probe, {
    kind: "answer",
    src: from,
    reverse: run.nats,
    related: kind === "error",
  });
  const v = sub.start().verdict;
  // The answer met what the model does not model: whether it arrives is not known.
  if (v.kind === "dropped" && v.drop.reason === "unmodelled") run.answerUnknown = true;
  return v.kind === "delivered" && v.namespace === run.probe.namespace ? v.src : undefined;
}

/**
 * conntrack translating an answer back: where the probe was SNATed on
 * its way out (`POSTROUTING`), the answer's destination is restored as it
 * comes in; where it was DNATed on its way in (`PREROUTING`), the answer's
 * source is restored as it goes out.
 */
export function unNat(
  run: Run,
  ns: Namespace,
  hook: "PREROUTING" | "POSTROUTING",
  packet: Packet,
): { kind: "rewrite"; rule: { text: string }; ip: IpHeader } | { kind: "none" } {
  const ip = packet.ip;
  for (const r of run.answer?.reverse ?? []) {
    if (r.namespace !== ns.name || r.hook !== hook) continue;
    const rule = { text: `conntrack: answer to "${r.rule}"` };
    if (hook === "POSTROUTING" && r.after.src === ip.dst) {
      return { kind: "rewrite", rule, ip: { ...ip, dst: r.before.src, dport: r.before.sport } };
    }
    // An ICMP error about a DNATed packet leaves with the address the
    // client used as its source, whoever sent it (nf_nat_icmp_reply_translation).
    if (hook === "PREROUTING" && run.answer?.related) {
      return { kind: "rewrite", rule, ip: { ...ip, src: r.before.dst } };
    }
    if (hook === "PREROUTING" && r.after.dst === ip.src) {
      return { kind: "rewrite", rule, ip: { ...ip, src: r.before.dst, sport: r.before.dport } };
    }
  }
  return { kind: "none" };
}

/** What the sender observes for a drop of this kind in `ns`. */
export function sees(
  run: Run,
  ns: Namespace,
  what: Refusal,
  mtu?: number,
): SenderSees {
  if (run.depth > 0) return { kind: "nothing" };
  if (run.atSource) return localSees(what, mtu, run.hops[0].after.ip.src);
  const cur = run.hops[run.hops.length - 1].after;
  // An outer packet's errors go to the tunnel, not to the sender of the inner one.
  if (cur.vxlan || cur.ipip) return { kind: "nothing" };
  const back = lookupRoute(ns, cur.ip.src);
  const from = back && back.type === "unicast" ? selectSource(ns, back) : undefined;
  if (from === undefined || what === "blackhole") return { kind: "nothing" };
  // The ICMP error travels back like any packet; if it cannot reach the
  // sender (no route back somewhere, a FORWARD DROP), the sender sees nothing.
  // conntrack rewrites the error's outer source where the flow was DNATed.
  const arrived = answerArrives(run, ns, cur, "error", from);
  if (arrived === undefined) return { kind: "nothing" };
  const icmp = (
    type: "destination-unreachable" | "time-exceeded",
    code: Extract<SenderSees, { kind: "icmp" }>["code"],
  ) => ({ kind: "icmp", type, code, from: arrived, mtu }) as const;
  switch (what) {
    case "no-route":
      return icmp("destination-unreachable", "net");
    case "unreachable":
    case "neighbour":
      return icmp("destination-unreachable", "host");
    case "prohibit":
      return icmp("destination-unreachable", "admin-prohibited");
    case "ttl-exceeded":
      return icmp("time-exceeded", "ttl");
    case "mtu":
      return icmp("destination-unreachable", "fragmentation-needed");
  }
}

/** The drops whose sender may be told why: by an ICMP error, or a local error. */
type Refusal =
  | "no-route"
  | "blackhole"
  | "unreachable"
  | "prohibit"
  | "ttl-exceeded"
  | "mtu"
  | "neighbour";

function localSees(
  what: Refusal,
  mtu: number | undefined,
  src: Addr,
): SenderSees {
  switch (what) {
    case "no-route":
      return { kind: "local-error", errno: "ENETUNREACH" };
    case "blackhole":
      return { kind: "local-error", errno: "EINVAL" };
    case "unreachable":
      return { kind: "local-error", errno: "EHOSTUNREACH" };
    case "prohibit":
      return { kind: "local-error", errno: "EACCES" };
    case "mtu":
      return { kind: "local-error", errno: "EMSGSIZE", mtu };
    case "neighbour":
      return { kind: "icmp", type: "destination-unreachable", code: "host", from: src };
    case "ttl-exceeded":
      return { kind: "nothing" };
  }
}
