/**
 * The compact cluster ("fabric") the verifier works on: node and router
 * namespaces ("hosts") as small records whose route, neighbour and VXLAN
 * FDB tables are a SHARED base table plus a few entries of their own, and
 * pods as typed arrays. It can be derived from any kernel {@linkcode World}
 * ({@linkcode fabricFromWorld}) or generated directly for large host-gw and
 * VXLAN clusters ({@linkcode generateFabric}) without building a world.
 *
 * Its semantics are the kernel's: a host's effective routing table is its
 * own routes plus the base routes it has not removed — exactly the table
 * the world's namespace holds — and the evaluator (`evaluate.ts`) follows
 * the tracer's order of checks on it.
 *
 * Pods whose namespace is not the standard one a CNI plugin creates (lo,
 * eth0 on a veth into a node bridge, a connected route and a default
 * route — with, as flannel configures it, a route to the cluster network
 * through the same gateway — no rules, ip_forward off) are marked `odd`: every pair involving
 * them is decided by the real tracer. Worlds with something the compact
 * form cannot express at all (a veth between two hosts, a bridged NIC, a
 * bridge with static FDB entries, duplicate MACs, ...) get an `irregular`
 * reason, and then every pair is traced.
 *
 * @module
 */
import { Addr, maskOf, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import type { IfaceMatch } from "../forward/rules.js";
import { isPlainRule } from "../forward/netfilter.js";
import { defaultMac } from "../world/names.js";
import { type CalicoGenerated, generateCalico } from "./generate-calico.js";
import { isPodRoute, readRoutedPod, type RoutedPod, routedPorts, routedProblem } from "./routed.js";
import { deviceAt, namespaceNamed, nodeNamed, podIp, podNamed } from "../world/query.js";
import type {
  Device,
  Namespace,
  Neighbour,
  Route,
  Rule,
  RuleTarget,
  World,
} from "../model/world.js";

/** `-1` stands for "none" in the numeric address fields below. */
export const NONE = -1;
/** A route `src` meaning "this host's own address on the route's device". */
export const OWN_SRC = -2;

/** Route types, as in `ip route`. */
export type FRouteType = Route["type"];

/** A route in compact form. Addresses are unsigned 32-bit integers. */
export interface FRoute {
  readonly type: FRouteType;
  readonly dst: number;
  readonly bits: number;
  readonly metric: number;
  /** Gateway, or {@linkcode NONE}. */
  readonly via: number;
  /** Output device name ("" when none). */
  readonly dev: string;
  readonly onlink: boolean;
  /** Preferred source, {@linkcode NONE}, or {@linkcode OWN_SRC}. */
  readonly src: number;
  readonly kernel: boolean;
}

/** An `ip neigh` entry in compact form. */
export interface FNeighbour {
  readonly addr: number;
  readonly dev: string;
  readonly mac: number;
}

/** A VXLAN FDB entry of the device `dev`. */
export interface FFdb {
  readonly dev: string;
  readonly mac: number;
  readonly dst: number;
}

/** An address with its prefix length. */
export interface FAddress {
  readonly addr: number;
  readonly bits: number;
}

/** A host device (bridge ports, the pods' host veths, are kept with the pods). */
export interface FDevice {
  readonly name: string;
  /** `veth`: the host ends of a node's routed pods, as one device (`routed.ts`). */
  readonly kind: "loopback" | "nic" | "bridge" | "vxlan" | "ipip" | "veth";
  readonly up: boolean;
  readonly mtu: number;
  readonly mac: number;
  readonly addresses: readonly FAddress[];
  /** Underlay segment of a NIC. */
  readonly segment?: string;
  /** VXLAN: VNI, `dstport`, `local` ({@linkcode NONE} when unset), underlay `dev`. */
  readonly vni?: number;
  readonly dstport?: number;
  /** VXLAN and IP in IP: the tunnel's local end ({@linkcode NONE} when unset). */
  readonly local?: number;
  /** IP in IP: the tunnel's remote end ({@linkcode NONE} when unset). */
  readonly remote?: number;
  readonly via?: string;
  /** Bridge or routed veths: its forwarding domain (an index into {@linkcode Fabric.domains}). */
  readonly domain?: number;
}

/** `-i`/`-o NAME` compiled: `eth+` matches by prefix. */

/** A netfilter rule in compact form (numeric matches). */
export interface FRule {
  readonly table: "nat" | "filter";
  readonly chain: Rule["chain"];
  readonly src?: { readonly base: number; readonly mask: number; readonly negate: boolean };
  readonly dst?: { readonly base: number; readonly mask: number; readonly negate: boolean };
  readonly inIface?: IfaceMatch;
  readonly outIface?: IfaceMatch;
  readonly proto?: "icmp" | "udp" | "tcp";
  readonly sport?: number;
  readonly dport?: number;
  readonly target: RuleTarget["kind"];
  /** SNAT/DNAT address. */
  readonly to: number;
  readonly text: string;
}

/** A node or router namespace. */
export interface FHost {
  readonly name: string;
  readonly role: "node" | "router";
  readonly devices: readonly FDevice[];
  readonly ipForward: boolean;
  readonly defaultTtl: number;
  readonly rules: readonly FRule[];
  readonly forwardPolicy: "ACCEPT" | "DROP";
  /** Routes of this host that are not in the base table. */
  readonly ownRoutes: readonly FRoute[];
  /** Base routes (indexes into {@linkcode Fabric.baseRoutes}) this host does not have. */
  readonly removedRoutes: ReadonlySet<number>;
  readonly ownNeighbours: readonly FNeighbour[];
  readonly removedNeighbours: ReadonlySet<number>;
  readonly ownFdb: readonly FFdb[];
  readonly removedFdb: ReadonlySet<number>;
  /**
   * Why the compact form cannot follow packets through this host (a bridge
   * with static FDB entries, a veth that is not a pod's bridge port, ...):
   * every path that enters it, and every pod on its bridges, is traced.
   */
  readonly opaque?: string;
}

/**
 * A bridge and the pods on its ports, in port order; or (`routed`) a
 * node's routed pods, whose host ends the fabric keeps as one `veth`
 * device named `bridge`.
 */
export interface FDomain {
  readonly host: number;
  readonly bridge: string;
  /** Pod indexes in port order. */
  readonly pods: readonly number[];
  readonly routed?: boolean;
}

/** An underlay segment and its NICs, in the world's order. */
export interface FSegment {
  readonly name: string;
  readonly mtu: number;
  readonly members: readonly { readonly host: number; readonly dev: string }[];
}

/** Pods as parallel typed arrays (index = pod number). */
export interface FPods {
  readonly count: number;
  readonly ip: Uint32Array;
  /** Host of the bridge the pod's veth is plugged into (-1 for odd pods that have none). */
  readonly host: Int32Array;
  /** Bridge domain (-1 when none). */
  readonly domain: Int32Array;
  /** The pod's subnet (its eth0 prefix) and its length; bits 32 = no connected route. */
  readonly subnet: Uint32Array;
  readonly subnetBits: Uint8Array;
  /** Default gateway. */
  readonly gateway: Uint32Array;
  /** `net.ipv4.ip_default_ttl` of the pod. */
  readonly ttl: Uint8Array;
  /** 1 when the pod's namespace is not the standard one (pairs are traced). */
  readonly odd: Uint8Array;
  /** 1 when the pod can answer ARP on its bridge (host veth and eth0 up). */
  readonly up: Uint8Array;
  /** Kubernetes node index of the pod (for the node matrix). */
  readonly node: Int32Array;
  /** Routed pods: 1 when the node holds the pod's `/32` route to its host end. */
  readonly hostRoute: Uint8Array;
  /** Routed pods: 1 when `proxy_arp` is on for the pod's host end. */
  readonly proxyArp: Uint8Array;
  /** The pod's name. */
  readonly name: (i: number) => string;
  /** The pod's MAC (computed when needed). */
  readonly mac: (i: number) => number;
}

/** A compact cluster. */
export interface Fabric {
  readonly name: string;
  readonly hosts: readonly FHost[];
  readonly hostIndex: ReadonlyMap<string, number>;
  readonly segments: ReadonlyMap<string, FSegment>;
  readonly domains: readonly FDomain[];
  readonly baseRoutes: readonly FRoute[];
  readonly baseNeighbours: readonly FNeighbour[];
  readonly baseFdb: readonly FFdb[];
  readonly pods: FPods;
  /** Kubernetes nodes, by name, with their host. */
  readonly nodes: readonly { readonly name: string; readonly host: number }[];
  /** The world this fabric was derived from (needed for traced pairs and witnesses). */
  readonly world?: World;
  /** Why the compact form cannot express this world; then every pair is traced. */
  readonly irregular?: string;
}

// --- conversions -----------------------------------------------------------------

/**
 * Converts a kernel route to compact form.
 *
 * @param r The route.
 * @param ns Its namespace: a `src` that is the namespace's own address on the
 *   route's device (a connected route's) becomes {@linkcode OWN_SRC}, so the
 *   route can be shared between hosts.
 * @returns The compact route.
 * @example
 * ```ts
 * import { compactRoute } from "./fabric.js";
 * declare const ns: import("../model/world.js").Namespace;
 * ns.routes.map((r) => compactRoute(r, ns));
 * ```
 */
export function compactRoute(r: Route, ns?: Namespace): FRoute {
  let src: number = r.src ? r.src.value : NONE;
  if (r.src && ns) {
    const dev = ns.devices.find((d) => d.name === r.dev);
    if (dev?.addresses.some((a) => a.addr === r.src && a.contains(r.dst.addr))) src = OWN_SRC;
  }
  return {
    type: r.type,
    dst: r.dst.addr.value,
    bits: r.dst.bits,
    metric: r.metric,
    via: r.via ? r.via.value : NONE,
    dev: r.dev ?? "",
    onlink: r.onlink,
    src,
    kernel: r.proto === "kernel",
  };
}

/**
 * A key that is equal for routes that behave the same on any host (what
 * the base table is deduplicated by).
 *
 * @param r The compact route.
 * @returns The key.
 * @example
 * ```ts
 * import { generateFabric, routeKey } from "./mod.js";
 * import { unwrap } from "../result.js";
 * unwrap(generateFabric({ mode: "host-gw", nodes: 2, podsPerNode: 1 }), (e) => e.message).baseRoutes.map(routeKey);
 * ```
 */
export function routeKey(r: FRoute): string {
  return `${r.type} ${r.dst}/${r.bits} m${r.metric} v${r.via} d${r.dev} ${
    r.onlink ? "o" : ""
  } s${r.src} ${r.kernel ? "k" : ""}`;
}

function neighbourKey(n: FNeighbour): string {
  return `${n.addr} ${n.dev} ${n.mac}`;
}

function fdbKey(e: FFdb): string {
  return `${e.dev} ${e.mac} ${e.dst}`;
}

/**
 * Compiles an iptables rule to numeric matches.
 *
 * @param r The kernel's rule.
 * @returns The compact rule.
 * @example
 * ```ts
 * import { parseIptables } from "../syntax/mod.js";
 * import { compactRule } from "./fabric.js";
 * const line = parseIptables("-A FORWARD -d 10.244.2.0/24 -j DROP");
 * if (line.ok && line.value.kind === "rule") compactRule(line.value).dst; // { base, mask, negate }
 * ```
 */
export function compactRule(r: Rule): FRule {
  const m = r.match;
  const pfx = (p: { prefix: Prefix; negate: boolean } | undefined) =>
    p === undefined ? undefined : {
      base: (p.prefix.addr.value & p.prefix.mask) >>> 0,
      mask: p.prefix.mask,
      negate: p.negate,
    };
  const t = r.target;
  return {
    table: r.table,
    chain: r.chain,
    src: pfx(m.src),
    dst: pfx(m.dst),
    inIface: m.inIface,
    outIface: m.outIface,
    proto: m.proto,
    sport: m.sport,
    dport: m.dport,
    target: t.kind,
    to: t.kind === "SNAT" || t.kind === "DNAT" ? t.to.value : NONE,
    text: r.text,
  };
}

const SPECIAL = [
  Prefix.mustParse("0.0.0.0/8"),
  Prefix.mustParse("127.0.0.0/8"),
  Prefix.mustParse("224.0.0.0/4"),
  Prefix.mustParse("255.255.255.255/32"),
];

/**
 * Whether an address is one the compact form refuses on pods and
 * non-loopback devices: 0.0.0.0/8, 127.0.0.0/8, multicast, 240.0.0.0/4
 * and broadcast.
 *
 * @param v The address as an unsigned 32-bit integer.
 * @returns True for those.
 * @example
 * ```ts
 * import { isSpecial } from "./fabric.js";
 * isSpecial(0x7f000001); // true: 127.0.0.1
 * ```
 */
export function isSpecial(v: number): boolean {
  return SPECIAL.some((p) => ((v ^ p.addr.value) & p.mask) === 0) || v >>> 28 === 0xf;
}

// --- from a world ------------------------------------------------------------------

interface PodInfo {
  readonly name: string;
  readonly ip: number;
  readonly host: number;
  domain: number;
  readonly subnet: number;
  readonly subnetBits: number;
  readonly gateway: number;
  readonly ttl: number;
  odd: boolean;
  readonly up: boolean;
  readonly node: number;
  readonly mac: number;
  /** A standard routed pod's facts (`routed.ts`). */
  readonly routed?: RoutedPod;
  /** The host end of a routed pod. */
  readonly port?: string;
}

/**
 * Derives the compact form of a world. Routes, neighbours and FDB entries
 * that at least two hosts share go to the base tables; the rest are the
 * hosts' own. Every host's effective table equals its namespace's table.
 *
 * @param world The world.
 * @returns The fabric (with `irregular` set when the compact form cannot express it).
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { fabricFromWorld } from "./fabric.js";
 * const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3 }), (e) => e.message);
 * fabricFromWorld(world).hosts.length; // 3
 * ```
 */
export function fabricFromWorld(world: World): Fabric {
  // Problems of the whole world (everything is traced) and of single hosts
  // (paths through them and their pods are traced).
  const problems: string[] = [];
  const opaque = new Map<string, string>();
  const hostProblem = (namespace: string, why: string) => {
    if (!opaque.has(namespace)) opaque.set(namespace, why);
  };
  const hostNs = world.namespaces.filter((n) => n.role !== "pod");
  for (const ns of hostNs) {
    if (!ns.netfilter.rules.every(isPlainRule)) {
      hostProblem(ns.name, "iptables user chains or kube-proxy matches");
    }
  }
  const hostIndex = new Map(hostNs.map((n, i) => [n.name, i]));
  const podOfNs = new Map<string, string>();
  for (const p of world.pods) if (p.namespace) podOfNs.set(p.namespace, p.name);
  const liveNames = new Set(
    world.pods.filter((p) => p.namespace && podIp(world, p)).map((p) => p.name),
  );
  const liveOfNs = new Map([...podOfNs].filter(([, pod]) => liveNames.has(pod)));
  const routedPortsOf = hostNs.map((ns) => routedPorts(world, ns, liveOfNs));

  // Pods first (domains need them).
  const pods: PodInfo[] = [];
  const domains: { host: number; bridge: string; pods: number[]; routed?: boolean }[] = [];
  const domainOf = new Map<string, number>();
  const macs = new Map<number, string>();
  const seeMac = (mac: number, what: string) => {
    if (mac === 0) return;
    const prev = macs.get(mac);
    if (prev !== undefined) problems.push(`MAC shared by ${prev} and ${what}`);
    else macs.set(mac, what);
  };
  hostNs.forEach((ns, h) => {
    for (const d of ns.devices) {
      if (d.kind === "bridge") {
        domainOf.set(`${ns.name}/${d.name}`, domains.length);
        domains.push({ host: h, bridge: d.name, pods: [] });
      }
    }
  });
  const nodeIndexOfNs = new Map(world.nodes.map((n, i) => [n.namespace, i]));
  const hostLocal = new Set<number>();
  for (const ns of hostNs) {
    for (const d of ns.devices) {
      if (d.up && d.kind !== "loopback") {
        for (const a of d.addresses) hostLocal.add(a.addr.value);
      }
    }
  }
  const podIndexByName = new Map<string, number>();
  // Pods in world.pods order, so pod numbers follow the pair-by-pair order.
  for (const pod of world.pods) {
    if (!liveNames.has(pod.name)) continue;
    const ns = namespaceNamed(world, pod.namespace!)!;
    const info = readPod(
      world,
      ns,
      pod.name,
      hostIndex,
      domainOf,
      nodeIndexOfNs,
      hostLocal,
      problems,
      hostProblem,
    );
    podIndexByName.set(pod.name, pods.length);
    pods.push(info);
  }
  const routedNames = routedPortsOf.map((list) => new Set(list.map((r) => r.port.name)));
  // Port order of every bridge.
  hostNs.forEach((ns, h) => {
    for (const d of ns.devices) {
      if (d.kind !== "veth" || routedNames[h].has(d.name)) continue;
      const peerPod = podOfNs.get(d.peer.namespace);
      const ix = peerPod === undefined ? undefined : podIndexByName.get(peerPod);
      if (d.master === undefined || ix === undefined) {
        const why = `${ns.name}/${d.name} is a veth that is not a pod's bridge port`;
        hostProblem(ns.name, why);
        if (hostIndex.has(d.peer.namespace)) hostProblem(d.peer.namespace, why);
        continue;
      }
      const dom = domainOf.get(`${ns.name}/${d.master}`);
      if (dom === undefined || domains[dom].host !== h) continue;
      domains[dom].pods.push(ix);
    }
  });
  // Routed pods: one domain and one `veth` device per node; their `/32`
  // routes leave the table (the domain stands for them).
  const implicit = new Set<Route>();
  const routedDevice = new Map<number, FDevice>();
  hostNs.forEach((ns, h) => {
    const members = routedPortsOf[h].filter((r) => {
      const ix = podIndexByName.get(r.pod);
      return ix !== undefined && !pods[ix].odd && pods[ix].routed !== undefined;
    });
    if (members.length === 0) return;
    for (const m of members) {
      const p = pods[podIndexByName.get(m.pod)!];
      for (const r of ns.routes) {
        if (isPodRoute(r, Addr.fromUint32(p.ip), m.port.name)) implicit.add(r);
      }
    }
    const why = routedProblem(ns, members, implicit);
    if (why !== undefined) hostProblem(ns.name, why);
    const domain = domains.length;
    const list = members.map((m) => podIndexByName.get(m.pod)!);
    domains.push({ host: h, bridge: members[0].port.name, pods: list, routed: true });
    for (const x of list) pods[x].domain = domain;
    routedDevice.set(h, {
      name: members[0].port.name,
      kind: "veth",
      up: true,
      mtu: Math.min(...members.map((m) => m.port.mtu)),
      mac: members[0].port.mac.value,
      addresses: [],
      domain,
    });
  });
  // Proxy ARP is modelled on routed host ends only.
  for (const ns of hostNs) {
    const ports = new Set(routedPortsOf[hostIndex.get(ns.name)!].map((r) => r.port.name));
    for (const d of ns.sysctl.proxyArp ?? []) {
      if (!ports.has(d)) problems.push(`${ns.name} answers ARP by proxy on ${d}`);
    }
  }
  // Pods whose address is a routed pod's gateway would answer for it.
  const gateways = new Set(pods.filter((p) => p.routed).map((p) => p.gateway));
  for (const p of pods) if (gateways.has(p.ip)) p.odd = true;

  // Base tables: entries two or more hosts share.
  const routeCount = new Map<string, { r: FRoute; n: number }>();
  const neighCount = new Map<string, { e: FNeighbour; n: number }>();
  const fdbCount = new Map<string, { e: FFdb; n: number }>();
  const hostRoutes = hostNs.map((ns) =>
    ns.routes.filter((r) => !implicit.has(r)).map((r) => compactRoute(r, ns))
  );
  const hostNeigh = hostNs.map((ns) => ns.neighbours.map(compactNeighbour));
  const hostFdb = hostNs.map((ns) =>
    ns.devices.flatMap((d) =>
      d.kind === "vxlan"
        ? d.fdb.map((e) => ({ dev: d.name, mac: e.mac.value, dst: e.dst.value }))
        : []
    )
  );
  const bump = <T>(m: Map<string, { n: number } & T>, k: string, v: T) => {
    const x = m.get(k);
    if (x) x.n++;
    else m.set(k, { ...v, n: 1 });
  };
  hostRoutes.forEach((rs) => rs.forEach((r) => bump(routeCount, routeKey(r), { r })));
  hostNeigh.forEach((es) => es.forEach((e) => bump(neighCount, neighbourKey(e), { e })));
  hostFdb.forEach((es) => es.forEach((e) => bump(fdbCount, fdbKey(e), { e })));
  const baseRoutes = [...routeCount.values()].filter((x) => x.n >= 2).map((x) => x.r);
  const baseNeighbours = [...neighCount.values()].filter((x) => x.n >= 2).map((x) => x.e);
  const baseFdb = [...fdbCount.values()].filter((x) => x.n >= 2).map((x) => x.e);
  const baseRouteIx = new Map(baseRoutes.map((r, i) => [routeKey(r), i]));
  const baseNeighIx = new Map(baseNeighbours.map((e, i) => [neighbourKey(e), i]));
  const baseFdbIx = new Map(baseFdb.map((e, i) => [fdbKey(e), i]));

  // A namespace without a live pod that is plugged into a host bridge makes
  // that host opaque (above); one that is not plugged in reaches nobody.
  for (const ns of world.namespaces) {
    // A routed host end's MAC is only seen on its own point-to-point link
    // (Calico gives every one ee:ee:ee:ee:ee:ee).
    const h = hostIndex.get(ns.name);
    for (const d of ns.devices) {
      if (h !== undefined && routedNames[h].has(d.name)) continue;
      seeMac(d.mac.value, `${ns.name}/${d.name}`);
    }
    // Only the tracer stops where a packet meets what the model does not model.
    if (ns.unmodelled?.length) problems.push(`${ns.name} has state podnet does not model`);
  }

  const hosts: FHost[] = hostNs.map((ns, h) => {
    for (const d of ns.devices) checkHostDevice(ns, d, problems, hostProblem);
    const keys = new Set<string>();
    for (const r of ns.routes) {
      const k = `${r.dst}|${r.metric}`;
      if (keys.has(k)) {
        hostProblem(ns.name, `${ns.name}: two routes to ${r.dst} with metric ${r.metric}`);
      }
      keys.add(k);
    }
    const own = hostRoutes[h];
    const ownKeys = new Set(own.map(routeKey));
    const removedRoutes = new Set<number>();
    baseRoutes.forEach((r, i) => {
      if (!ownKeys.has(routeKey(r))) removedRoutes.add(i);
    });
    const ownNeighKeys = new Set(hostNeigh[h].map(neighbourKey));
    const removedNeighbours = new Set<number>();
    baseNeighbours.forEach((e, i) => {
      if (!ownNeighKeys.has(neighbourKey(e))) removedNeighbours.add(i);
    });
    const ownFdbKeys = new Set(hostFdb[h].map(fdbKey));
    const removedFdb = new Set<number>();
    baseFdb.forEach((e, i) => {
      if (!ownFdbKeys.has(fdbKey(e))) removedFdb.add(i);
    });
    return {
      name: ns.name,
      role: ns.role === "router" ? "router" : "node",
      devices: [
        ...ns.devices.filter((d) => d.kind !== "veth").map((d) =>
          compactDevice(d, domainOf.get(`${ns.name}/${d.name}`))
        ),
        ...(routedDevice.has(h) ? [routedDevice.get(h)!] : []),
      ],
      ipForward: ns.sysctl.ipForward,
      defaultTtl: ns.sysctl.defaultTtl,
      rules: ns.netfilter.rules.map(compactRule),
      forwardPolicy: ns.netfilter.forwardPolicy,
      ownRoutes: own.filter((r) => !baseRouteIx.has(routeKey(r))),
      removedRoutes,
      ownNeighbours: hostNeigh[h].filter((e) => !baseNeighIx.has(neighbourKey(e))),
      removedNeighbours,
      ownFdb: hostFdb[h].filter((e) => !baseFdbIx.has(fdbKey(e))),
      removedFdb,
      opaque: opaque.get(ns.name),
    };
  });
  // Pods on an opaque host are traced.
  for (const p of pods) if (p.host >= 0 && hosts[p.host].opaque !== undefined) p.odd = true;

  const segments = new Map<string, FSegment>();
  for (const s of world.segments) {
    const members: { host: number; dev: string }[] = [];
    for (const ns of world.namespaces) {
      for (const d of ns.devices) {
        if (d.kind !== "nic" || d.segment !== s.name) continue;
        const h = hostIndex.get(ns.name);
        if (h === undefined) problems.push(`${ns.name}/${d.name}: a pod with a NIC`);
        else members.push({ host: h, dev: d.name });
      }
    }
    segments.set(s.name, { name: s.name, mtu: s.mtu, members });
  }

  return {
    name: world.name,
    hosts,
    hostIndex,
    segments,
    domains,
    baseRoutes,
    baseNeighbours,
    baseFdb,
    pods: podTable(pods),
    nodes: world.nodes.map((n) => ({ name: n.name, host: hostIndex.get(n.namespace) ?? -1 })),
    world,
    irregular: problems.length > 0 ? problems[0] : undefined,
  };
}

function compactNeighbour(n: Neighbour): FNeighbour {
  return { addr: n.addr.value, dev: n.dev, mac: n.mac.value };
}

/**
 * A host device in compact form (bridge ports are not host devices).
 *
 * @param d The device.
 * @param domain The bridge's domain index, for a bridge.
 * @returns The compact device.
 * @example
 * ```ts
 * import { compactDevice } from "./fabric.js";
 * declare const ns: import("../model/world.js").Namespace;
 * ns.devices.filter((d) => d.kind !== "veth").map((d) => compactDevice(d, undefined));
 * ```
 */
export function compactDevice(d: Device, domain: number | undefined): FDevice {
  const base = {
    name: d.name,
    up: d.up,
    mtu: d.mtu,
    mac: d.mac.value,
    addresses: d.addresses.map((a) => ({ addr: a.addr.value, bits: a.bits })),
  };
  switch (d.kind) {
    case "loopback":
      return { ...base, kind: "loopback" };
    case "nic":
      return { ...base, kind: "nic", segment: d.segment };
    case "bridge":
      return { ...base, kind: "bridge", domain };
    case "vxlan":
      return {
        ...base,
        kind: "vxlan",
        vni: d.vni,
        dstport: d.dstport,
        local: d.local ? d.local.value : NONE,
        via: d.dev,
      };
    case "ipip":
      return {
        ...base,
        kind: "ipip",
        local: d.local ? d.local.value : NONE,
        remote: d.remote ? d.remote.value : NONE,
      };
    case "veth":
      throw new Error(`Bridge port ${d.namespace}/${d.name} is not a host device`);
  }
}

function checkHostDevice(
  ns: Namespace,
  d: Device,
  problems: string[],
  hostProblem: (namespace: string, why: string) => void,
) {
  const where = `${ns.name}/${d.name}`;
  // A bridged NIC carries the underlay's ARP floods into a bridge: the whole world is affected.
  if (d.kind === "nic" && d.master !== undefined) problems.push(`${where} is a bridge port`);
  else if (d.kind !== "veth" && d.master !== undefined) {
    hostProblem(ns.name, `${where} is a bridge port`);
  }
  if (d.kind === "bridge" && d.fdb.length > 0) {
    hostProblem(ns.name, `${where} has static FDB entries`);
  }
  // A learning VXLAN device drops frames from a MAC its permanent entries
  // put behind another VTEP (forward/layer2.ts `vxlanRefuses`): the outcome
  // depends on who sent the frame, so the paths into this host are traced.
  if (d.kind === "vxlan" && d.learning && d.fdb.some((e) => e.mac.value !== 0)) {
    hostProblem(ns.name, `${where} learns with permanent FDB entries`);
  }
  if (d.kind === "veth") return;
  for (const a of d.addresses) {
    if (d.kind === "loopback" ? !a.addr.isLoopback() : isSpecial(a.addr.value)) {
      problems.push(`${where} has the special address ${a}`);
    }
  }
}

function readPod(
  world: World,
  ns: Namespace,
  name: string,
  hostIndex: ReadonlyMap<string, number>,
  domainOf: ReadonlyMap<string, number>,
  nodeIndexOfNs: ReadonlyMap<string, number>,
  hostLocal: ReadonlySet<number>,
  problems: string[],
  hostProblem: (namespace: string, why: string) => void,
): PodInfo {
  const pod = podNamed(world, name)!;
  const ip = podIp(world, pod)!;
  const podNode = nodeNamed(world, pod.node)?.namespace ?? "";
  const eth0 = ns.devices.find((d) => d.name === "eth0");
  let odd = false;
  // Local addresses of the pod: exactly its IP plus loopback ranges, else the
  // compact form cannot tell who answers ARP on its bridge (its host is then opaque).
  let unusual: string | undefined;
  for (const d of ns.devices) {
    for (const a of d.addresses) {
      if (d.kind === "loopback" ? !a.addr.isLoopback() : a.addr !== ip) {
        unusual ??= `Pod namespace ${ns.name} has the extra address ${a}`;
      }
    }
    if (d.kind !== "loopback" && d.kind !== "veth") {
      unusual ??= `Pod namespace ${ns.name} has a ${d.kind} device`;
    }
    if (d.kind === "veth" && d !== eth0) unusual ??= `Pod namespace ${ns.name} has two veths`;
    if (d.kind === "loopback" && (!d.up || d.addresses.length !== 1)) odd = true;
  }
  if (isSpecial(ip.value)) problems.push(`Pod ${name} has the special address ${ip}`);
  let host = -1;
  let domain = -1;
  let up = false;
  let mac = 0;
  let routed: RoutedPod | undefined;
  let port: string | undefined;
  if (eth0?.kind === "veth" && eth0.addresses.length === 1) {
    mac = eth0.mac.value;
    const peer = deviceAt(world, eth0.peer);
    host = hostIndex.get(eth0.peer.namespace) ?? -1;
    if (host >= 0 && peer?.kind === "veth" && peer.master === undefined) {
      // A routed pod (Calico): no bridge, a /32, proxy ARP on the host end.
      const node = namespaceNamed(world, eth0.peer.namespace)!;
      const facts = readRoutedPod(node, ns, peer, ip);
      if (typeof facts === "string") odd = true;
      else routed = facts;
      port = peer.name;
      up = true;
    } else if (host < 0 || peer === undefined || peer.master === undefined) {
      // Not on a host bridge: the pod reaches no bridge the compact form models.
      odd = true;
    } else {
      domain = domainOf.get(`${eth0.peer.namespace}/${peer.master}`) ?? -1;
      up = eth0.up && peer.up;
      if (!eth0.up || !peer.up || eth0.mtu < 84 || peer.mtu < 84) odd = true;
    }
  } else {
    odd = true;
    const peer = eth0?.kind === "veth" ? eth0.peer.namespace : undefined;
    if (peer !== undefined && hostIndex.has(peer)) {
      unusual ??= `Pod ${name} has no eth0 veth with one address`;
    }
  }
  if (unusual !== undefined) {
    odd = true;
    for (const d of ns.devices) {
      if (d.kind === "veth" && hostIndex.has(d.peer.namespace)) {
        hostProblem(d.peer.namespace, unusual);
      }
    }
  }
  const a = eth0?.addresses[0];
  const subnetBits = routed ? 32 : a ? a.bits : 32;
  const subnet = a ? (ip.value & maskOf(subnetBits)) >>> 0 : ip.value;
  // The standard table: the connected route (unless /32) and one default route.
  const connected = ns.routes.filter((r) => r.proto === "kernel");
  const statics = ns.routes.filter((r) => r.proto !== "kernel");
  const def = statics.find((r) => r.dst.bits === 0) ?? statics[0];
  const stdConnected = subnetBits === 32
    ? connected.length === 0
    : connected.length === 1 && connected[0].dev === "eth0" && connected[0].metric === 0 &&
      connected[0].dst.bits === subnetBits && connected[0].dst.addr.value === subnet &&
      connected[0].type === "unicast";
  const stdDefault = def !== undefined && def.type === "unicast" && def.dst.bits === 0 &&
    def.metric === 0 && def.dev === "eth0" && def.via !== undefined && def.src === undefined &&
    def.via !== ip &&
    // Besides it, only routes that send their destinations where the default
    // route would (flannel's cluster route, `10.244.0.0/16 via 10.244.1.1`):
    // the same gateway and device, and none inside the pod's own subnet,
    // where it would win over the connected route.
    statics.every((r) =>
      r === def ||
      (r.type === "unicast" && r.via === def.via && r.dev === "eth0" && r.src === undefined &&
        !r.onlink &&
        !(r.dst.bits > subnetBits && ((r.dst.addr.value & maskOf(subnetBits)) >>> 0) === subnet))
    );
  // A routed pod's table was checked by readRoutedPod.
  if (routed === undefined && (!stdConnected || !stdDefault)) odd = true;
  if (ns.neighbours.length > 0 || ns.netfilter.rules.length > 0 || ns.sysctl.ipForward) odd = true;
  // A pod holding a host's address is a martian source there: trace it.
  if (hostLocal.has(ip.value)) odd = true;
  return {
    name,
    ip: ip.value,
    host,
    domain,
    subnet,
    subnetBits,
    gateway: routed ? routed.gateway : def?.via ? def.via.value : 0,
    ttl: ns.sysctl.defaultTtl,
    odd: odd || (routed === undefined && domain < 0),
    up,
    node: nodeIndexOfNs.get(podNode) ?? -1,
    mac,
    routed,
    port,
  };
}

function podTable(pods: readonly PodInfo[]): FPods {
  const n = pods.length;
  const t = {
    count: n,
    ip: new Uint32Array(n),
    host: new Int32Array(n),
    domain: new Int32Array(n),
    subnet: new Uint32Array(n),
    subnetBits: new Uint8Array(n),
    gateway: new Uint32Array(n),
    ttl: new Uint8Array(n),
    odd: new Uint8Array(n),
    up: new Uint8Array(n),
    node: new Int32Array(n),
    hostRoute: new Uint8Array(n),
    proxyArp: new Uint8Array(n),
  };
  pods.forEach((p, i) => {
    t.ip[i] = p.ip;
    t.host[i] = p.host;
    t.domain[i] = p.domain;
    t.subnet[i] = p.subnet;
    t.subnetBits[i] = p.subnetBits;
    t.gateway[i] = p.gateway;
    t.ttl[i] = p.ttl;
    t.odd[i] = p.odd ? 1 : 0;
    t.up[i] = p.up ? 1 : 0;
    t.node[i] = p.node;
    t.hostRoute[i] = p.routed?.hostRoute ? 1 : 0;
    t.proxyArp[i] = p.routed?.proxyArp ? 1 : 0;
  });
  return { ...t, name: (i) => pods[i].name, mac: (i) => pods[i].mac };
}

// --- generated clusters --------------------------------------------------------------

/** What {@linkcode generateFabric} builds. */
export interface GenerateSpec {
  readonly mode: "host-gw" | "vxlan" | CalicoGenerated;
  readonly nodes: number;
  readonly podsPerNode: number;
}

/** Why a cluster could not be generated: the field and what is wrong with it. */
export interface GenerateError {
  readonly field: keyof GenerateSpec;
  readonly message: string;
}

/**
 * Generates the compact form of a flannel-style host-gw or VXLAN cluster
 * (or a `calico-bgp` / `calico-vxlan` one: see `generate-calico.ts`)
 * directly, laid out exactly as `buildWorld` lays it out (node N has
 * 10.244.N.0/24 and 192.168.0.(10+N)), but without building a world: one
 * shared route table, per-node records, pods in typed arrays. Past 254
 * nodes the cluster range is 10.0.0.0/8 (node N has 10.(N >> 8).(N & 255).0/24)
 * and past 200 nodes the underlay is 192.168.0.0/16.
 *
 * @param spec Mode, node count (1 to 50,000) and pods per node (0 to 250).
 * @returns The fabric, or the field of the spec that is out of range.
 * @example
 * ```ts
 * import { generateFabric } from "./fabric.js";
 * const f = generateFabric({ mode: "vxlan", nodes: 100, podsPerNode: 30 });
 * if (f.ok) f.value.pods.count; // 3000
 * generateFabric({ mode: "vxlan", nodes: 0, podsPerNode: 30 }); // { ok: false, error: { field: "nodes", ... } }
 * ```
 */
export function generateFabric(spec: GenerateSpec): Result<Fabric, GenerateError> {
  const n = spec.nodes;
  const k = spec.podsPerNode;
  const modes = ["host-gw", "vxlan", "calico-bgp", "calico-ipip", "calico-vxlan"];
  if (!modes.includes(spec.mode)) {
    return err({ field: "mode", message: `Mode must be one of ${modes.join(", ")}` });
  }
  if (!Number.isInteger(n) || n < 1 || n > 50000) {
    return err({ field: "nodes", message: "Nodes must be a whole number from 1 to 50,000" });
  }
  if (!Number.isInteger(k) || k < 0 || k > 250) {
    return err({
      field: "podsPerNode",
      message: "Pods per node must be a whole number from 0 to 250",
    });
  }
  if (spec.mode !== "host-gw" && spec.mode !== "vxlan") {
    if (n > 5000) return err({ field: "nodes", message: "Calico clusters go up to 5,000 nodes" });
    const f = generateCalico(spec.mode, n, k);
    return f.ok ? f : err({ field: "nodes", message: f.error });
  }
  return ok(generate(spec.mode, n, k));
}

function generate(mode: "host-gw" | "vxlan", n: number, k: number): Fabric {
  const small = n <= 200;
  const under = small ? Prefix.mustParse("192.168.0.0/24") : Prefix.mustParse("192.168.0.0/16");
  const cluster = n <= 254 ? Prefix.mustParse("10.244.0.0/16") : Prefix.mustParse("10.0.0.0/8");
  const cidr = (i: number) => (cluster.addr.value + (i + 1) * 256) >>> 0;
  const nodeIp = (i: number) => under.addr.value + 11 + i;
  const nodeName = (i: number) => `node-${i + 1}`;
  const vx = mode === "vxlan";
  const mtu = 1500;
  const podMtu = vx ? mtu - VXLAN_OVERHEAD : mtu;
  const mac = (ns: string, dev: string) => defaultMac(ns, dev).value;

  const baseRoutes: FRoute[] = [underlayRoute(under)];
  const baseNeighbours: FNeighbour[] = [];
  const baseFdb: FFdb[] = [];
  const flannelMac = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (vx) {
      flannelMac[i] = mac(nodeName(i), "flannel.1");
      baseRoutes.push({
        type: "unicast",
        dst: cidr(i),
        bits: 24,
        metric: 0,
        via: cidr(i),
        dev: "flannel.1",
        onlink: true,
        src: NONE,
        kernel: false,
      });
      baseNeighbours.push({ addr: cidr(i), dev: "flannel.1", mac: flannelMac[i] });
      baseFdb.push({ dev: "flannel.1", mac: flannelMac[i], dst: nodeIp(i) });
    } else {
      baseRoutes.push({
        type: "unicast",
        dst: cidr(i),
        bits: 24,
        metric: 0,
        via: nodeIp(i),
        dev: "eth0",
        onlink: false,
        src: NONE,
        kernel: false,
      });
    }
  }
  const rules = [
    `-t nat -A POSTROUTING -s ${cluster} -d ${cluster} -j RETURN`,
    `-t nat -A POSTROUTING -s ${cluster} ! -d 224.0.0.0/4 -j MASQUERADE`,
  ].map((text) => {
    const words = text.split(" ");
    const p = (flag: string) => {
      const i = words.indexOf(flag);
      const pre = Prefix.mustParse(words[i + 1]);
      return { base: pre.addr.value, mask: pre.mask, negate: words[i - 1] === "!" };
    };
    return {
      table: "nat",
      chain: "POSTROUTING",
      src: p("-s"),
      dst: p("-d"),
      target: words[words.length - 1] as "RETURN" | "MASQUERADE",
      to: NONE,
      text: text.replace("-t nat ", ""),
    } satisfies FRule;
  });
  const hosts: FHost[] = [];
  const domains: FDomain[] = [];
  const members: { host: number; dev: string }[] = [];
  const total = n * k;
  const letters = total <= 26;
  for (let i = 0; i < n; i++) {
    const name = nodeName(i);
    const devices: FDevice[] = [
      ...nodeDevices(name, mtu, nodeIp(i), under.bits, "underlay"),
      {
        name: "cni0",
        kind: "bridge",
        up: true,
        mtu: podMtu,
        mac: mac(name, "cni0"),
        addresses: [{ addr: cidr(i) + 1, bits: 24 }],
        domain: i,
      },
    ];
    if (vx) {
      devices.push({
        name: "flannel.1",
        kind: "vxlan",
        up: true,
        mtu: podMtu,
        mac: flannelMac[i],
        addresses: [{ addr: cidr(i), bits: 32 }],
        vni: 1,
        dstport: 8472,
        local: nodeIp(i),
        via: "eth0",
      });
    }
    const bridgeRoute: FRoute = {
      type: "unicast",
      dst: cidr(i),
      bits: 24,
      metric: 0,
      via: NONE,
      dev: "cni0",
      onlink: false,
      src: OWN_SRC,
      kernel: true,
    };
    hosts.push(nodeHost(name, devices, rules, [bridgeRoute], [i + 1], vx ? i : undefined));
    domains.push({ host: i, bridge: "cni0", pods: Array.from({ length: k }, (_, j) => i * k + j) });
    members.push({ host: i, dev: "eth0" });
  }
  const pods = {
    count: total,
    ip: new Uint32Array(total),
    host: new Int32Array(total),
    domain: new Int32Array(total),
    subnet: new Uint32Array(total),
    subnetBits: new Uint8Array(total).fill(24),
    gateway: new Uint32Array(total),
    ttl: new Uint8Array(total).fill(64),
    odd: new Uint8Array(total),
    up: new Uint8Array(total).fill(1),
    node: new Int32Array(total),
    hostRoute: new Uint8Array(total),
    proxyArp: new Uint8Array(total),
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const p = i * k + j;
      pods.ip[p] = cidr(i) + 2 + j;
      pods.host[p] = i;
      pods.domain[p] = i;
      pods.subnet[p] = cidr(i);
      pods.gateway[p] = cidr(i) + 1;
      pods.node[p] = i;
    }
  }
  const podName = (p: number) =>
    letters ? String.fromCharCode(97 + p) : `p${Math.floor(p / k) + 1}-${(p % k) + 1}`;
  return {
    name: mode,
    hosts,
    hostIndex: new Map(hosts.map((h, i) => [h.name, i])),
    segments: new Map([["underlay", { name: "underlay", mtu, members }]]),
    domains,
    baseRoutes,
    baseNeighbours,
    baseFdb,
    pods: { ...pods, name: podName, mac: (p) => mac(`pod-${podName(p)}`, "eth0") },
    nodes: hosts.map((h, i) => ({ name: h.name, host: i })),
  };
}

/**
 * A generated node's `lo` and underlay `eth0`, as every builder makes them.
 *
 * @param name The node's name (its MACs derive from it).
 * @param mtu The underlay MTU.
 * @param addr The node's underlay address.
 * @param bits The underlay's prefix length.
 * @param segment The underlay segment.
 * @returns The two devices.
 */
export function nodeDevices(
  name: string,
  mtu: number,
  addr: number,
  bits: number,
  segment: string,
): FDevice[] {
  return [
    {
      name: "lo",
      kind: "loopback",
      up: true,
      mtu: 65536,
      mac: 0,
      addresses: [{ addr: Addr.mustParse("127.0.0.1").value, bits: 8 }],
    },
    {
      name: "eth0",
      kind: "nic",
      up: true,
      mtu,
      mac: defaultMac(name, "eth0").value,
      addresses: [{ addr, bits }],
      segment,
    },
  ];
}

/**
 * A generated node's record: forwarding on, TTL 64, FORWARD accepts, its
 * own routes, and the base entries it does not have.
 *
 * @param name The node's name.
 * @param devices Its devices.
 * @param rules Its netfilter rules.
 * @param ownRoutes Routes only it has.
 * @param removedRoutes Base routes it does not have.
 * @param ownVtep The base neighbour and FDB entry of its own VTEP (it has neither), if any.
 * @returns The host.
 */
export function nodeHost(
  name: string,
  devices: readonly FDevice[],
  rules: readonly FRule[],
  ownRoutes: readonly FRoute[],
  removedRoutes: readonly number[],
  ownVtep: number | undefined,
): FHost {
  const vtep = ownVtep === undefined ? new Set<number>() : new Set([ownVtep]);
  return {
    name,
    role: "node",
    devices,
    ipForward: true,
    defaultTtl: 64,
    rules,
    forwardPolicy: "ACCEPT",
    ownRoutes,
    removedRoutes: new Set(removedRoutes),
    ownNeighbours: [],
    removedNeighbours: vtep,
    ownFdb: [],
    removedFdb: vtep,
  };
}

/**
 * The connected route of the underlay on `eth0`, shared by every node.
 *
 * @param under The underlay prefix.
 * @returns The compact route (its `src` is each node's own address).
 */
export function underlayRoute(under: Prefix): FRoute {
  return {
    type: "unicast",
    dst: under.addr.value,
    bits: under.bits,
    metric: 0,
    via: NONE,
    dev: "eth0",
    onlink: false,
    src: OWN_SRC,
    kernel: true,
  };
}

/**
 * Renders an address number as dotted decimal.
 *
 * @param v The address as an unsigned 32-bit integer.
 * @returns e.g. `10.244.2.0`.
 * @example
 * ```ts
 * import { addrText } from "./fabric.js";
 * addrText(0x0af40200); // "10.244.2.0"
 * ```
 */
export function addrText(v: number): string {
  return Addr.fromUint32(v >>> 0).toString();
}
