/**
 * The tracer: follows one packet through a world the way Linux would, and
 * returns every hop, every decision and a verdict. It is pure (the world is
 * not changed), deterministic, and bounded: TTL ends routing loops and a
 * step budget ends layer-2 loops.
 *
 * The order of checks follows the kernel's receive and forward paths:
 * `ip_rcv` (martians, nat PREROUTING) → FIB lookup (local table first) →
 * `ip_forward` sysctl → `ip_forward()` (TTL ≤ 1, MTU with DF, TTL − 1,
 * filter FORWARD) → nat POSTROUTING → neighbour → device.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";
import type { Addr } from "../addr/mod.js";
import {
  type BridgeHop,
  bridgeOutPorts,
  bridgeOwnsMac,
  reach,
  segmentReceivers,
  vxlanRefuses,
  vxlanRemotes,
  vxlanReplyRemotes,
} from "../forward/layer2.js";
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
import { err, ok, type Result } from "../result.js";
import { encapsulate } from "../tunnel/vxlan.js";
import {
  deviceAt,
  masterOf,
  namespaceNamed,
  podOfNamespace,
  segmentNicsWithMac,
} from "../world/query.js";
import { isLocal, localDevice } from "../world/routes.js";
import { lookupRoute, selectSource } from "../forward/fib.js";
import { formatRoute } from "../syntax/iproute.js";
import {
  fragmentSize,
  frameFits,
  martianDestination,
  martianSource,
  vxlanPathMtu,
} from "../forward/rules.js";
import { type Meeting, unmodelledMet } from "../world/unmodelled.js";
import type { Bridge, Device, Ipip, Namespace, Route, Rule, Vxlan, World } from "../model/world.js";
import { encapsulateIpip, IPIP_OVERHEAD } from "../tunnel/ipip.js";
import { arpAnswerers, arpProxies, broadcastEndpoints } from "./arp.js";
import { type Probe, type ProbeError, type ResolvedProbe, resolveProbe } from "./probe.js";
import type {
  Drop,
  IpHeader,
  NatChoice,
  NeighbourOutcome,
  Packet,
  Place,
  SenderSees,
  Step,
  Trace,
  Verdict,
} from "./types.js";

/** Steps one trace may take before it is declared a loop. */
export const STEP_BUDGET = 4000;

/** How deep VXLAN crossings may nest while answering ARP through tunnels. */
const MAX_TUNNEL_DEPTH = 3;

/**
 * Traces a probe through a world.
 *
 * @param world The world (unchanged).
 * @param probe Sender, receiver and packet.
 * @returns The trace, or what is wrong with the probe.
 * @example
 * ```ts
 * import { trace } from "./tracer.js";
 * declare const world: import("../model/world.js").World;
 * const t = trace(world, { from: "a", to: "c" });
 * if (t.ok) console.log(t.value.verdict.kind, t.value.hops.length);
 * ```
 */
export function trace(world: World, probe: Probe): Result<Trace, ProbeError> {
  const resolved = resolveProbe(world, probe);
  if (!resolved.ok) return err(resolved.error);
  return ok(traceResolved(world, resolved.value));
}

/**
 * Traces a probe already checked by `resolveProbe` (the fast path the
 * invariants use).
 *
 * @param world The world.
 * @param probe The resolved probe.
 * @returns The trace.
 */
export function traceResolved(world: World, probe: ResolvedProbe): Trace {
  return new Run(world, probe, 0, { kind: "probe" }).start();
}

class BudgetExhausted {}

/**
 * A verdict, or the rest of the trace still to run. Crossing a link returns
 * a thunk instead of recursing, so a long path (a routing loop, a layer-2
 * loop) runs in a loop and never grows the call stack.
 */
/** A tunnel run's end: the VXLAN device that took its packet (see {@linkcode Purpose}). */
interface Decapsulated {
  readonly kind: "decapsulated";
  readonly dev: Vxlan;
}

/** Where a run's packet ends: a verdict, or, in a tunnel run, the device that decapsulated it. */
type End = Verdict | Decapsulated;

/** The rest of a run: its end, or a thunk for the next link crossing (constant stack). */
type Next = End | (() => Next);

function settle(next: Next): End {
  let n = next;
  while (typeof n === "function") n = n();
  return n;
}

/**
 * What a run is for, fixed when it is made: the probe itself; a tunnel
 * run, which sends a VXLAN packet only to learn which remote device takes
 * it (it ends at that device, `Decapsulated`); or an answer run, which
 * carries a reply or an ICMP error back to the probe's sender, with the
 * answer's source address and the probe's NAT rewrites that conntrack
 * undoes.
 */
type Purpose =
  | { readonly kind: "probe" }
  | { readonly kind: "tunnel" }
  | {
    readonly kind: "answer";
    readonly src: Addr;
    readonly reverse: readonly NatRecord[];
    /** An ICMP error: conntrack finds its flow by the packet it quotes. */
    readonly related?: boolean;
  };

/** A packet that passed an MTU check (possibly fragmented), or the verdict that stopped it. */
type Sized = { readonly kind: "sized"; readonly packet: Packet } | Verdict;

/**
 * A NAT rewrite a trace made, remembered so that conntrack can undo it for
 * the answer: a reply, or an ICMP error about the packet, belongs to the
 * packet's connection, so Linux translates it back instead of running the
 * nat rules on it.
 */
interface NatRecord {
  readonly namespace: string;
  readonly hook: "PREROUTING" | "POSTROUTING";
  readonly rule: string;
  readonly before: IpHeader;
  readonly after: IpHeader;
}

interface MutableHop {
  at: Place;
  steps: Step[];
  before: Packet;
  after: Packet;
}

class Run {
  readonly hops: MutableHop[] = [];
  #steps = 0;
  #natted = false;
  /** The sender's next hop was resolved when the packet left (an entry, or a warm cache), not waited for. */
  #resolvedAtSource = false;
  /** The skb mark in the current namespace (MARK rules set it; a new namespace starts at 0). */
  #mark = 0;
  /** Set when a DNAT was reached through a user chain (a Service). */
  #serviceNat = false;
  /** The reply this run traced for a DNATed request. */
  #reply: Trace | undefined;
  /** Set when an answer this trace followed met what the model does not model. */
  #answerUnknown = false;
  /** MACs bridges learned from ARP replies during this trace: bridge → MAC → port. */
  readonly learned = new Map<string, Map<Mac, string>>();
  /** The NAT rewrites this trace made, in order. */
  readonly nats: NatRecord[] = [];
  constructor(
    readonly world: World,
    readonly probe: ResolvedProbe,
    readonly depth: number,
    readonly purpose: Purpose,
  ) {}

  /** In an answer run (see {@linkcode Run.answerArrives}): its source and the rewrites to undo. */
  get answer(): Extract<Purpose, { kind: "answer" }> | undefined {
    return this.purpose.kind === "answer" ? this.purpose : undefined;
  }

  start(): Trace {
    const ns = namespaceNamed(this.world, this.probe.namespace)!;
    let verdict: Verdict;
    try {
      const end = settle(this.send(ns));
      if (end.kind === "decapsulated") {
        throw new Error(`A ${this.purpose.kind} run ended at a tunnel, which only tunnel runs do`);
      }
      verdict = end;
    } catch (e) {
      if (!(e instanceof BudgetExhausted)) throw e;
      const last = this.hops[this.hops.length - 1];
      verdict = {
        kind: "dropped",
        namespace: last?.at.name ?? ns.name,
        drop: { reason: "loop", steps: this.#steps },
        senderSees: { kind: "nothing" },
      };
    }
    return {
      probe: {
        from: { namespace: ns.name, pod: this.probe.pod?.name, container: this.probe.container },
        to: { addr: this.probe.dst, pod: this.probe.intended?.name },
        packet: this.hops[0]?.before.ip ?? this.initialHeader(ns, this.probe.dst),
      },
      hops: this.hops,
      verdict,
      ...(this.#reply ? { reply: this.#reply } : {}),
    };
  }

  // --- hops and steps -------------------------------------------------------

  enter(at: Place, packet: Packet) {
    const cur = this.hops[this.hops.length - 1];
    if (cur && cur.at.kind === at.kind && cur.at.name === at.name) return;
    this.hops.push({ at, steps: [], before: packet, after: packet });
  }

  enterNamespace(name: string, packet: Packet) {
    const ns = namespaceNamed(this.world, name)!;
    this.enter({ kind: "namespace", name, role: ns.role }, packet);
    return ns;
  }

  step(s: Step, packet?: Packet) {
    const cur = this.hops[this.hops.length - 1];
    cur.steps.push(s);
    if (packet) cur.after = packet;
    if (++this.#steps > STEP_BUDGET) throw new BudgetExhausted();
  }

  drop(ns: Namespace | string, drop: Drop, senderSees: SenderSees = { kind: "nothing" }): Verdict {
    this.step({ kind: "drop", drop });
    const sees: SenderSees = this.#answerUnknown && senderSees.kind === "nothing"
      ? { kind: "unknown" }
      : senderSees;
    return {
      kind: "dropped",
      namespace: typeof ns === "string" ? ns : ns.name,
      drop,
      senderSees: sees,
    };
  }

  /** Stops the trace when a decision in `ns` meets what the model does not model. */
  unmodelled(ns: Namespace, m: Meeting): Verdict | undefined {
    const u = unmodelledMet(ns, m);
    if (u === undefined) return undefined;
    return this.drop(ns, { reason: "unmodelled", what: u.what, text: u.text }, { kind: "unknown" });
  }

  /** True while the packet has not left the sender's namespace. */
  get atSource(): boolean {
    return this.hops.length === 1 && this.depth === 0;
  }

  // --- sending --------------------------------------------------------------

  initialHeader(ns: Namespace, src: Addr): IpHeader {
    const p = this.probe;
    return {
      src,
      dst: p.dst,
      ttl: p.ttl ?? ns.sysctl.defaultTtl,
      proto: p.proto,
      sport: p.sport,
      dport: p.dport,
      length: p.size,
      df: p.df,
    };
  }

  send(ns: Namespace): Next {
    const dst = this.probe.dst;
    const placeholder: Packet = { ip: this.initialHeader(ns, dst) };
    this.enter({ kind: "namespace", name: ns.name, role: ns.role }, placeholder);
    const unknown = this.unmodelled(ns, { kind: "local", dst });
    if (unknown) return unknown;
    const local = dst.isLoopback() || isLocal(ns, dst) ? localDevice(ns, dst) : undefined;
    if (local) {
      const packet: Packet = { ip: this.initialHeader(ns, dst) };
      this.hops[0].before = packet;
      this.step({ kind: "route", dst, result: { kind: "local", dev: local.name } });
      this.step({ kind: "send", container: this.probe.container, ip: packet.ip }, packet);
      const output = this.unmodelled(ns, { kind: "hook", hook: "OUTPUT" });
      if (output) return output;
      this.step({ kind: "loopback", dev: "lo" });
      return this.deliver(ns, packet, "lo");
    }
    const route = lookupRoute(ns, dst);
    const routed = this.routeStep(ns, dst, route);
    if (routed) return routed;
    const src = this.answer?.src ?? selectSource(ns, route!);
    if (src === undefined) {
      return this.drop(ns, { reason: "no-source-address" }, {
        kind: "local-error",
        errno: "EINVAL",
      });
    }
    const packet: Packet = { ip: this.initialHeader(ns, src) };
    this.hops[0].before = packet;
    this.step({ kind: "send", container: this.probe.container, ip: packet.ip }, packet);
    // nat OUTPUT's DNAT (a node reaching a Service) re-routes the packet
    // and is undone for the reply on local delivery: not modelled yet.
    const dnat = this.answer ? undefined : outputDnat(ns, packet.ip, route!.dev!);
    if (dnat) {
      return this.drop(ns, {
        reason: "unmodelled",
        what: "nat OUTPUT DNAT (a namespace's own traffic to a Service)",
        text: dnat.text,
      });
    }
    return this.unmodelled(ns, { kind: "hook", hook: "OUTPUT" }) ??
      this.localOutput(ns, route!, packet);
  }

  /**
   * The random (`statistic`) branches nat PREROUTING can take for this
   * packet, and the one the probe picks; undefined when there is no choice.
   */
  pickRandom(
    ns: Namespace,
    ip: IpHeader,
    inDev: string,
  ): { chance: (r: Rule) => boolean; choices: NatChoice[] } | undefined {
    if (!hasRandomRules(ns)) return undefined;
    const branches = chainBranches(ns, "nat", "PREROUTING", ip, { in: inDev }, stateIn(ns));
    if (branches.length < 2) return undefined;
    const b = pickBranch(branches, this.probe.branch ?? { kind: "first" })!;
    const choices = branches.map((x) => {
      const t = x.walk.rule?.target;
      const to = t?.kind === "DNAT" ? `${t.to}:${t.port ?? ip.dport ?? ""}` : "-";
      return { to, probability: x.probability };
    });
    return { chance: (r) => b.taken.includes(r), choices };
  }

  /**
   * The reply to a DNATed request, from the endpoint back to the client:
   * traced like any answer (conntrack reverses the NAT where the request
   * was rewritten); what keeps it from the client's socket, if anything.
   */
  followReply(ns: Namespace, packet: Packet): Drop | undefined {
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
    const sub = new Run(this.world, probe, this.depth + 1, {
      kind: "answer",
      src: ip.dst,
      reverse: this.nats,
    });
    const reply = sub.start();
    this.#reply = reply;
    const v = reply.verdict;
    if (v.kind === "dropped") {
      if (v.drop.reason === "unmodelled") return v.drop;
      return { reason: "reply-lost", at: v.namespace, why: { kind: "dropped", drop: v.drop } };
    }
    const expected = this.probe.dst;
    if (v.namespace !== this.probe.namespace) {
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

  /** Records a route lookup; returns a verdict when there is no usable route. */
  routeStep(ns: Namespace, dst: Addr, route: Route | undefined, oif?: string): Verdict | undefined {
    const unknown = this.unmodelled(ns, { kind: "lookup", dst, route });
    if (unknown) return unknown;
    if (route === undefined) {
      this.step({ kind: "route", dst, result: { kind: "none" }, oif });
      return this.drop(ns, { reason: "no-route", dst }, this.sees(ns, "no-route"));
    }
    this.step({
      kind: "route",
      dst,
      result: { kind: "route", route, nextHop: route.via ?? dst },
      oif,
    });
    if (route.type !== "unicast") {
      return this.drop(
        ns,
        { reason: "route-rejects", type: route.type, dst },
        this.sees(ns, route.type),
      );
    }
    return undefined;
  }

  /** Local output: the socket's MTU check, then the common output path. */
  localOutput(ns: Namespace, route: Route, packet: Packet): Next {
    const dev = this.device(ns, route.dev!);
    const sized = this.mtuCheck(ns, dev, packet);
    if (sized.kind !== "sized") return sized;
    return this.output(ns, route, sized.packet);
  }

  // --- receiving and forwarding ---------------------------------------------

  ipReceive(ns: Namespace, dev: Device, packet: Packet): Next {
    const ip = packet.ip;
    if (dev.kind !== "loopback") {
      const martian = this.martian(ns, ip);
      if (martian) return this.drop(ns, martian);
    }
    const unknown = this.unmodelled(ns, { kind: "device", device: dev.name }) ??
      this.unmodelled(ns, { kind: "hook", hook: "PREROUTING" });
    if (unknown) return unknown;
    let p = packet;
    this.#mark = 0;
    let choices: NatChoice[] | undefined;
    let dnat: ReturnType<Run["unNat"]> | NatWalk;
    if (this.answer) dnat = this.unNat(ns, "POSTROUTING", p);
    else {
      const picked = this.pickRandom(ns, ip, dev.name);
      choices = picked?.choices;
      const walked = natPrerouting(ns, ip, dev.name, stateIn(ns, 0, picked?.chance));
      this.#mark = walked.mark;
      dnat = walked;
    }
    const passed = "matched" in dnat
      ? dnat.matched.filter((r) => r !== ("rule" in dnat ? dnat.rule : undefined)).map((r) =>
        r.text
      )
      : undefined;
    if (dnat.kind === "rewrite") {
      this.#natted = true;
      if (passed && passed.length > 0) this.#serviceNat = true;
      p = { ...p, ip: dnat.ip };
      this.nats.push({
        namespace: ns.name,
        hook: "PREROUTING",
        rule: dnat.rule.text,
        before: ip,
        after: dnat.ip,
      });
      this.step({
        kind: "nat",
        hook: "PREROUTING",
        rule: dnat.rule.text,
        before: ip,
        after: dnat.ip,
        ...(passed && passed.length > 0 ? { passed } : {}),
        ...(choices ? { choices } : {}),
      }, p);
    } else if (dnat.kind === "stop") {
      this.step({
        kind: "netfilter",
        table: "nat",
        hook: "PREROUTING",
        rule: dnat.rule.text,
        verdict: "ACCEPT",
      });
    }
    const toUnknown = this.unmodelled(ns, { kind: "local", dst: p.ip.dst });
    if (toUnknown) return toUnknown;
    const local = localDevice(ns, p.ip.dst);
    if (local) {
      this.step({ kind: "route", dst: p.ip.dst, result: { kind: "local", dev: local.name } });
      return this.deliver(ns, p, dev.name);
    }
    const route = lookupRoute(ns, p.ip.dst);
    this.step({ kind: "ip-forward", enabled: ns.sysctl.ipForward });
    if (!ns.sysctl.ipForward) return this.drop(ns, { reason: "ip-forward-off" });
    const refused = this.routeStep(ns, p.ip.dst, route);
    if (refused) return refused;
    return this.forward(ns, dev, route!, p);
  }

  martian(ns: Namespace, ip: IpHeader): Drop | undefined {
    if (martianSource(ip.src.value) || isLocal(ns, ip.src)) {
      return { reason: "martian-source", addr: ip.src };
    }
    if (martianDestination(ip.dst.value)) {
      return { reason: "martian-destination", addr: ip.dst };
    }
    return undefined;
  }

  forward(ns: Namespace, inDev: Device, route: Route, packet: Packet): Next {
    const ip = packet.ip;
    if (ip.ttl <= 1) {
      return this.drop(ns, { reason: "ttl-exceeded" }, this.sees(ns, "ttl-exceeded"));
    }
    const out = this.device(ns, route.dev!);
    const sized = this.mtuCheck(ns, out, packet);
    if (sized.kind !== "sized") return sized;
    let p = sized.packet;
    p = { ...p, ip: { ...p.ip, ttl: ip.ttl - 1 } };
    this.step({ kind: "ttl", before: ip.ttl, after: ip.ttl - 1 }, p);
    const unknown = this.unmodelled(ns, { kind: "hook", hook: "FORWARD" });
    if (unknown) return unknown;
    return this.filter(ns, "FORWARD", p.ip, { in: inDev.name, out: out.name }) ??
      this.output(ns, route, p);
  }

  /** A filter chain's step, and the drop when it says DROP. */
  filter(
    ns: Namespace,
    chain: "FORWARD" | "INPUT",
    ip: IpHeader,
    ifaces: { in?: string; out?: string },
  ): Verdict | undefined {
    const state = stateIn(ns, this.#mark, undefined, this.answer ? "ESTABLISHED" : "NEW");
    const f = filterChain(ns, chain, ip, ifaces, state);
    this.step({
      kind: "netfilter",
      table: "filter",
      hook: chain,
      rule: f.rule?.text,
      verdict: f.verdict,
    });
    if (f.verdict === "ACCEPT") return undefined;
    const hook = chain === "INPUT" ? { hook: chain } : {};
    return this.drop(ns, { reason: "forward-drop", rule: f.rule?.text, ...hook });
  }

  /** The MTU check of `ip_forward` and of a socket with DF; fragments otherwise. */
  mtuCheck(ns: Namespace, dev: Device, packet: Packet): Sized {
    const ip = packet.ip;
    const size = ip.fragment ?? ip.length;
    if (size <= dev.mtu) {
      this.step({ kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: ip.df, outcome: "fits" });
      return { kind: "sized", packet };
    }
    if (ip.df) {
      this.step({ kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: true, outcome: "too-big" });
      return this.drop(
        ns,
        { reason: "mtu-exceeded", dev: dev.name, mtu: dev.mtu, size },
        this.sees(ns, "mtu", dev.mtu),
      );
    }
    const fragmented = {
      ...packet,
      ip: { ...ip, fragment: fragmentSize(dev.mtu) },
    };
    this.step(
      { kind: "mtu", dev: dev.name, mtu: dev.mtu, size, df: false, outcome: "fragments" },
      fragmented,
    );
    return { kind: "sized", packet: fragmented };
  }

  /** nat POSTROUTING, neighbour resolution, and out of the device. */
  output(ns: Namespace, route: Route, packet: Packet): Next {
    const unknown = this.unmodelled(ns, { kind: "hook", hook: "POSTROUTING" });
    if (unknown) return unknown;
    let p = packet;
    const snat = this.answer
      ? this.unNat(ns, "PREROUTING", p)
      : natPostrouting(ns, p.ip, route, stateIn(ns, this.#mark));
    if (snat.kind === "rewrite") {
      this.#natted = true;
      const before = p.ip;
      p = { ...p, ip: snat.ip };
      this.nats.push({
        namespace: ns.name,
        hook: "POSTROUTING",
        rule: snat.rule.text,
        before,
        after: snat.ip,
      });
      this.step(
        { kind: "nat", hook: "POSTROUTING", rule: snat.rule.text, before, after: snat.ip },
        p,
      );
    } else if (snat.kind === "stop") {
      this.step({
        kind: "netfilter",
        table: "nat",
        hook: "POSTROUTING",
        rule: snat.rule.text,
        verdict: "RETURN",
      });
    } else if (snat.kind === "no-address") {
      return this.drop(ns, { reason: "no-source-address" });
    }
    const dev = this.device(ns, route.dev!);
    if (dev.kind === "loopback") {
      this.step({ kind: "loopback", dev: dev.name });
      return () => this.ipReceive(ns, dev, p);
    }
    // An IP-in-IP device resolves no neighbour (it has no link layer).
    if (dev.kind === "ipip") return this.ipipXmit(ns, dev, route, p);
    const nextHop = route.via ?? p.ip.dst;
    let outcome = this.resolveNeighbour(ns, dev, nextHop, p.ip.src);
    if (this.atSource) {
      const warm = this.probe.neighbours === "warm";
      if (warm && (outcome.kind === "arp" || outcome.kind === "proxy-arp")) {
        outcome = { ...outcome, warm };
      }
      this.#resolvedAtSource = outcome.kind === "entry" || (warm && outcome.kind !== "failed");
    }
    this.step({ kind: "neighbour", addr: nextHop, dev: dev.name, outcome });
    if (outcome.kind === "failed") {
      // An ARP request that reaches a device answering by rules the model
      // lacks (proxy_arp), or a namespace owning the address on a device the
      // model lacks, may have been answered.
      for (const e of broadcastEndpoints(this.world, dev, this.depth, this.tunnelReach)) {
        const far = namespaceNamed(this.world, e.dev.namespace)!;
        const u = unmodelledMet(far, { kind: "device", device: e.dev.name }) ??
          unmodelledMet(far, { kind: "local", dst: nextHop });
        if (u) {
          const drop = { reason: "unmodelled", what: u.what, text: u.text } as const;
          return this.drop(ns, drop, { kind: "unknown" });
        }
      }
      return this.drop(
        ns,
        { reason: "neighbour-unreachable", addr: nextHop, dev: dev.name },
        this.sees(ns, "neighbour"),
      );
    }
    const framed: Packet = { ...p, eth: { src: dev.mac, dst: outcome.mac } };
    this.step({ kind: "xmit", dev: dev.name, eth: framed.eth! }, framed);
    return () => this.l2Out(ns, dev, framed);
  }

  // --- layer 2 ----------------------------------------------------------------

  /**
   * A frame leaves by `dev`. Every hop passes here, so this is a `switch`
   * (the compiler still proves it exhaustive through `never`), not a
   * ts-pattern match, which cost a quarter of a trace (deno task bench).
   */
  l2Out(ns: Namespace, dev: Device, packet: Packet): Next {
    switch (dev.kind) {
      case "veth":
        return this.crossVeth(ns, dev, packet);
      case "nic":
        return this.crossSegment(ns, dev, packet);
      case "bridge":
        return this.bridgeForward(ns, dev, undefined, packet);
      case "vxlan":
        return this.vxlanXmit(ns, dev, packet);
      case "loopback":
        return this.ipReceive(ns, dev, packet);
      case "ipip":
        throw new Error(`${ns.name}/${dev.name}: an IP-in-IP device sends no frames`);
      default: {
        const unknown: never = dev;
        throw new Error(`Unknown device kind: ${JSON.stringify(unknown)}`);
      }
    }
  }

  crossVeth(ns: Namespace, dev: Device & { kind: "veth" }, packet: Packet): Next {
    const peer = deviceAt(this.world, dev.peer)!;
    if (!peer.up) return this.drop(ns, { reason: "device-down", dev: dev.peer });
    const tooBig = this.frameTooBig(ns, peer, packet, this.ownFrameSees());
    if (tooBig) return tooBig;
    this.step({ kind: "veth", from: { namespace: ns.name, device: dev.name }, to: dev.peer });
    const next = this.enterNamespace(peer.namespace, packet);
    return () => this.l2In(next, peer, packet);
  }

  crossSegment(ns: Namespace, dev: Device & { kind: "nic" }, packet: Packet): Next {
    const segment = this.world.segments.find((s) => s.name === dev.segment)!;
    const dst = packet.eth!.dst;
    const target = segmentNicsWithMac(this.world, segment.name, dst).find((n) => n !== dev) ??
      this.floodedTo(dev, dst);
    const sees = this.ownFrameSees();
    this.enter({ kind: "segment", name: segment.name }, packet);
    const size = packet.ip.fragment ?? packet.ip.length;
    if (!frameFits(size, segment.mtu)) {
      return this.drop(segment.name, {
        reason: "frame-too-big",
        dev: segment.name,
        mtu: segment.mtu,
        size,
      }, sees);
    }
    if (target === undefined) return this.drop(segment.name, { reason: "unknown-mac", mac: dst });
    this.step({
      kind: "segment",
      segment: segment.name,
      from: { namespace: ns.name, device: dev.name },
      to: { namespace: target.namespace, device: target.name },
    });
    const next = this.enterNamespace(target.namespace, packet);
    if (!target.up) {
      return this.drop(next, {
        reason: "device-down",
        dev: { namespace: next.name, device: target.name },
      });
    }
    const tooBig = this.frameTooBig(next, target, packet);
    if (tooBig) return tooBig;
    return () => this.l2In(next, target, packet);
  }

  /**
   * The segment floods a frame for a MAC no NIC has (`segmentReceivers`):
   * the NIC, a bridge port, whose bridge leads to the MAC takes it.
   */
  floodedTo(dev: Device & { kind: "nic" }, dst: Mac): (Device & { kind: "nic" }) | undefined {
    const nics = segmentReceivers(this.world, dev, dst).filter((n) => n.master !== undefined);
    if (nics.length === 0) return undefined;
    for (const e of reach(this.world, dev, dst, this.tunnelReach)) {
      const bridge = e.path[0]?.bridge ?? (e.dev.kind === "bridge" ? e.dev : undefined);
      const nic = nics.find((n) => n.namespace === bridge?.namespace && n.master === bridge?.name);
      if (nic) return nic;
    }
    return undefined;
  }

  /** `is_skb_forwardable`: a frame may exceed the MTU by a VLAN tag (4 bytes), no more. */
  frameTooBig(
    ns: Namespace,
    dev: Device,
    packet: Packet,
    sees: SenderSees = { kind: "nothing" },
  ): Verdict | undefined {
    const size = packet.ip.fragment ?? packet.ip.length;
    if (frameFits(size, dev.mtu)) return undefined;
    return this.drop(ns, { reason: "frame-too-big", dev: dev.name, mtu: dev.mtu, size }, sees);
  }

  /**
   * What the sender sees when its own frame is too big for the device it
   * is handed to on its own host (a veth peer, the underlay's port): the
   * transmit error reaches the socket as ENOBUFS when the neighbour was
   * resolved and the frame went straight out; a frame that waited for ARP
   * is sent later by the neighbour code, and its error reaches nobody.
   */
  ownFrameSees(): SenderSees {
    return this.atSource && this.#resolvedAtSource && !this.hops[0].after.vxlan
      ? { kind: "local-error", errno: "ENOBUFS" }
      : { kind: "nothing" };
  }

  l2In(ns: Namespace, dev: Device, packet: Packet): Next {
    if (!dev.up) {
      return this.drop(ns, {
        reason: "device-down",
        dev: { namespace: ns.name, device: dev.name },
      });
    }
    const bridge = masterOf(this.world, dev);
    if (bridge) return this.bridgeForward(ns, bridge, dev.name, packet);
    const dst = packet.eth!.dst;
    this.step({ kind: "receive", dev: dev.name, dstMac: dst });
    if (dst !== dev.mac && dst !== Mac.broadcast) {
      return this.drop(ns, { reason: "not-for-us", dev: dev.name, mac: dst });
    }
    return this.ipReceive(ns, dev, packet);
  }

  bridgeForward(
    ns: Namespace,
    bridge: Bridge,
    inPort: string | undefined,
    packet: Packet,
  ): Next {
    const dstMac = packet.eth!.dst;
    if (!bridge.up) {
      return this.drop(ns, {
        reason: "device-down",
        dev: { namespace: ns.name, device: bridge.name },
      });
    }
    const record = (decision: Step & { kind: "bridge" }) => this.step(decision);
    if (bridgeOwnsMac(this.world, bridge, dstMac)) {
      record({ kind: "bridge", bridge: bridge.name, inPort, dstMac, decision: { kind: "local" } });
      this.step({ kind: "receive", dev: bridge.name, dstMac });
      return this.ipReceive(ns, bridge, packet);
    }
    // Learning moves a `static` entry too (only `sticky` would pin it): a
    // MAC this trace's ARP reply taught the bridge wins over the table.
    const entry = this.learnedEntry(ns, bridge, dstMac) ?? bridge.fdb.find((e) => e.mac === dstMac);
    if (entry) {
      record({
        kind: "bridge",
        bridge: bridge.name,
        inPort,
        dstMac,
        decision: { kind: "fdb", port: entry.port, state: entry.state },
      });
      const port = this.device(ns, entry.port);
      if (entry.port === inPort) return this.drop(ns, { reason: "unknown-mac", mac: dstMac });
      if (!port.up) {
        return this.drop(ns, {
          reason: "device-down",
          dev: { namespace: ns.name, device: port.name },
        });
      }
      return this.bridgeEgress(ns, port, packet);
    }
    const ports = bridgeOutPorts(this.world, bridge, inPort, dstMac);
    const followed = ports.find((p) =>
      reach(this.world, p, dstMac, this.tunnelReach).some((e) => e.dev.mac === dstMac)
    );
    const names = ports.map((p) => p.name);
    if (followed === undefined) {
      record({
        kind: "bridge",
        bridge: bridge.name,
        inPort,
        dstMac,
        decision: { kind: "flood-lost", ports: names },
      });
      return this.drop(ns, { reason: "unknown-mac", mac: dstMac });
    }
    record({
      kind: "bridge",
      bridge: bridge.name,
      inPort,
      dstMac,
      decision: { kind: "flood", ports: names, followed: followed.name },
    });
    return this.bridgeEgress(ns, followed, packet);
  }

  learnedEntry(ns: Namespace, bridge: Bridge, mac: Mac) {
    const port = this.learned.get(`${ns.name}/${bridge.name}`)?.get(mac);
    return port === undefined ? undefined : { mac, port, state: "learned" as const };
  }

  /** The reply to an ARP request teaches every bridge on its path where the answerer is. */
  learn(path: readonly BridgeHop[], mac: Mac) {
    for (const { bridge, port } of path) {
      const key = `${bridge.namespace}/${bridge.name}`;
      const table = this.learned.get(key) ?? new Map<Mac, string>();
      table.set(mac, port);
      this.learned.set(key, table);
    }
  }

  bridgeEgress(ns: Namespace, port: Device, packet: Packet): Next {
    const tooBig = this.frameTooBig(ns, port, packet);
    if (tooBig) return tooBig;
    return () => this.l2Out(ns, port, packet);
  }

  // --- VXLAN ------------------------------------------------------------------

  vxlanXmit(ns: Namespace, dev: Vxlan, packet: Packet): Next {
    const dstMac = packet.eth!.dst;
    const { remotes, viaDefault } = vxlanRemotes(dev, dstMac);
    if (remotes.length === 0) {
      return this.drop(ns, { reason: "no-vxlan-remote", dev: dev.name, mac: dstMac });
    }
    const remote = remotes.length === 1
      ? remotes[0]
      : remotes.find((r) => this.tunnelTo(dev, r)?.mac === dstMac) ?? remotes[0];
    const route = lookupRoute(ns, remote, dev.dev);
    const local = dev.local ?? (route ? selectSource(ns, route) : undefined);
    const tooBig = this.tunnelMtuCheck(ns, dev, route, packet);
    if (tooBig) return tooBig;
    const outer = encapsulate(packet, {
      vni: dev.vni,
      local: local ?? remote,
      remote,
      dstport: dev.dstport,
      ttl: ns.sysctl.defaultTtl,
    });
    this.step({
      kind: "vxlan-encap",
      dev: dev.name,
      vni: dev.vni,
      remote,
      viaDefaultEntry: viaDefault,
      inner: packet,
      outer: outer.ip,
    }, outer);
    // The outer route failing (none, blackhole, unreachable, prohibit) is
    // the VXLAN device's own transmit error (`tx_carrier_errors`): the
    // inner packet was already sent, so nobody is told.
    const refused = this.routeStep(ns, remote, route, dev.dev);
    if (refused) {
      return refused.kind === "dropped" ? { ...refused, senderSees: { kind: "nothing" } } : refused;
    }
    if (local === undefined) return this.drop(ns, { reason: "no-source-address" });
    return this.localOutput(ns, route!, outer);
  }

  /**
   * IP in IP (`ip_tunnel_xmit`): the outer destination is the device's
   * `remote`, else the route's gateway, else the inner destination
   * (`rt_nexthop`); the outer source its `local`, else what the outer route
   * selects. An outer route back into a tunnel device, or none, drops the
   * packet silently (the device counts an error; nobody is told).
   */
  ipipXmit(ns: Namespace, dev: Ipip, route: Route, packet: Packet): Next {
    const remote = dev.remote ?? route.via ?? packet.ip.dst;
    const outerRoute = lookupRoute(ns, remote);
    const under = outerRoute?.type === "unicast" ? this.device(ns, outerRoute.dev!) : undefined;
    if (outerRoute?.type === "unicast" && (under === undefined || under.kind === "ipip")) {
      return this.drop(ns, { reason: "ipip-no-route", dev: dev.name, remote }, {
        kind: "nothing",
      });
    }
    // The tunnel's path MTU check, as for VXLAN: DF packets whose outer
    // packet would not fit the underlay route are refused with the MTU less 20.
    if (under !== undefined && packet.ip.df && packet.ip.length + IPIP_OVERHEAD > under.mtu) {
      const mtu = under.mtu - IPIP_OVERHEAD;
      const size = packet.ip.length;
      this.step({ kind: "mtu", dev: dev.name, mtu, size, df: true, outcome: "too-big" });
      return this.drop(
        ns,
        { reason: "mtu-exceeded", dev: dev.name, mtu, size },
        this.sees(ns, "mtu", mtu),
      );
    }
    const local = dev.local ??
      (outerRoute?.type === "unicast" ? selectSource(ns, outerRoute) : undefined);
    const outer = encapsulateIpip(packet, { local: local ?? remote, remote });
    this.step({ kind: "ipip-encap", dev: dev.name, remote, inner: packet, outer: outer.ip }, outer);
    const refused = this.routeStep(ns, remote, outerRoute);
    if (refused) {
      return refused.kind === "dropped" ? { ...refused, senderSees: { kind: "nothing" } } : refused;
    }
    if (local === undefined) return this.drop(ns, { reason: "no-source-address" });
    return this.localOutput(ns, outerRoute!, outer);
  }

  /**
   * An IP-in-IP packet for this namespace (`ipip_rcv`): the tunnel device
   * whose ends match (a fallback `tunl0`, with none set, takes any) unwraps
   * it and the inner packet is received on that device.
   */
  ipipReceive(ns: Namespace, outer: Packet): Next {
    const { inner } = outer.ipip!;
    const matches = (d: Ipip) =>
      d.up && (d.local === undefined || d.local === outer.ip.dst) &&
      (d.remote === undefined || d.remote === outer.ip.src);
    const tunnels = ns.devices.filter((d): d is Ipip => d.kind === "ipip" && matches(d));
    // A tunnel with both ends set is preferred to the catch-all one (`ip_tunnel_lookup`).
    const dev = tunnels.find((d) => d.remote !== undefined) ?? tunnels[0];
    if (dev === undefined) return this.drop(ns, { reason: "ipip-no-tunnel", from: outer.ip.src });
    this.step({ kind: "ipip-decap", dev: dev.name, inner }, inner);
    return () => this.ipReceive(ns, dev, inner);
  }

  /**
   * The VXLAN device's path MTU check (`vxlanPathMtu` in forward/rules.ts):
   * a DF packet too big for the underlay is refused with ICMP
   * "fragmentation needed" from the inner destination only when the device
   * is a bridge port; otherwise it is wrapped anyway and the outer packet
   * fragmented.
   */
  tunnelMtuCheck(
    ns: Namespace,
    dev: Vxlan,
    route: Route | undefined,
    packet: Packet,
  ): Verdict | undefined {
    const under = route?.type === "unicast" ? this.device(ns, route.dev!) : undefined;
    if (under === undefined) return;
    const size = packet.ip.fragment ?? packet.ip.length;
    const df = packet.ip.df;
    const check = vxlanPathMtu(size, df, under.mtu, dev.master !== undefined);
    if (check.kind === "fits") return;
    const mtu = check.mtu;
    if (check.kind === "wrapped-anyway") {
      this.step({ kind: "mtu", dev: dev.name, mtu, size, df, outcome: "wrapped-anyway" });
      return;
    }
    this.step({ kind: "mtu", dev: dev.name, mtu, size, df, outcome: "too-big" });
    const told: SenderSees = this.depth > 0 ? { kind: "nothing" } : {
      kind: "icmp",
      type: "destination-unreachable",
      code: "fragmentation-needed",
      from: packet.ip.dst,
      mtu,
    };
    return this.drop(ns, { reason: "mtu-exceeded", dev: dev.name, mtu, size }, told);
  }

  deliver(ns: Namespace, packet: Packet, inDev: string): Next {
    const unknown = this.unmodelled(ns, { kind: "hook", hook: "INPUT" });
    if (unknown) return unknown;
    const dropped = hasInputRules(ns)
      ? this.filter(ns, "INPUT", packet.ip, { in: inDev })
      : undefined;
    if (dropped) return dropped;
    if (packet.vxlan) return this.vxlanReceive(ns, packet);
    if (packet.ipip) return this.ipipReceive(ns, packet);
    const ip = packet.ip;
    if (ip.proto === "ipip") return this.drop(ns, { reason: "ipip-no-tunnel", from: ip.src });
    const pod = podOfNamespace(this.world, ns.name);
    let container: string | undefined;
    // An answer is for the sender's own socket, not for a container's port.
    // Nodes and routers run no listeners the model knows of (their VXLAN
    // sockets took their packets above): UDP and TCP to them are refused.
    if (ip.proto !== "icmp" && !this.answer) {
      container = pod?.containers.find((c) =>
        c.state === "running" && c.ports.some((x) => x.port === ip.dport && x.protocol === ip.proto)
      )?.name;
      if (container === undefined) {
        const from = this.answerArrives(ns, packet, ip.proto === "tcp" ? "reset" : "error");
        const sees: SenderSees = from === undefined
          ? { kind: "nothing" }
          : ip.proto === "tcp"
          ? { kind: "tcp-reset", from }
          : { kind: "icmp", type: "destination-unreachable", code: "port", from };
        return this.drop(
          ns,
          { reason: "port-unreachable", proto: ip.proto, port: ip.dport ?? 0 },
          sees,
        );
      }
    }
    const intended = this.probe.intended;
    if (intended && this.depth === 0 && pod?.name !== intended.name) {
      const drop: Drop = {
        reason: "wrong-pod",
        receiver: pod?.name ?? ns.name,
        intended: intended.name,
      };
      const from = this.answerArrives(ns, packet, "reply");
      const sees: SenderSees = from !== undefined ? { kind: "reply", from } : { kind: "nothing" };
      return this.drop(ns, drop, sees);
    }
    // The reply is followed for DNATs through user chains (Services); a
    // plain DNAT rule's reply is not yet (the verifier's compact form
    // evaluates those, and checks no replies).
    if (this.depth === 0 && !this.answer && this.#serviceNat) {
      const lost = this.followReply(ns, packet);
      if (lost) {
        // A reply from the wrong address does arrive: an unconnected socket
        // takes it, a connected one (a resolver's) drops it.
        const sees: SenderSees = lost.reason === "reply-lost" && lost.why.kind === "wrong-source"
          ? { kind: "reply", from: lost.why.got }
          : { kind: "nothing" };
        return this.drop(ns, lost, sees);
      }
    }
    this.step({ kind: "deliver", container, port: ip.dport });
    return {
      kind: "delivered",
      namespace: ns.name,
      pod: pod?.name,
      container,
      src: ip.src,
      dst: ip.dst,
      ttl: ip.ttl,
      natted: this.#natted,
      conflicts: this.probe.claimants.filter((c) => c.name !== pod?.name).map((c) => c.name),
    };
  }

  vxlanReceive(ns: Namespace, outer: Packet): Next {
    const { vni, inner } = outer.vxlan!;
    const port = outer.ip.dport ?? 0;
    const onPort = ns.devices.filter((d): d is Vxlan =>
      d.kind === "vxlan" && d.up && d.dstport === port
    );
    if (onPort.length === 0) {
      return this.drop(ns, { reason: "port-unreachable", proto: "udp", port });
    }
    const dev = onPort.find((d) => d.vni === vni);
    if (dev === undefined) return this.drop(ns, { reason: "vxlan-vni-not-found", vni, port });
    const srcMac = inner.eth?.src;
    if (srcMac !== undefined) {
      const entry = dev.fdb.find((e) => e.mac === srcMac)?.dst;
      const why = vxlanRefuses(dev, srcMac, entry, outer.ip.src);
      if (why !== undefined) {
        const from = outer.ip.src;
        return this.drop(ns, { reason: "vxlan-refused", dev: dev.name, mac: srcMac, from, why });
      }
    }
    this.step({ kind: "vxlan-decap", dev: dev.name, vni, inner }, inner);
    if (this.purpose.kind === "tunnel") return { kind: "decapsulated", dev };
    return () => this.l2In(ns, dev, inner);
  }

  /** Which remote VXLAN device an encapsulated frame for `remote` reaches. */
  tunnelTo(dev: Vxlan, remote: Addr): Vxlan | undefined {
    if (this.depth >= MAX_TUNNEL_DEPTH) return undefined;
    const ns = namespaceNamed(this.world, dev.namespace)!;
    const probe: ResolvedProbe = {
      namespace: ns.name,
      dst: remote,
      claimants: [],
      proto: "udp",
      sport: 0,
      dport: dev.dstport,
      size: 28,
      df: false,
    };
    const sub = new Run(this.world, probe, this.depth + 1, { kind: "tunnel" });
    const route = lookupRoute(ns, remote, dev.dev);
    const local = vxlanSource(ns, dev, remote);
    if (route === undefined || route.type !== "unicast" || local === undefined) return undefined;
    const inner: Packet = {
      ip: { src: local, dst: remote, ttl: 64, proto: "udp", length: 28, df: false },
    };
    const outer = encapsulate(inner, {
      vni: dev.vni,
      local,
      remote,
      dstport: dev.dstport,
      ttl: ns.sysctl.defaultTtl,
    });
    sub.enter({ kind: "namespace", name: ns.name, role: ns.role }, outer);
    try {
      const end = settle(sub.localOutput(ns, route, outer));
      return end.kind === "decapsulated" ? end.dev : undefined;
    } catch (e) {
      if (!(e instanceof BudgetExhausted)) throw e;
      return undefined;
    }
  }

  /**
   * The remote VXLAN devices a frame out of `dev` reaches and is taken up
   * by. A broadcast is an ARP request: a device counts only when it keeps
   * the request ({@linkcode vxlanRefuses}) and its answer finds the way
   * back to `dev` ({@linkcode vxlanReplyRemotes}); otherwise the reply is
   * dropped on transmit and the asker's neighbour entry fails.
   */
  readonly tunnelReach = (dev: Vxlan, dst: Mac | "broadcast"): Device[] => {
    const out: Device[] = [];
    for (const remote of vxlanRemotes(dev, dst).remotes) {
      const far = this.tunnelTo(dev, remote);
      if (far === undefined) continue;
      if (dst === "broadcast" && !this.answersBack(dev, far, remote)) continue;
      out.push(far);
    }
    return out;
  };

  /** Whether `far` keeps an ARP request from `dev` (sent to `remote`) and its reply gets back. */
  answersBack(dev: Vxlan, far: Vxlan, remote: Addr): boolean {
    const ns = namespaceNamed(this.world, dev.namespace)!;
    const local = vxlanSource(ns, dev, remote);
    if (local === undefined) return false;
    const entry = far.fdb.find((e) => e.mac === dev.mac)?.dst;
    if (vxlanRefuses(far, dev.mac, entry, local) !== undefined) return false;
    return vxlanReplyRemotes(far, dev.mac, local).some((r) => this.tunnelTo(far, r) === dev);
  }

  // --- neighbours ---------------------------------------------------------------

  resolveNeighbour(ns: Namespace, dev: Device, addr: Addr, packetSrc: Addr): NeighbourOutcome {
    const entry = ns.neighbours.find((n) => n.addr === addr && n.dev === dev.name);
    if (entry) return { kind: "entry", mac: entry.mac, state: entry.state };
    const sip = isLocal(ns, packetSrc) ? packetSrc : dev.addresses[0]?.addr;
    const answers = arpAnswerers(this.world, dev, addr, sip, this.depth, this.tunnelReach);
    if (answers.length === 0) {
      const request = { dev, addr, sip, depth: this.depth, tunnel: this.tunnelReach };
      const proxy = arpProxies(this.world, request)[0];
      if (proxy === undefined) return { kind: "failed" };
      const by = proxy.endpoint.dev;
      this.learn(proxy.endpoint.path, by.mac);
      return {
        kind: "proxy-arp",
        mac: by.mac,
        answeredBy: { namespace: by.namespace, device: by.name },
        route: formatRoute(proxy.route),
      };
    }
    this.learn(answers[0].path, answers[0].dev.mac);
    const refs = answers.map((a) => ({ namespace: a.dev.namespace, device: a.dev.name }));
    return { kind: "arp", mac: answers[0].dev.mac, answeredBy: refs[0], others: refs.slice(1) };
  }

  // --- helpers ------------------------------------------------------------------

  device(ns: Namespace, name: string): Device {
    const d = ns.devices.find((x) => x.name === name);
    if (d === undefined) throw new Error(`Route in ${ns.name} names missing device ${name}`);
    return d;
  }

  /**
   * Whether an answer to `packet`, sent from `ns`, gets back to the probe's
   * sender: an ICMP error about it (at most 576 bytes, from `from`), a TCP
   * reset, or the reply of the host that took it. The answer is traced like
   * any packet (routes, ip_forward, FORWARD chains, MTUs), except that it
   * belongs to the probe's connection: conntrack undoes the probe's NAT
   * rewrites in each namespace that made one, and no nat rule applies to it.
   */
  answerArrives(
    ns: Namespace,
    packet: Packet,
    kind: "error" | "reset" | "reply",
    from: Addr = packet.ip.dst,
  ): Addr | undefined {
    if (this.depth > 0) return undefined;
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
    const sub = new Run(this.world, probe, this.depth + 1, {
      kind: "answer",
      src: from,
      reverse: this.nats,
      related: kind === "error",
    });
    const v = sub.start().verdict;
    // The answer met what the model does not model: whether it arrives is not known.
    if (v.kind === "dropped" && v.drop.reason === "unmodelled") this.#answerUnknown = true;
    return v.kind === "delivered" && v.namespace === this.probe.namespace ? v.src : undefined;
  }

  /**
   * conntrack translating an answer back: where the probe was SNATed on
   * its way out (`POSTROUTING`), the answer's destination is restored as it
   * comes in; where it was DNATed on its way in (`PREROUTING`), the answer's
   * source is restored as it goes out.
   */
  unNat(
    ns: Namespace,
    hook: "PREROUTING" | "POSTROUTING",
    packet: Packet,
  ): { kind: "rewrite"; rule: { text: string }; ip: IpHeader } | { kind: "none" } {
    const ip = packet.ip;
    for (const r of this.answer?.reverse ?? []) {
      if (r.namespace !== ns.name || r.hook !== hook) continue;
      const rule = { text: `conntrack: answer to "${r.rule}"` };
      if (hook === "POSTROUTING" && r.after.src === ip.dst) {
        return { kind: "rewrite", rule, ip: { ...ip, dst: r.before.src, dport: r.before.sport } };
      }
      // An ICMP error about a DNATed packet leaves with the address the
      // client used as its source, whoever sent it (nf_nat_icmp_reply_translation).
      if (hook === "PREROUTING" && this.answer?.related) {
        return { kind: "rewrite", rule, ip: { ...ip, src: r.before.dst } };
      }
      if (hook === "PREROUTING" && r.after.dst === ip.src) {
        return { kind: "rewrite", rule, ip: { ...ip, src: r.before.dst, sport: r.before.dport } };
      }
    }
    return { kind: "none" };
  }

  /** What the sender observes for a drop of this kind in `ns`. */
  sees(
    ns: Namespace,
    what: Refusal,
    mtu?: number,
  ): SenderSees {
    if (this.depth > 0) return { kind: "nothing" };
    if (this.atSource) return localSees(what, mtu, this.hops[0].after.ip.src);
    const cur = this.hops[this.hops.length - 1].after;
    // An outer packet's errors go to the tunnel, not to the sender of the inner one.
    if (cur.vxlan || cur.ipip) return { kind: "nothing" };
    const back = lookupRoute(ns, cur.ip.src);
    const from = back && back.type === "unicast" ? selectSource(ns, back) : undefined;
    if (from === undefined || what === "blackhole") return { kind: "nothing" };
    // The ICMP error travels back like any packet; if it cannot reach the
    // sender (no route back somewhere, a FORWARD DROP), the sender sees nothing.
    // conntrack rewrites the error's outer source where the flow was DNATed.
    const arrived = this.answerArrives(ns, cur, "error", from);
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

/** A VXLAN device's outer source towards `remote`: its `local`, else the underlay route's source. */
function vxlanSource(ns: Namespace, dev: Vxlan, remote: Addr): Addr | undefined {
  const route = lookupRoute(ns, remote, dev.dev);
  return dev.local ?? (route ? selectSource(ns, route) : undefined);
}
