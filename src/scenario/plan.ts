/**
 * What every mode builder shares: the cluster's layout once the spec is
 * read (sizes, pod ranges, underlay), the naming and numbering rules
 * (`node-N`, nodes at the underlay's host 11, 12, ...), and the shape of a
 * mode builder — one declarative record per networking mode, registered
 * in `modes.ts`, so that `build.ts` never asks which mode it builds.
 *
 * @module
 */
import type { ServiceSpec } from "./kubeproxy.js";
import type { Addr, Prefix } from "../addr/mod.js";
import type { World } from "../model/world.js";
import type { BgpConfig } from "../control/bgp.js";
import type { DeviceDoc, NamespaceDoc, NodeDoc, SegmentDoc } from "./schema.js";
import type { Mode } from "../world/names.js";

/** What to build. Every field but `mode` has a default. */
export interface ClusterSpec {
  readonly mode: Mode;
  /** Scenario name (default: the mode). */
  readonly name?: string;
  /** Number of nodes (default 1 for single-host, else 2). */
  readonly nodes?: number;
  /** Pods per node: one number for all, or one per node (default 2; single-host 3). */
  readonly pods?: number | readonly number[];
  /** Pod CIDR per node (default 10.244.N.0/24; same-range 10.244.0.0/24 everywhere; nat 172.17.N.0/24; Calico: the IP pool, one entry). */
  readonly podCidrs?: readonly string[];
  /** Range the flannel masquerade rules treat as the cluster (default: smallest prefix covering all pod CIDRs). */
  readonly clusterCidr?: string;
  /** Underlay subnet (default 192.168.0.0/24); node N gets host number 10 + N, the gateway 1. */
  readonly underlay?: string;
  /** Underlay MTU (default 1500). */
  readonly mtu?: number;
  /** Calico: IPAM block prefix length (default 26). */
  readonly blockBits?: number;
  /** Calico BGP: topology and faults (default: a full mesh, no faults). */
  readonly bgp?: BgpConfig;
  readonly description?: { readonly en: string; readonly ko: string };
  /**
   * Services kube-proxy programs on every node; `endpoints` name pods.
   * An endpoint pod gets a container listening on the target port
   * (`container`, default the Service's name) unless its app already does.
   */
  readonly services?: readonly ServiceInput[];
}

/** A Service in a cluster spec: kube-proxy's view, with endpoints as pod names. */
export type ServiceInput = Omit<ServiceSpec, "endpoints" | "endpointNodes"> & {
  readonly endpoints: readonly string[];
  readonly container?: string;
};

/** Why a cluster could not be built. */
export interface BuildError {
  readonly field: keyof ClusterSpec;
  readonly message: string;
}

/** The spec read and checked, with every default filled in. */
export interface Layout {
  readonly spec: ClusterSpec;
  readonly nodeCount: number;
  readonly pods: readonly number[];
  /** Pod CIDR per node (Calico: the pool, the same for every node). */
  readonly cidrs: readonly Prefix[];
  readonly cluster: Prefix;
  readonly underlay: Prefix;
  readonly mtu: number;
}

/** A node's part of a scenario, as a mode builds it. */
export interface NodeParts {
  readonly node: NodeDoc;
  readonly namespace: NamespaceDoc;
}

/** The infrastructure of a cluster before its pods: what a mode builder returns. */
export interface Infrastructure {
  readonly segments: readonly SegmentDoc[];
  readonly nodes: readonly NodeParts[];
  /** Routers and other namespaces that are not nodes. */
  readonly others: readonly NamespaceDoc[];
  /** The address each pod gets, by node, when the mode's IPAM decides it (else host-local). */
  readonly podIps?: readonly (readonly Addr[])[];
}

/**
 * A networking mode as one declarative builder: its defaults and how it
 * lays out nodes, devices and routes. How pods attach (bridge port or
 * routed veth) follows from the nodes it makes (`NodeDoc.bridge`).
 */
export interface ModeBuilder {
  /** Default number of nodes, and the only one allowed when `fixedNodes`. */
  readonly defaultNodes: number;
  readonly fixedNodes?: boolean;
  readonly defaultPods: number;
  /** The default pod CIDR of node `i` (for a mode with one pool: the pool). */
  readonly defaultCidr: (i: number) => string;
  /** One IP pool for the cluster (`podCidrs` has one entry) instead of a CIDR per node. */
  readonly onePool?: boolean;
  /** The underlay when the spec names none (default 192.168.0.0/24). */
  readonly defaultUnderlay?: string;
  /** The nodes, their namespaces, segments and other namespaces. */
  readonly build: (layout: Layout) => Infrastructure | BuildError;
  /** A last edit on the world with its pods (port mappings). */
  readonly finish?: (world: World, layout: Layout) => World;
}

/** `node-1`, `node-2`, ... */
export function nodeName(i: number): string {
  return `node-${i + 1}`;
}

/** Node `i`'s underlay address: host number 11 + i. */
export function nodeIp(layout: Layout, i: number): Addr {
  return layout.underlay.first.add(11 + i)!;
}

/** A node's underlay NIC `eth0` with its address. */
export function underlayNic(layout: Layout, i: number, segment = "underlay"): DeviceDoc {
  return {
    name: "eth0",
    kind: "nic",
    segment,
    mtu: layout.mtu,
    addresses: [`${nodeIp(layout, i)}/${layout.underlay.bits}`],
  };
}
