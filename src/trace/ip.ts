/**
 * The tracer's layer 3, in the order of the kernel's paths: sending
 * (`ip_route_output`, source selection, nat OUTPUT), receiving (`ip_rcv`:
 * martians, nat PREROUTING, the local table first), forwarding
 * (`ip_forward`: TTL, MTU with DF, filter FORWARD), output (nat
 * POSTROUTING, the neighbour, the device) and local delivery (filter
 * INPUT, sockets, the reply of a Service).
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import {
  chainBranches,
  filterChain,
  hasInputRules,
  hasRandomRules,
  natPostrouting,
  natPrerouting,
  type NatWalk,
  outputDnat,
  pickBranch,
  stateIn,
} from "../forward/netfilter.js";
import { namespaceNamed, podOfNamespace } from "../world/query.js";
import { isLocal, localDevice } from "../world/routes.js";
import { lookupRoute, selectSource } from "../forward/fib.js";
import { formatRoute } from "../syntax/iproute.js";
import { fragmentSize, martianDestination, martianSource } from "../forward/rules.js";
import { unmodelledMet } from "../world/unmodelled.js";
import type { Device, Namespace, Route, Rule } from "../model/world.js";
import { arpAnswerers, arpProxies, broadcastEndpoints } from "./arp.js";
import type {
  Drop,
  IpHeader,
  NatChoice,
  NeighbourOutcome,
  Packet,
  SenderSees,
  Verdict,
} from "./types.js";
import type { Next, Run, Sized } from "./run.js";
import { answerArrives, followReply, sees, unNat } from "./answers.js";

/** Sends the run's probe from `ns`: the route or the local table, the source address, nat OUTPUT, then output. */
export function send(run: Run, ns: Namespace): Next {
  const dst = run.probe.dst;
  const placeholder: Packet = { ip: run.initialHeader(ns, dst) };
  run.enter({ kind: "namespace", name: ns.name, role: ns.role }, placeholder);
  const unknown = run.unmodelled(ns, { kind: "local", dst });
  if (unknown) return unknown;
  const local = dst.isLoopback() || isLocal(ns, dst) ? localDevice(ns, dst) : undefined;
  if (local) {
    const packet: Packet = { ip: run.initialHeader(ns, dst) };
    run.hops[0].before = packet;
    run.step({ kind: "route", dst, result: { kind: "local", dev: local.name } });
    run.step({ kind: "send", container: run.probe.container, ip: packet.ip }, packet);
    const output = run.unmodelled(ns, { kind: "hook", hook: "OUTPUT" });
    if (output) return output;
    run.step({ kind: "loopback", dev: "lo" });
    return deliver(run, ns, packet, "lo");
  }
  const route = lookupRoute(ns, dst);
  const routed = routeStep(run, ns, dst, route);
  if (routed) return routed;
  const src = run.answer?.src ?? selectSource(ns, route!);
  if (src === undefined) {
    return run.drop(ns, { reason: "no-source-address" }, {
      kind: "local-error",
      errno: "EINVAL",
    });
  }
  const packet: Packet = { ip: run.initialHeader(ns, src) };
  run.hops[0].before = packet;
  run.step({ kind: "send", container: run.probe.container, ip: packet.ip }, packet);
  // nat OUTPUT's DNAT (a node reaching a Service) re-routes the packet
  // and is undone for the reply on local delivery: not modelled yet.
  const dnat = run.answer ? undefined : outputDnat(ns, packet.ip, route!.dev!);
  if (dnat) {
    return run.drop(ns, {
      reason: "unmodelled",
      what: "nat OUTPUT DNAT (a namespace's own traffic to a Service)",
      text: dnat.text,
    });
  }
  return run.unmodelled(ns, { kind: "hook", hook: "OUTPUT" }) ??
    localOutput(run, ns, route!, packet);
}

/**
 * The random (`statistic`) branches nat PREROUTING can take for this
 * packet, and the one the probe picks; undefined when there is no choice.
 */
function pickRandom(
  run: Run,
  ns: Namespace,
  ip: IpHeader,
  inDev: string,
): { chance: (r: Rule) => boolean; choices: NatChoice[] } | undefined {
  if (!hasRandomRules(ns)) return undefined;
  const branches = chainBranches(ns, "nat", "PREROUTING", ip, { in: inDev }, stateIn(ns));
  if (branches.length < 2) return undefined;
  const b = pickBranch(branches, run.probe.branch ?? { kind: "first" })!;
  const choices = branches.map((x) => {
    const t = x.walk.rule?.target;
    const to = t?.kind === "DNAT" ? `${t.to}:${t.port ?? ip.dport ?? ""}` : "-";
    return { to, probability: x.probability };
  });
  return { chance: (r) => b.taken.includes(r), choices };
}

/** Records a route lookup; returns a verdict when there is no usable route. */
export function routeStep(
  run: Run,
  ns: Namespace,
  dst: Addr,
  route: Route | undefined,
  oif?: string,
): Verdict | undefined {
  const unknown = run.unmodelled(ns, { kind: "lookup", dst, route });
  if (unknown) return unknown;
  if (route === undefined) {
    run.step({ kind: "route", dst, result: { kind: "none" }, oif });
    return run.drop(ns, { reason: "no-route", dst }, sees(run, ns, "no-route"));
  }
  run.step({
    kind: "route",
    dst,
    result: { kind: "route", route, nextHop: route.via ?? dst },
    oif,
  });
  if (route.type !== "unicast") {
    return run.drop(
      ns,
      { reason: "route-rejects", type: route.type, dst },
      sees(run, ns, route.type),
    );
  }
  return undefined;
}

/** Local output: the socket's MTU check, then the common output path. */
export function localOutput(run: Run, ns: Namespace, route: Route, packet: Packet): Next {
  const dev = run.device(ns, route.dev!);
  const sized = mtuCheck(run, ns, dev, packet);
  if (sized.kind !== "sized") return sized;
  return output(run, ns, route, sized.packet);
}

// --- receiving and forwarding ---------------------------------------------

/** A packet received on `dev` (`ip_rcv`): martians, nat PREROUTING (or conntrack for an answer), local delivery or forwarding. */
export function ipReceive(run: Run, ns: Namespace, dev: Device, packet: Packet): Next {
  const ip = packet.ip;
  if (dev.kind !== "loopback") {
    const bad = martian(ns, ip);
    if (bad) return run.drop(ns, bad);
  }
  const unknown = run.unmodelled(ns, { kind: "device", device: dev.name }) ??
    run.unmodelled(ns, { kind: "hook", hook: "PREROUTING" });
  if (unknown) return unknown;
  let p = packet;
  run.mark = 0;
  let choices: NatChoice[] | undefined;
  let dnat: ReturnType<typeof unNat> | NatWalk;
  if (run.answer) dnat = unNat(run, ns, "POSTROUTING", p);
  else {
    const picked = pickRandom(run, ns, ip, dev.name);
    choices = picked?.choices;
    const walked = natPrerouting(ns, ip, dev.name, stateIn(ns, 0, picked?.chance));
    run.mark = walked.mark;
    dnat = walked;
  }
  const passed = "matched" in dnat
    ? dnat.matched.filter((r) => r !== ("rule" in dnat ? dnat.rule : undefined)).map((r) => r.text)
    : undefined;
  if (dnat.kind === "rewrite") {
    run.natted = true;
    if (passed && passed.length > 0) run.serviceNat = true;
    p = { ...p, ip: dnat.ip };
    run.nats.push({
      namespace: ns.name,
      hook: "PREROUTING",
      rule: dnat.rule.text,
      before: ip,
      after: dnat.ip,
    });
    run.step({
      kind: "nat",
      hook: "PREROUTING",
      rule: dnat.rule.text,
      before: ip,
      after: dnat.ip,
      ...(passed && passed.length > 0 ? { passed } : {}),
      ...(choices ? { choices } : {}),
    }, p);
  } else if (dnat.kind === "stop") {
    run.step({
      kind: "netfilter",
      table: "nat",
      hook: "PREROUTING",
      rule: dnat.rule.text,
      verdict: "ACCEPT",
    });
  }
  const toUnknown = run.unmodelled(ns, { kind: "local", dst: p.ip.dst });
  if (toUnknown) return toUnknown;
  const local = localDevice(ns, p.ip.dst);
  if (local) {
    run.step({ kind: "route", dst: p.ip.dst, result: { kind: "local", dev: local.name } });
    return deliver(run, ns, p, dev.name);
  }
  const route = lookupRoute(ns, p.ip.dst);
  run.step({ kind: "ip-forward", enabled: ns.sysctl.ipForward });
  if (!ns.sysctl.ipForward) return run.drop(ns, { reason: "ip-forward-off" });
  const refused = routeStep(run, ns, p.ip.dst, route);
  if (refused) return refused;
  return forward(run, ns, dev, route!, p);
}

/** A martian source (`ip_route_input_slow`: a local or invalid address) or destination. */
function martian(ns: Namespace, ip: IpHeader): Drop | undefined {
  if (martianSource(ip.src.value) || isLocal(ns, ip.src)) {
    return { reason: "martian-source", addr: ip.src };
  }
  if (martianDestination(ip.dst.value)) {
    return { reason: "martian-destination", addr: ip.dst };
  }
  return undefined;
}

function forward(
  run: Run,
  ns: Namespace,
  inDev: Device,
  route: Route,
  packet: Packet,
): Next {
  const ip = packet.ip;
  if (ip.ttl <= 1) {
    return run.drop(ns, { reason: "ttl-exceeded" }, sees(run, ns, "ttl-exceeded"));
  }
  const out = run.device(ns, route.dev!);
  const sized = mtuCheck(run, ns, out, packet);
  if (sized.kind !== "sized") return sized;
  let p = sized.packet;
  p = { ...p, ip: { ...p.ip, ttl: ip.ttl - 1 } };
  run.step({ kind: "ttl", before: ip.ttl, after: ip.ttl - 1 }, p);
  const unknown = run.unmodelled(ns, { kind: "hook", hook: "FORWARD" });
  if (unknown) return unknown;
  return filter(run, ns, "FORWARD", p.ip, { in: inDev.name, out: out.name }) ??
    output(run, ns, route, p);
}

/** A filter chain's step, and the drop when it says DROP. */
function filter(
  run: Run,
  ns: Namespace,
  chain: "FORWARD" | "INPUT",
  ip: IpHeader,
  ifaces: { in?: string; out?: string },
): Verdict | undefined {
  const state = stateIn(ns, run.mark, undefined, run.answer ? "ESTABLISHED" : "NEW");
  const f = filterChain(ns, chain, ip, ifaces, state);
  run.step({
    kind: "netfilter",
    table: "filter",
    hook: chain,
    rule: f.rule?.text,
    verdict: f.verdict,
  });
  if (f.verdict === "ACCEPT") return undefined;
  const hook = chain === "INPUT" ? { hook: chain } : {};
  return run.drop(ns, { reason: "forward-drop", rule: f.rule?.text, ...hook });
}

/** The MTU check of `ip_forward` and of a socket with DF; fragments otherwise. */
function mtuCheck(run: Run, ns: Namespace, dev: Device, packet: Packet): Sized {
  const ip = packet.ip;
  const size = ip.fragment ?? ip.length;
  if (size <= dev.mtu) {
    run.step({ kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: ip.df, outcome: "fits" });
    return { kind: "sized", packet };
  }
  if (ip.df) {
    run.step({ kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: true, outcome: "too-big" });
    return run.drop(
      ns,
      { reason: "mtu-exceeded", dev: dev.name, mtu: dev.mtu, size },
      sees(run, ns, "mtu", dev.mtu),
    );
  }
  const fragmented = {
    ...packet,
    ip: { ...ip, fragment: fragmentSize(dev.mtu) },
  };
  run.step(
    { kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: false, outcome: "fragments" },
    fragmented,
  );
  return { kind: "sized", packet: fragmented };
}

/** nat POSTROUTING, neighbour resolution, and out of the device. */
function output(run: Run, ns: Namespace, route: Route, packet: Packet): Next {
  const unknown = run.unmodelled(ns, { kind: "hook", hook: "POSTROUTING" });
  if (unknown) return unknown;
  let p = packet;
  const snat = run.answer
    ? unNat(run, ns, "PREROUTING", p)
    : natPostrouting(ns, p.ip, route, stateIn(ns, run.mark));
  if (snat.kind === "rewrite") {
    run.natted = true;
    const before = p.ip;
    p = { ...p, ip: snat.ip };
    run.nats.push({
      namespace: ns.name,
      hook: "POSTROUTING",
      rule: snat.rule.text,
      before,
      after: snat.ip,
    });
    run.step(
      { kind: "nat", hook: "POSTROUTING", rule: snat.rule.text, before, after: snat.ip },
      p,
    );
  } else if (snat.kind === "stop") {
    run.step({
      kind: "netfilter",
      table: "nat",
      hook: "POSTROUTING",
      rule: snat.rule.text,
      verdict: "RETURN",
    });
  } else if (snat.kind === "no-address") {
    return run.drop(ns, { reason: "no-source-address" });
  }
  const dev = run.device(ns, route.dev!);
  if (dev.kind === "loopback") {
    run.step({ kind: "loopback", dev: dev.name });
    return () => ipReceive(run, ns, dev, p);
  }
  // An IP-in-IP device resolves no neighbour (it has no link layer).
  if (dev.kind === "ipip") return run.stack.ipipXmit(run, ns, dev, route, p);
  const nextHop = route.via ?? p.ip.dst;
  let outcome = resolveNeighbour(run, ns, dev, nextHop, p.ip.src);
  if (run.atSource) {
    const warm = run.probe.neighbours === "warm";
    if (warm && (outcome.kind === "arp" || outcome.kind === "proxy-arp")) {
      outcome = { ...outcome, warm };
    }
    run.resolvedAtSource = outcome.kind === "entry" || (warm && outcome.kind !== "failed");
  }
  run.step({ kind: "neighbour", addr: nextHop, dev: dev.name, outcome });
  if (outcome.kind === "failed") {
    // An ARP request that reaches a device answering by rules the model
    // lacks (proxy_arp), or a namespace owning the address on a device the
    // model lacks, may have been answered.
    for (const e of broadcastEndpoints(run.world, dev, run.depth, run.tunnelReach)) {
      const far = namespaceNamed(run.world, e.dev.namespace)!;
      const u = unmodelledMet(far, { kind: "device", device: e.dev.name }) ??
        unmodelledMet(far, { kind: "local", dst: nextHop });
      if (u) {
        const drop = { reason: "unmodelled", what: u.what, text: u.text } as const;
        return run.drop(ns, drop, { kind: "unknown" });
      }
    }
    return run.drop(
      ns,
      { reason: "neighbour-unreachable", addr: nextHop, dev: dev.name },
      sees(run, ns, "neighbour"),
    );
  }
  const framed: Packet = { ...p, eth: { src: dev.mac, dst: outcome.mac } };
  run.step({ kind: "xmit", dev: dev.name, eth: framed.eth! }, framed);
  return () => run.stack.l2Out(run, ns, dev, framed);
}

function deliver(run: Run, ns: Namespace, packet: Packet, inDev: string): Next {
  const unknown = run.unmodelled(ns, { kind: "hook", hook: "INPUT" });
  if (unknown) return unknown;
  const dropped = hasInputRules(ns)
    ? filter(run, ns, "INPUT", packet.ip, { in: inDev })
    : undefined;
  if (dropped) return dropped;
  if (packet.vxlan) return run.stack.vxlanReceive(run, ns, packet);
  if (packet.ipip) return run.stack.ipipReceive(run, ns, packet);
  const ip = packet.ip;
  if (ip.proto === "ipip") return run.drop(ns, { reason: "ipip-no-tunnel", from: ip.src });
  const pod = podOfNamespace(run.world, ns.name);
  let container: string | undefined;
  // An answer is for the sender's own socket, not for a container's port.
  // Nodes and routers run no listeners the model knows of (their VXLAN
  // sockets took their packets above): UDP and TCP to them are refused.
  if (ip.proto !== "icmp" && !run.answer) {
    container = pod?.containers.find((c) =>
      c.state === "running" && c.ports.some((x) => x.port === ip.dport && x.protocol === ip.proto)
    )?.name;
    if (container === undefined) {
      const from = answerArrives(run, ns, packet, ip.proto === "tcp" ? "reset" : "error");
      const sees: SenderSees = from === undefined
        ? { kind: "nothing" }
        : ip.proto === "tcp"
        ? { kind: "tcp-reset", from }
        : { kind: "icmp", type: "destination-unreachable", code: "port", from };
      return run.drop(
        ns,
        { reason: "port-unreachable", proto: ip.proto, port: ip.dport ?? 0 },
        sees,
      );
    }
  }
  const intended = run.probe.intended;
  if (intended && run.depth === 0 && pod?.name !== intended.name) {
    const drop: Drop = {
      reason: "wrong-pod",
      receiver: pod?.name ?? ns.name,
      intended: intended.name,
    };
    const from = answerArrives(run, ns, packet, "reply");
    const sees: SenderSees = from !== undefined ? { kind: "reply", from } : { kind: "nothing" };
    return run.drop(ns, drop, sees);
  }
  // The reply is followed for DNATs through user chains (Services); a
  // plain DNAT rule's reply is not yet (the verifier's compact form
  // evaluates those, and checks no replies).
  if (run.depth === 0 && !run.answer && run.serviceNat) {
    const lost = followReply(run, ns, packet);
    if (lost) {
      // A reply from the wrong address does arrive: an unconnected socket
      // takes it, a connected one (a resolver's) drops it.
      const sees: SenderSees = lost.reason === "reply-lost" && lost.why.kind === "wrong-source"
        ? { kind: "reply", from: lost.why.got }
        : { kind: "nothing" };
      return run.drop(ns, lost, sees);
    }
  }
  run.step({ kind: "deliver", container, port: ip.dport });
  return {
    kind: "delivered",
    namespace: ns.name,
    pod: pod?.name,
    container,
    src: ip.src,
    dst: ip.dst,
    ttl: ip.ttl,
    natted: run.natted,
    conflicts: run.probe.claimants.filter((c) => c.name !== pod?.name).map((c) => c.name),
  };
}

// --- neighbours ---------------------------------------------------------------

function resolveNeighbour(
  run: Run,
  ns: Namespace,
  dev: Device,
  addr: Addr,
  packetSrc: Addr,
): NeighbourOutcome {
  const entry = ns.neighbours.find((n) => n.addr === addr && n.dev === dev.name);
  if (entry) return { kind: "entry", mac: entry.mac, state: entry.state };
  const sip = isLocal(ns, packetSrc) ? packetSrc : dev.addresses[0]?.addr;
  const answers = arpAnswerers(run.world, dev, addr, sip, run.depth, run.tunnelReach);
  if (answers.length === 0) {
    const request = { dev, addr, sip, depth: run.depth, tunnel: run.tunnelReach };
    const proxy = arpProxies(run.world, request)[0];
    if (proxy === undefined) return { kind: "failed" };
    const by = proxy.endpoint.dev;
    run.learn(proxy.endpoint.path, by.mac);
    return {
      kind: "proxy-arp",
      mac: by.mac,
      answeredBy: { namespace: by.namespace, device: by.name },
      route: formatRoute(proxy.route),
    };
  }
  run.learn(answers[0].path, answers[0].dev.mac);
  const refs = answers.map((a) => ({ namespace: a.dev.namespace, device: a.dev.name }));
  return { kind: "arp", mac: answers[0].dev.mac, answeredBy: refs[0], others: refs.slice(1) };
}
