/**
 * The world: namespaces, devices, routes, neighbours, FDBs, netfilter rules,
 * nodes and pods — the state that `ip addr`, `ip route`, `ip neigh`,
 * `bridge fdb`, `sysctl` and `iptables -t nat -S` would show.
 *
 * Every type here is read-only data. Edits return a new world
 * (see `world/edit.ts`); nothing in the kernel mutates a world.
 *
 * @module
 */
import type { Addr, Mac, Prefix } from "../addr/mod.js";

/** A device named by its namespace and interface name: `node-1/cni0`. */
export interface DeviceRef {
  readonly namespace: string;
  readonly device: string;
}

/** The closed set of device kinds the kernel models. */
export type DeviceKind = Device["kind"];

interface DeviceBase {
  readonly name: string;
  readonly namespace: string;
  /** Administrative state (`ip link set X up|down`). */
  readonly up: boolean;
  readonly mtu: number;
  readonly mac: Mac;
  /** Interface addresses with their prefix length, e.g. `10.244.1.2/24`. */
  readonly addresses: readonly Prefix[];
  /** The bridge this device is a port of (`ip link set X master cni0`). */
  readonly master?: string;
}

/** `lo`: delivers to its own namespace. */
export interface Loopback extends DeviceBase {
  readonly kind: "loopback";
}

/** One end of a veth pair; frames sent here come out of `peer`. */
export interface VethEnd extends DeviceBase {
  readonly kind: "veth";
  readonly peer: DeviceRef;
}

/** A Linux bridge (`cni0`, `docker0`) with its forwarding database. */
export interface Bridge extends DeviceBase {
  readonly kind: "bridge";
  /** Static and learned entries; port MACs are implicit local entries. */
  readonly fdb: readonly BridgeFdbEntry[];
}

/** A node's NIC on a shared underlay layer-2 segment. */
export interface Nic extends DeviceBase {
  readonly kind: "nic";
  readonly segment: string;
}

/** A VXLAN tunnel endpoint (`flannel.1`). */
export interface Vxlan extends DeviceBase {
  readonly kind: "vxlan";
  readonly vni: number;
  /** Outer source address (`local`). */
  readonly local?: Addr;
  /** UDP destination port (`dstport`); flannel uses 8472. */
  readonly dstport: number;
  /** Underlay device the outer packets leave by (`dev`). */
  readonly dev?: string;
  readonly learning: boolean;
  /** Remote VTEPs by inner destination MAC; `00:00:00:00:00:00` floods. */
  readonly fdb: readonly VxlanFdbEntry[];
}

/**
 * An IP-in-IP tunnel (`ipip`; Calico's `tunl0` is the module's fallback
 * device, with neither end set): a packet routed into it is wrapped in an
 * outer IPv4 header (protocol 4) to `remote`, or to the route's gateway, and
 * sent from `local`, or from the address the outer route selects.
 */
export interface Ipip extends DeviceBase {
  readonly kind: "ipip";
  readonly local?: Addr;
  readonly remote?: Addr;
}

/** Every device kind, a closed tagged union. */
export type Device = Loopback | VethEnd | Bridge | Nic | Vxlan | Ipip;

/** `bridge fdb` entry on a bridge: frames for `mac` leave by `port`. */
export interface BridgeFdbEntry {
  readonly mac: Mac;
  readonly port: string;
  readonly state: "static" | "learned";
}

/** `bridge fdb` entry on a VXLAN device: frames for `mac` go to `dst`. */
export interface VxlanFdbEntry {
  readonly mac: Mac;
  readonly dst: Addr;
}

/** The closed set of route types `ip route` accepts here. */
export type RouteType = "unicast" | "blackhole" | "unreachable" | "prohibit";

/** A route in the main table. */
export interface Route {
  readonly type: RouteType;
  /** Destination, host bits clear; `0.0.0.0/0` is `default`. */
  readonly dst: Prefix;
  readonly via?: Addr;
  /** Output device; always set for unicast routes once loaded. */
  readonly dev?: string;
  readonly onlink: boolean;
  /** Preferred source address (`src`). */
  readonly src?: Addr;
  readonly metric: number;
  /** `kernel` for connected routes derived from addresses; `bird` for routes a BGP daemon installed. */
  readonly proto: "kernel" | "static" | "bird";
  readonly scope: "link" | "global";
}

/** An `ip neigh` entry. */
export interface Neighbour {
  readonly addr: Addr;
  readonly dev: string;
  readonly mac: Mac;
  readonly state: "permanent" | "reachable" | "stale" | "noarp";
}

/** Conntrack states `-m conntrack --ctstate` names. */
export type CtState = "NEW" | "ESTABLISHED" | "RELATED" | "INVALID" | "DNAT" | "SNAT";

/** Interface, address, port, mark, random and conntrack matches of one iptables rule. */
export interface RuleMatch {
  readonly src?: { readonly prefix: Prefix; readonly negate: boolean };
  readonly dst?: { readonly prefix: Prefix; readonly negate: boolean };
  readonly inIface?: { readonly name: string; readonly negate: boolean };
  readonly outIface?: { readonly name: string; readonly negate: boolean };
  readonly proto?: Protocol;
  readonly sport?: number;
  readonly dport?: number;
  /** `-m mark [!] --mark VALUE[/MASK]`: `(mark & mask) === value`. */
  readonly mark?: { readonly value: number; readonly mask: number; readonly negate: boolean };
  /** `-m statistic --mode random --probability P`: matches with probability `p`. */
  readonly probability?: number;
  /** `-m addrtype [!] --dst-type LOCAL`: the destination is an address of this namespace. */
  readonly dstLocal?: { readonly negate: boolean };
  /** `-m addrtype [!] --src-type LOCAL`: the source is an address of this namespace. */
  readonly srcLocal?: { readonly negate: boolean };
  /** `-m conntrack [!] --ctstate S[,S]`. */
  readonly ctstate?: { readonly states: readonly CtState[]; readonly negate: boolean };
  /** `-m comment --comment TEXT`: changes nothing, shown as written. */
  readonly comment?: string;
}

/** Targets the netfilter model knows. */
export type RuleTarget =
  | { readonly kind: "ACCEPT" }
  | { readonly kind: "DROP" }
  | { readonly kind: "RETURN" }
  | { readonly kind: "MASQUERADE" }
  | { readonly kind: "SNAT"; readonly to: Addr }
  | { readonly kind: "DNAT"; readonly to: Addr; readonly port?: number }
  /** `-j CHAIN`: a user-defined chain of the same table; its RETURN comes back. */
  | { readonly kind: "JUMP"; readonly chain: string }
  /** `-j MARK --set-xmark V/M`: `mark = (mark & ~M) ^ V` (`--or-mark V` is `V/V`). */
  | { readonly kind: "MARK"; readonly value: number; readonly mask: number };

/** Built-in chains the netfilter model evaluates. */
export type BuiltinChain = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

/** A chain: built in, or user-defined (`iptables -N KUBE-SERVICES`). */
export type Chain = BuiltinChain | (string & Record<never, never>);

/** One iptables rule, with the text it was written as. */
export interface Rule {
  readonly table: "nat" | "filter";
  readonly chain: Chain;
  readonly match: RuleMatch;
  readonly target: RuleTarget;
  /** The rule as `iptables -S` would print it (without `-t`). */
  readonly text: string;
}

/** The netfilter state of one namespace. */
export interface Netfilter {
  readonly rules: readonly Rule[];
  /** `iptables -P FORWARD ...`; Docker sets DROP. */
  readonly forwardPolicy: "ACCEPT" | "DROP";
}

/** The sysctls that change forwarding. */
export interface Sysctls {
  /** `net.ipv4.ip_forward` */
  readonly ipForward: boolean;
  /** `net.ipv4.ip_default_ttl` */
  readonly defaultTtl: number;
  /**
   * Devices with `net.ipv4.conf.DEV.proxy_arp=1` (`all` for every device,
   * as Linux ORs `conf.all` with the device's own); absent: none.
   */
  readonly proxyArp?: readonly string[];
}

/**
 * What a namespace stands for in the cluster: a node's root namespace, a
 * pod's, a router, or a client machine outside the cluster on the underlay.
 */
export type NamespaceRole = "node" | "pod" | "router" | "client";

/** A network namespace: devices, routes, neighbours, sysctls, netfilter. */
export interface Namespace {
  readonly name: string;
  readonly role: NamespaceRole;
  /** Devices in creation order (that is their ifindex order). */
  readonly devices: readonly Device[];
  /** Static routes as configured; connected routes are derived. */
  readonly routes: readonly Route[];
  readonly neighbours: readonly Neighbour[];
  readonly sysctl: Sysctls;
  readonly netfilter: Netfilter;
  /**
   * State a real node has that the model does not (an imported cluster's
   * `tunl0`, policy rules, kube-proxy's chains ...): kept so that a trace
   * that meets it stops and names it instead of guessing. Absent: none.
   */
  readonly unmodelled?: readonly Unmodelled[];
}

/** The netfilter hooks a packet passes (`NF_INET_*`). */
export type NetfilterHook = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

/**
 * Something in a namespace the model does not model, and where a packet
 * meets it. `what` names it for a verdict ("tunl0 (ipip)"); `text` is what
 * Linux showed (a route, a rule, an iptables line).
 */
export type Unmodelled =
  /** A main-table route the model cannot express (through an unmodelled device, `throw`, multipath): a lookup whose destination it covers at least as specifically as the modelled choice meets it. */
  | { readonly kind: "route"; readonly what: string; readonly text: string; readonly dst: Prefix }
  /** A local address on an unmodelled device: packets to it meet it. */
  | { readonly kind: "address"; readonly what: string; readonly text: string; readonly addr: Addr }
  /** Policy routing rules: every route lookup in the namespace meets them. */
  | { readonly kind: "rules"; readonly what: string; readonly text: string }
  /** Netfilter rules or policies the model does not evaluate, at the hook a packet passes. */
  | {
    readonly kind: "netfilter";
    readonly what: string;
    readonly text: string;
    readonly hook: NetfilterHook;
  }
  /** A setting of a device that changes what it does with what it receives (`rp_filter=1`, `proxy_arp=1`): frames arriving on it, or ARP requests reaching it, meet it. */
  | {
    readonly kind: "device";
    readonly what: string;
    readonly text: string;
    readonly device: string;
  }
  /** Kept and listed; no IPv4 packet path meets it (IPv6 state, routes in unused tables). */
  | { readonly kind: "listed"; readonly what: string; readonly text: string };

/** A shared layer-2 underlay segment (a switch joining node NICs). */
export interface Segment {
  readonly name: string;
  readonly mtu: number;
}

/** The transport protocols a probe can use. */
export type Protocol = "icmp" | "udp" | "tcp";

/** A port a container listens on. */
export interface ContainerPort {
  readonly port: number;
  readonly protocol: "tcp" | "udp";
}

/** A container of a pod. The pause container holds the namespace. */
export interface Container {
  readonly name: string;
  readonly pause: boolean;
  readonly state: "running" | "exited";
  readonly restarts: number;
  readonly ports: readonly ContainerPort[];
}

/** A pod: containers sharing one network namespace on one node. */
export interface Pod {
  readonly name: string;
  readonly node: string;
  /** The pod's namespace; `undefined` once the sandbox is gone. */
  readonly namespace?: string;
  readonly containers: readonly Container[];
}

/**
 * A Kubernetes node: its root namespace, pod CIDR and how pods attach —
 * to a bridge (`bridge` set: flannel, Docker), or by a routed veth with no
 * bridge at all (`bridge` absent: Calico's `cali…` devices, a `/32` route
 * per pod and proxy ARP).
 */
export interface Node {
  readonly name: string;
  readonly namespace: string;
  readonly podCidr: Prefix;
  readonly bridge?: string;
  /** MTU given to new pods' interfaces. */
  readonly podMtu: number;
  /**
   * The cluster's pod network, when the node's CNI gives each pod a route
   * to it through the bridge (flannel's CNI plugin hands the bridge plugin
   * `routes: [{dst: FLANNEL_NETWORK}]`, so a pod has `10.244.0.0/16 via
   * 10.244.1.1` besides its default route).
   */
  readonly network?: Prefix;
  /** host-local IPAM: the last address handed out (round-robin). */
  readonly lastReserved?: Addr;
}

/** Free text in the two languages of the course. */
export interface Text {
  readonly en: string;
  readonly ko: string;
}

/** A whole simulated cluster. Build one with `loadScenario`. */
export interface World {
  readonly name: string;
  readonly mode: string;
  readonly description?: Text;
  readonly segments: readonly Segment[];
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
}
