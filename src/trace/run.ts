/**
 * One run of the tracer: the hops and steps it records, the state a packet
 * carries through the stack (mark, NAT rewrites, what bridges learned), and
 * what the run is for. The layers that move the packet live beside it —
 * `ip.ts` (routing, netfilter, neighbours, local delivery), `link.ts`
 * (veths, segments, bridges), `tunnels.ts` (VXLAN, IP in IP) and
 * `answers.ts` (replies and ICMP errors back to the sender) — and reach one
 * another through the run's {@linkcode Stack}, as Linux's layers reach one
 * another through device and protocol handlers: no file of the tracer
 * imports another's functions in a circle.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import type { BridgeHop } from "../forward/layer2.js";
import { namespaceNamed } from "../world/query.js";
import { type Meeting, unmodelledMet } from "../world/unmodelled.js";
import type { Bridge, Device, Ipip, Namespace, Route, Vxlan, World } from "../model/world.js";
import type { ResolvedProbe } from "./probe.js";
import type { Drop, IpHeader, Packet, Place, SenderSees, Step, Trace, Verdict } from "./types.js";

/** Steps one trace may take before it is declared a loop. */
export const STEP_BUDGET = 4000;

/** Thrown when a run takes more than {@linkcode STEP_BUDGET} steps (a layer-2 loop). */
export class BudgetExhausted {}

/** A tunnel run's end: the VXLAN device that took its packet (see {@linkcode Purpose}). */
export interface Decapsulated {
  readonly kind: "decapsulated";
  readonly dev: Vxlan;
}

/** Where a run's packet ends: a verdict, or, in a tunnel run, the device that decapsulated it. */
export type End = Verdict | Decapsulated;

/**
 * The rest of a run: its end, or a thunk for the next link crossing.
 * Crossing a link returns a thunk instead of recursing, so a long path (a
 * routing loop, a layer-2 loop) runs in a loop and never grows the call stack.
 */
export type Next = End | (() => Next);

/** Runs thunks until the run ends. */
export function settle(next: Next): End {
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
export type Purpose =
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
export type Sized = { readonly kind: "sized"; readonly packet: Packet } | Verdict;

/**
 * A NAT rewrite a trace made, remembered so that conntrack can undo it for
 * the answer: a reply, or an ICMP error about the packet, belongs to the
 * packet's connection, so Linux translates it back instead of running the
 * nat rules on it.
 */
export interface NatRecord {
  readonly namespace: string;
  readonly hook: "PREROUTING" | "POSTROUTING";
  readonly rule: string;
  readonly before: IpHeader;
  readonly after: IpHeader;
}

/**
 * The layers' entry points one file of the tracer calls in another:
 * sending, receiving and forwarding at layer 3, frames in and out at layer
 * 2, and the tunnels. `tracer.ts` joins them.
 */
export interface Stack {
  send(run: Run, ns: Namespace): Next;
  ipReceive(run: Run, ns: Namespace, dev: Device, packet: Packet): Next;
  routeStep(
    run: Run,
    ns: Namespace,
    dst: Addr,
    route: Route | undefined,
    oif?: string,
  ): Verdict | undefined;
  localOutput(run: Run, ns: Namespace, route: Route, packet: Packet): Next;
  l2In(run: Run, ns: Namespace, dev: Device, packet: Packet): Next;
  l2Out(run: Run, ns: Namespace, dev: Device, packet: Packet): Next;
  vxlanXmit(run: Run, ns: Namespace, dev: Vxlan, packet: Packet): Next;
  vxlanReceive(run: Run, ns: Namespace, outer: Packet): Next;
  ipipXmit(run: Run, ns: Namespace, dev: Ipip, route: Route, packet: Packet): Next;
  ipipReceive(run: Run, ns: Namespace, outer: Packet): Next;
  tunnelReach(run: Run, dev: Vxlan, dst: Mac | "broadcast"): Device[];
}

interface MutableHop {
  at: Place;
  steps: Step[];
  before: Packet;
  after: Packet;
}

/** A run: its hops, and the state the layers update as the packet moves. */
export class Run {
  readonly hops: MutableHop[] = [];
  #steps = 0;
  /** A NAT rule rewrote the packet. */
  natted = false;
  /** The sender's next hop was resolved when the packet left (an entry, or a warm cache), not waited for. */
  resolvedAtSource = false;
  /** The skb mark in the current namespace (MARK rules set it; a new namespace starts at 0). */
  mark = 0;
  /** Set when a DNAT was reached through a user chain (a Service). */
  serviceNat = false;
  /** The reply this run traced for a DNATed request. */
  reply: Trace | undefined;
  /** Set when an answer this trace followed met what the model does not model. */
  answerUnknown = false;
  /** MACs bridges learned from ARP replies during this trace: bridge → MAC → port. */
  readonly learned = new Map<string, Map<Mac, string>>();
  /** The NAT rewrites this trace made, in order. */
  readonly nats: NatRecord[] = [];
  constructor(
    readonly world: World,
    readonly probe: ResolvedProbe,
    readonly depth: number,
    readonly purpose: Purpose,
    readonly stack: Stack,
  ) {}

  /** A run this one starts (an answer, a tunnel crossing), one level deeper. */
  child(probe: ResolvedProbe, purpose: Purpose): Run {
    return new Run(this.world, probe, this.depth + 1, purpose, this.stack);
  }

  /** In an answer run: its source and the rewrites to undo. */
  get answer(): Extract<Purpose, { kind: "answer" }> | undefined {
    return this.purpose.kind === "answer" ? this.purpose : undefined;
  }

  /** The VXLAN devices a frame out of `dev` reaches (the ARP code's view of the tunnels). */
  readonly tunnelReach = (dev: Vxlan, dst: Mac | "broadcast"): Device[] =>
    this.stack.tunnelReach(this, dev, dst);

  /** Sends the probe and follows it to its verdict. */
  start(): Trace {
    const ns = namespaceNamed(this.world, this.probe.namespace)!;
    let verdict: Verdict;
    try {
      const end = settle(this.stack.send(this, ns));
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
      ...(this.reply ? { reply: this.reply } : {}),
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
    const sees: SenderSees = this.answerUnknown && senderSees.kind === "nothing"
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

  /** The probe's IP header as it leaves `ns` from `src`. */
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

  /** The device a route or an entry names (the loader guarantees it exists). */
  device(ns: Namespace, name: string): Device {
    const d = ns.devices.find((x) => x.name === name);
    if (d === undefined) throw new Error(`Route in ${ns.name} names missing device ${name}`);
    return d;
  }

  // --- what bridges learn during the trace ----------------------------------

  /** The port a bridge learned for `mac` from an ARP reply during this trace. */
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
}
