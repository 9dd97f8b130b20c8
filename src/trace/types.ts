/**
 * A trace is data (Batfish's `Trace(disposition, hops)`): the hops a packet
 * took, the steps taken in each, and a verdict from a closed set. Rendering
 * (tables, diagrams, JSON) is separate, in `render/`.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import type { DeviceRef, NamespaceRole, Protocol, Route } from "../model/world.js";
import type { EthHeader, IpHeader, Packet } from "../model/packet.js";

export type { EthHeader, IpHeader, Packet } from "../model/packet.js";

/** How a route lookup ended. */
export type RouteResult =
  | { readonly kind: "local"; readonly dev: string }
  | { readonly kind: "route"; readonly route: Route; readonly nextHop: Addr }
  | { readonly kind: "none" };

/** How a next hop's MAC was found. */
export type NeighbourOutcome =
  | { readonly kind: "entry"; readonly mac: Mac; readonly state: string }
  | {
    readonly kind: "arp";
    readonly mac: Mac;
    readonly answeredBy: DeviceRef;
    readonly others: readonly DeviceRef[];
    /** The probe's neighbour cache was warm: this answer was already cached (REACHABLE), no request waited. */
    readonly warm?: true;
  }
  | {
    /** Nobody owns the address; a namespace answered by proxy ARP with the MAC of the device the request reached, because its route for the address leaves by another device. */
    readonly kind: "proxy-arp";
    readonly mac: Mac;
    readonly answeredBy: DeviceRef;
    /** The answering namespace's route for the address (`ip route get`). */
    readonly route: string;
    /** The probe's neighbour cache was warm: this answer was already cached. */
    readonly warm?: true;
  }
  | { readonly kind: "failed" };

/** What a bridge did with a frame. */
export type BridgeDecision =
  | { readonly kind: "local" }
  | { readonly kind: "fdb"; readonly port: string; readonly state: "static" | "learned" }
  | { readonly kind: "flood"; readonly ports: readonly string[]; readonly followed: string }
  | { readonly kind: "flood-lost"; readonly ports: readonly string[] };

/** The netfilter chains a packet meets. */
export type Hook = "PREROUTING" | "INPUT" | "FORWARD" | "POSTROUTING";

/** One decision taken inside a hop. A closed set, matched exhaustively. */
export type Step =
  | { readonly kind: "send"; readonly container?: string; readonly ip: IpHeader }
  | {
    readonly kind: "route";
    readonly dst: Addr;
    readonly result: RouteResult;
    readonly oif?: string;
  }
  | { readonly kind: "ip-forward"; readonly enabled: boolean }
  | { readonly kind: "ttl"; readonly before: number; readonly after: number }
  | {
    readonly kind: "mtu";
    readonly dev: string;
    readonly mtu: number;
    readonly size: number;
    readonly df: boolean;
    /**
     * `wrapped-anyway`: a VXLAN device that is not a bridge port found the
     * inner packet too big for the underlay (`mtu` is the tunnel's path
     * MTU, recorded on the inner route) and wraps it anyway; the outer
     * packet is fragmented.
     */
    readonly outcome: "fits" | "fragments" | "too-big" | "wrapped-anyway";
  }
  | {
    readonly kind: "netfilter";
    readonly table: "nat" | "filter";
    readonly hook: Hook;
    /** The rule that decided, or `undefined` when the policy did. */
    readonly rule?: string;
    readonly verdict: "ACCEPT" | "DROP" | "RETURN" | "continue";
  }
  | {
    readonly kind: "nat";
    readonly hook: "PREROUTING" | "POSTROUTING";
    readonly rule: string;
    readonly before: IpHeader;
    readonly after: IpHeader;
    /** The rules that matched before the deciding one: jumps into user chains, MARKs. */
    readonly passed?: readonly string[];
    /** Where random (`statistic`) rules could have sent the packet, each with its probability; the `after` is the branch taken. */
    readonly choices?: readonly NatChoice[];
  }
  | {
    readonly kind: "neighbour";
    readonly addr: Addr;
    readonly dev: string;
    readonly outcome: NeighbourOutcome;
  }
  | { readonly kind: "xmit"; readonly dev: string; readonly eth: EthHeader }
  | { readonly kind: "veth"; readonly from: DeviceRef; readonly to: DeviceRef }
  | {
    readonly kind: "bridge";
    readonly bridge: string;
    readonly inPort?: string;
    readonly dstMac: Mac;
    readonly decision: BridgeDecision;
  }
  | {
    readonly kind: "segment";
    readonly segment: string;
    readonly from: DeviceRef;
    readonly to: DeviceRef;
  }
  | {
    readonly kind: "vxlan-encap";
    readonly dev: string;
    readonly vni: number;
    readonly remote: Addr;
    readonly viaDefaultEntry: boolean;
    readonly inner: Packet;
    readonly outer: IpHeader;
  }
  | {
    readonly kind: "vxlan-decap";
    readonly dev: string;
    readonly vni: number;
    readonly inner: Packet;
  }
  | {
    /** The packet routed into an IP-in-IP device, wrapped in an outer IPv4 header (protocol 4). */
    readonly kind: "ipip-encap";
    readonly dev: string;
    readonly remote: Addr;
    readonly inner: Packet;
    readonly outer: IpHeader;
  }
  | {
    /** An IP-in-IP packet for this namespace, unwrapped and received on its tunnel device. */
    readonly kind: "ipip-decap";
    readonly dev: string;
    readonly inner: Packet;
  }
  | { readonly kind: "receive"; readonly dev: string; readonly dstMac: Mac }
  | { readonly kind: "loopback"; readonly dev: string }
  | { readonly kind: "deliver"; readonly container?: string; readonly port?: number }
  | { readonly kind: "drop"; readonly drop: Drop };

/** The kinds of step. */
export type StepKind = Step["kind"];

/** Where a hop happened. */
export type Place =
  | { readonly kind: "namespace"; readonly name: string; readonly role: NamespaceRole }
  | { readonly kind: "segment"; readonly name: string };

/** The steps taken in one namespace (or on one underlay segment). */
export interface Hop {
  readonly at: Place;
  readonly steps: readonly Step[];
  /** The packet as it entered the hop. */
  readonly before: Packet;
  /** The packet as it left (or ended) the hop. */
  readonly after: Packet;
}

/** What the sender observes when its packet is dropped. */
export type SenderSees =
  | { readonly kind: "nothing" }
  | {
    readonly kind: "local-error";
    readonly errno: "ENETUNREACH" | "EHOSTUNREACH" | "EMSGSIZE" | "EINVAL" | "EACCES" | "ENOBUFS";
    readonly mtu?: number;
  }
  | {
    readonly kind: "icmp";
    readonly type: "destination-unreachable" | "time-exceeded";
    readonly code: "net" | "host" | "port" | "fragmentation-needed" | "admin-prohibited" | "ttl";
    readonly from: Addr;
    readonly mtu?: number;
  }
  | { readonly kind: "tcp-reset"; readonly from: Addr }
  | { readonly kind: "reply"; readonly from: Addr }
  /** The packet met something the model does not model: what the sender sees is not known. */
  | { readonly kind: "unknown" };

/** Why a packet was dropped: a closed set, each with its facts. */
export type Drop =
  | { readonly reason: "no-route"; readonly dst: Addr }
  | {
    readonly reason: "route-rejects";
    readonly type: "blackhole" | "unreachable" | "prohibit";
    readonly dst: Addr;
  }
  | { readonly reason: "ip-forward-off" }
  /** Dropped by a filter chain: FORWARD, or INPUT (`hook`) on local delivery. */
  | { readonly reason: "forward-drop"; readonly rule?: string; readonly hook?: "INPUT" }
  | { readonly reason: "ttl-exceeded" }
  | {
    readonly reason: "mtu-exceeded";
    readonly dev: string;
    readonly mtu: number;
    readonly size: number;
  }
  | {
    readonly reason: "frame-too-big";
    readonly dev: string;
    readonly mtu: number;
    readonly size: number;
  }
  | { readonly reason: "neighbour-unreachable"; readonly addr: Addr; readonly dev: string }
  | { readonly reason: "device-down"; readonly dev: DeviceRef }
  | { readonly reason: "unknown-mac"; readonly mac: Mac }
  | { readonly reason: "not-for-us"; readonly dev: string; readonly mac: Mac }
  | { readonly reason: "no-vxlan-remote"; readonly dev: string; readonly mac: Mac }
  | { readonly reason: "vxlan-vni-not-found"; readonly vni: number; readonly port: number }
  /**
   * A VXLAN device dropped a frame it decapsulated: its inner source MAC is
   * the device's own (`own-mac`), or, learning on, a permanent FDB entry
   * puts that MAC behind another VTEP than the one it came from (`fdb-conflict`).
   */
  | {
    readonly reason: "vxlan-refused";
    readonly dev: string;
    readonly mac: Mac;
    readonly from: Addr;
    readonly why: "own-mac" | "fdb-conflict";
  }
  /** An IP-in-IP device's outer route leads back into a tunnel (Linux counts a collision and drops it) or nowhere. */
  | { readonly reason: "ipip-no-route"; readonly dev: string; readonly remote: Addr }
  /** An IP-in-IP packet no tunnel device of the receiver takes (none up, or ends that do not match). */
  | { readonly reason: "ipip-no-tunnel"; readonly from: Addr }
  | { readonly reason: "martian-source"; readonly addr: Addr }
  | { readonly reason: "martian-destination"; readonly addr: Addr }
  | { readonly reason: "no-source-address" }
  | { readonly reason: "port-unreachable"; readonly proto: Protocol; readonly port: number }
  | { readonly reason: "wrong-pod"; readonly receiver: string; readonly intended: string }
  /**
   * The request arrived (a Service's endpoint took it) but its reply does
   * not reach the client as the answer of its connection: dropped on the
   * way back (`dropped`, in `at`), or arriving from another address than
   * the one the client sent to (`wrong-source`: no conntrack entry on the
   * reply's path reversed the DNAT, as with asymmetric routing).
   */
  | {
    readonly reason: "reply-lost";
    readonly at: string;
    readonly why:
      | { readonly kind: "dropped"; readonly drop: Drop }
      | { readonly kind: "wrong-source"; readonly expected: Addr; readonly got: Addr };
  }
  | { readonly reason: "loop"; readonly steps: number }
  /**
   * The packet met state the model does not model (an imported node's
   * `tunl0`, a policy rule, a kube-proxy chain): the trace stops here
   * rather than guess. `what` names it, `text` is what Linux showed.
   */
  | { readonly reason: "unmodelled"; readonly what: string; readonly text: string };

/** The reasons a packet can be dropped for. */
export type DropReason = Drop["reason"];

/** How a trace ended: a closed set. */
export type Verdict =
  | {
    readonly kind: "delivered";
    readonly namespace: string;
    readonly pod?: string;
    readonly container?: string;
    /** The source address the receiver sees. */
    readonly src: Addr;
    /** The destination address on arrival (after any DNAT). */
    readonly dst: Addr;
    /** TTL on arrival. */
    readonly ttl: number;
    /** True when a NAT rule rewrote the packet on the way. */
    readonly natted: boolean;
    /** Other pods that claim the destination address. */
    readonly conflicts: readonly string[];
  }
  | {
    readonly kind: "dropped";
    readonly namespace: string;
    readonly drop: Drop;
    readonly senderSees: SenderSees;
  };

/** Who sent the probe and what was asked for. */
export interface ProbeSummary {
  readonly from: { readonly namespace: string; readonly pod?: string; readonly container?: string };
  readonly to: { readonly addr: Addr; readonly pod?: string };
  readonly packet: IpHeader;
}

/** A whole trace. */
export interface Trace {
  readonly probe: ProbeSummary;
  readonly hops: readonly Hop[];
  readonly verdict: Verdict;
  /**
   * The reply to a request that was DNATed (a Service), traced from the
   * endpoint back through conntrack's reverse NAT; absent for others.
   */
  readonly reply?: Trace;
}

/** One branch of random rules: the DNAT target it leads to and its probability. */
export interface NatChoice {
  /** `ADDR:PORT` the branch DNATs to, or `-` when it DNATs nothing. */
  readonly to: string;
  readonly probability: number;
}
