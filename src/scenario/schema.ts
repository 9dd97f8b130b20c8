/**
 * The scenario document: the JSON form of a world (schema version 1).
 * docs/scenario-schema.md describes every field; `load.ts` checks them.
 *
 * @module
 */

/** The schema version this kernel reads and writes. */
export const SCENARIO_VERSION = 1;

/** A whole scenario file. */
export interface ScenarioDoc {
  readonly version: 1;
  readonly name: string;
  /** A label: single-host, same-range, gateway, host-gw, vxlan, nat or custom. */
  readonly mode: string;
  readonly description?: { readonly en: string; readonly ko: string };
  readonly segments: readonly SegmentDoc[];
  readonly nodes: readonly NodeDoc[];
  readonly namespaces: readonly NamespaceDoc[];
  readonly pods: readonly PodDoc[];
}

/** An underlay layer-2 segment. */
export interface SegmentDoc {
  readonly name: string;
  readonly mtu?: number;
}

/** A Kubernetes node. */
export interface NodeDoc {
  readonly name: string;
  /** Defaults to the node's name. */
  readonly namespace?: string;
  readonly podCidr: string;
  /** The bridge pods attach to; absent: routed veths, no bridge (Calico). */
  readonly bridge?: string;
  readonly podMtu?: number;
  readonly lastReserved?: string;
  /** The cluster network each new pod gets a route to through the bridge (flannel). */
  readonly network?: string;
}

/** A network namespace. */
export interface NamespaceDoc {
  readonly name: string;
  readonly role: "node" | "pod" | "router" | "client";
  /** `net.ipv4.ip_forward`, `net.ipv4.ip_default_ttl`. */
  readonly sysctl?: Readonly<Record<string, string | number>>;
  readonly devices: readonly DeviceDoc[];
  /** Routes added with `ip route add`, in `ip route` syntax. */
  readonly routes?: readonly string[];
  /** Connected routes deleted with `ip route del`. */
  readonly removedKernelRoutes?: readonly string[];
  /** Entries added with `ip neigh add`. */
  readonly neighbours?: readonly string[];
  /** Entries added with `bridge fdb add`. */
  readonly fdb?: readonly string[];
  /** Arguments of `iptables` commands, in order. */
  readonly iptables?: readonly string[];
  /** What the node has that the model does not; a trace that meets one stops and names it. */
  readonly unmodelled?: readonly UnmodelledDoc[];
}

/**
 * Something the model does not model (written by `deno task import`):
 * `kind` says where a packet meets it — `route` (`dst`), `address`
 * (`addr`), `rules` (every route lookup), `netfilter` (`hook`), `device`
 * (`device`: frames or ARP requests arriving on it) or `listed` (nowhere).
 */
export interface UnmodelledDoc {
  readonly kind: "route" | "address" | "rules" | "netfilter" | "device" | "listed";
  /** Its name in a verdict, e.g. `tunl0 (ipip)`. */
  readonly what: string;
  /** What Linux showed. */
  readonly text: string;
  readonly dst?: string;
  readonly addr?: string;
  readonly hook?: "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";
  readonly device?: string;
}

/** A device; which fields apply depends on `kind`. */
export interface DeviceDoc {
  readonly name: string;
  readonly kind: "loopback" | "veth" | "bridge" | "nic" | "vxlan" | "ipip";
  readonly up?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  readonly addresses?: readonly string[];
  readonly master?: string;
  /** veth: the other end, `namespace/device`. */
  readonly peer?: string;
  /** nic: the underlay segment. */
  readonly segment?: string;
  /** vxlan fields (`local` also for ipip). */
  readonly vni?: number;
  readonly local?: string;
  /** ipip: the far end; absent for the fallback `tunl0`. */
  readonly remote?: string;
  readonly dstport?: number;
  readonly dev?: string;
  readonly learning?: boolean;
}

/** A pod. */
export interface PodDoc {
  readonly name: string;
  readonly node: string;
  /** Absent once the sandbox is gone. */
  readonly namespace?: string;
  readonly containers: readonly ContainerDoc[];
}

/** A container. */
export interface ContainerDoc {
  readonly name: string;
  readonly pause?: boolean;
  readonly state?: "running" | "exited";
  readonly restarts?: number;
  /** `"8080/tcp"`, `"53/udp"`. */
  readonly ports?: readonly string[];
}
