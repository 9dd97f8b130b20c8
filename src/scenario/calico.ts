/**
 * Calico's networking modes as declarative builders. Every node has no
 * bridge: pods attach by routed `cali…` veths (`pods/lifecycle.ts`), the
 * node holds IPAM blocks (`control/ipam.ts`) with a `blackhole` route for
 * each, and learns where the other blocks live —
 *
 * - `calico-bgp`: over BGP from BIRD (`control/bgp.ts`): `BLOCK via NODE
 *   dev eth0 proto bird`, plain routing on one underlay segment;
 * - `calico-ipip`: the same BGP routes through `tunl0` (IP-in-IP, 20
 *   bytes, MTU 20 less than the underlay): `BLOCK via NODE dev tunl0 proto
 *   bird onlink`;
 * - `calico-vxlan`: from Felix (the datastore, no BGP): `BLOCK via
 *   TUNNEL dev vxlan.calico onlink` with a permanent neighbour and FDB
 *   entry per remote VTEP (`vxlan.calico`, VNI 4096, UDP 4789, MTU 50
 *   less than the underlay);
 * - `calico-vxlan-cross-subnet`: nodes on two underlay segments behind a
 *   router; a node routes blocks of its own subnet directly and
 *   encapsulates only across subnets (Calico's `CrossSubnet`).
 *
 * Each node has a default route to its underlay gateway: Calico's proxy
 * ARP for `169.254.1.1` answers only when the node routes that address out
 * of another device.
 *
 * @module
 */
import type { Addr, Prefix } from "../addr/mod.js";
import { type BgpConfig, learnedRoutes } from "../control/bgp.js";
import { allocate, type IpamState, originated } from "../control/ipam.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { IPIP_OVERHEAD } from "../wire/ipip.js";
import { defaultMac } from "../world/names.js";
import {
  type BuildError,
  type Infrastructure,
  type Layout,
  type ModeBuilder,
  nodeIp,
  nodeName,
} from "./plan.js";
import type { DeviceDoc, NamespaceDoc } from "./schema.js";

/** Calico's VXLAN device, VNI and port. */
export const CALICO_VXLAN = { name: "vxlan.calico", vni: 4096, dstport: 4789 } as const;

const DEFAULT_BGP: BgpConfig = { topology: { kind: "full-mesh" } };

/** Where node `i` sits on the underlay: its segment, address and gateway. */
export interface Underlay {
  readonly segment: string;
  readonly addr: (i: number) => Addr;
  readonly bits: number;
  readonly gateway: (i: number) => Addr;
  readonly sameSubnet: (i: number, j: number) => boolean;
}

/**
 * One underlay segment for every node (`calico-bgp`, `calico-ipip`, `calico-vxlan`).
 *
 * @param layout The cluster's layout.
 * @returns Where each node sits.
 */
export function flat(layout: Layout): Underlay {
  return {
    segment: "underlay",
    addr: (i) => nodeIp(layout, i),
    bits: layout.underlay.bits,
    gateway: () => layout.underlay.first.add(1)!,
    sameSubnet: () => true,
  };
}

/**
 * The cluster's IPAM state: blocks per node and every pod's address.
 *
 * @param layout The cluster's layout (its one pool and pods per node).
 * @param tunnel Whether each node's first block address goes to its tunnel device.
 * @returns The state, or why the pool does not hold the pods.
 */
export function ipam(layout: Layout, tunnel: boolean): IpamState | BuildError {
  const pool = { cidr: layout.cidrs[0], blockBits: layout.spec.blockBits ?? 26 };
  const state = allocate(pool, layout.pods, tunnel);
  return state.ok ? state.value : { field: "podCidrs", message: state.error };
}

/** Whether a builder step returned an error. */
export const isError = (x: unknown): x is BuildError =>
  typeof x === "object" && x !== null && "field" in x && "message" in x;

/** The node's namespace with what every Calico node has. */
function calicoNode(
  layout: Layout,
  under: Underlay,
  i: number,
  state: IpamState,
  parts: {
    devices?: DeviceDoc[];
    routes: string[];
    neighbours?: string[];
    fdb?: string[];
    /** Who installs the blocks' blackholes: BIRD (`bird`) or Felix (`static`). */
    installer: "bird" | "static";
  },
  segment = under.segment,
): NamespaceDoc {
  return {
    name: nodeName(i),
    role: "node",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices: [
      {
        name: "eth0",
        kind: "nic",
        segment,
        mtu: layout.mtu,
        addresses: [`${under.addr(i)}/${under.bits}`],
      },
      ...parts.devices ?? [],
    ],
    routes: [...nodeRoutes(under, state, i, parts.installer), ...parts.routes],
    ...(parts.neighbours?.length ? { neighbours: parts.neighbours } : {}),
    ...(parts.fdb?.length ? { fdb: parts.fdb } : {}),
  };
}

/**
 * What every Calico node routes itself: the default route to its underlay
 * gateway and a blackhole for each of its blocks.
 *
 * @param under The underlay.
 * @param state The IPAM state.
 * @param i The node.
 * @param installer Who installs the blackholes: BIRD (`bird`) or Felix (`static`).
 * @returns The `ip route` lines.
 */
export function nodeRoutes(
  under: Underlay,
  state: IpamState,
  i: number,
  installer: "bird" | "static",
): string[] {
  return [
    `default via ${under.gateway(i)} dev eth0`,
    ...state.blocks[i].map((b) =>
      installer === "bird" ? `blackhole ${b} proto bird` : `blackhole ${b}`
    ),
  ];
}

function infrastructure(
  layout: Layout,
  state: IpamState,
  podMtu: number,
  namespaces: NamespaceDoc[],
  extra: Partial<Infrastructure> = {},
): Infrastructure {
  return {
    segments: [{ name: "underlay", mtu: layout.mtu }],
    others: [],
    ...extra,
    nodes: namespaces.map((namespace, i) => ({
      node: { name: nodeName(i), podCidr: state.blocks[i][0].toString(), podMtu },
      namespace,
    })),
    podIps: state.allocations.map((list) => list.map((a) => a.ip)),
  };
}

function bgpBuild(layout: Layout, through: "eth0" | "tunl0" = "eth0"): Infrastructure | BuildError {
  const ipip = through === "tunl0";
  const state = ipam(layout, ipip);
  if (isError(state)) return state;
  const under = flat(layout);
  const origins = layout.pods.map((_, i) => originated(state, i));
  const addrs = layout.pods.map((_, i) => under.addr(i));
  const routes = birdRoutes(origins, addrs, layout.spec.bgp, through);
  const mtu = ipip ? layout.mtu - IPIP_OVERHEAD : layout.mtu;
  const tunl0 = (i: number): DeviceDoc[] => ipip ? [tunl0Device(layout, state, i)] : [];
  const namespaces = layout.pods.map((_, i) =>
    calicoNode(layout, under, i, state, { devices: tunl0(i), routes: routes[i], installer: "bird" })
  );
  return infrastructure(layout, state, mtu, namespaces);
}

/**
 * Node `i`'s `tunl0`: the ipip module's fallback device (no ends set), its
 * address the node's first block address, MTU 20 less than the underlay.
 *
 * @param layout The cluster's layout.
 * @param state The IPAM state.
 * @param i The node.
 * @returns The device.
 */
export function tunl0Device(layout: Layout, state: IpamState, i: number): DeviceDoc {
  return {
    name: "tunl0",
    kind: "ipip",
    mtu: layout.mtu - IPIP_OVERHEAD,
    addresses: [`${state.blocks[i][0].first}/32`],
  };
}

/**
 * The routes BIRD installs on each node (`ip route` lines): for every
 * prefix it learned over BGP, `PREFIX via ORIGIN dev eth0 proto bird`.
 *
 * @param originated The prefixes each node originates (its blocks, borrowed /32s).
 * @param nodeAddrs Each node's underlay address (its router ID and the next hop).
 * @param bgp Topology and faults (default: a full mesh).
 * @param through `eth0` (plain routing) or `tunl0` (IP-in-IP).
 * @returns Per node, the route lines.
 * @example
 * ```ts
 * import { Addr, Prefix } from "../addr/mod.js";
 * import { birdRoutes } from "./calico.js";
 * const blocks = [[Prefix.mustParse("10.244.0.0/26")], [Prefix.mustParse("10.244.0.64/26")]];
 * const addrs = [Addr.mustParse("192.168.0.11"), Addr.mustParse("192.168.0.12")];
 * birdRoutes(blocks, addrs)[0]; // ["10.244.0.64/26 via 192.168.0.12 dev eth0 proto bird"]
 * ```
 */
export function birdRoutes(
  originated: readonly (readonly Prefix[])[],
  nodeAddrs: readonly Addr[],
  bgp: BgpConfig = DEFAULT_BGP,
  through: "eth0" | "tunl0" = "eth0",
): string[][] {
  return learnedRoutes(originated, bgp).map((list) =>
    list.map((r) => birdRoute(r.prefix, nodeAddrs[r.origin], through))
  );
}

/**
 * The route BIRD installs for a prefix learned from the node at `origin`.
 *
 * @param prefix The prefix (a block or a borrowed `/32`).
 * @param origin The originating node's underlay address (the next hop).
 * @param through `eth0` (plain routing) or `tunl0` (IP-in-IP).
 * @returns The `ip route` line.
 * @example
 * ```ts
 * import { Addr, Prefix } from "../addr/mod.js";
 * import { birdRoute } from "./calico.js";
 * birdRoute(Prefix.mustParse("10.244.0.64/26"), Addr.mustParse("192.168.0.12"), "eth0");
 * // "10.244.0.64/26 via 192.168.0.12 dev eth0 proto bird"
 * ```
 */
export function birdRoute(prefix: Prefix, origin: Addr, through: "eth0" | "tunl0"): string {
  // Through tunl0 (IP-in-IP), Calico's BIRD sets the route onlink: the next hop is no neighbour of tunl0.
  const how = through === "tunl0" ? "dev tunl0 proto bird onlink" : "dev eth0 proto bird";
  return `${formatDst(prefix)} via ${origin} ${how}`;
}

/** The remote VTEP of node `j`: its tunnel address (first of its first block) and MAC. */
function vtep(state: IpamState, j: number) {
  return { ip: state.blocks[j][0].first, mac: defaultMac(nodeName(j), CALICO_VXLAN.name) };
}

/**
 * Felix's route on node `i` for a prefix node `j` originates: direct on
 * the same underlay subnet, through `vxlan.calico` across subnets.
 *
 * @param under The underlay.
 * @param state The IPAM state.
 * @param i The local node.
 * @param j The originating node.
 * @param prefix The prefix.
 * @returns The `ip route` line.
 */
export function felixRoute(
  under: Underlay,
  state: IpamState,
  i: number,
  j: number,
  prefix: Prefix,
): string {
  const p = formatDst(prefix);
  return under.sameSubnet(i, j)
    ? `${p} via ${under.addr(j)} dev eth0`
    : `${p} via ${vtep(state, j).ip} dev ${CALICO_VXLAN.name} onlink`;
}

/**
 * Felix's permanent neighbour and FDB entry for node `j`'s VTEP.
 *
 * @param under The underlay.
 * @param state The IPAM state.
 * @param j The remote node.
 * @returns The `ip neigh` and `bridge fdb` lines.
 */
export function felixVtep(
  under: Underlay,
  state: IpamState,
  j: number,
): { readonly neighbour: string; readonly fdb: string } {
  const v = vtep(state, j);
  return {
    neighbour: `${v.ip} dev ${CALICO_VXLAN.name} lladdr ${v.mac} nud permanent`,
    fdb: `${v.mac} dev ${CALICO_VXLAN.name} dst ${under.addr(j)} self permanent`,
  };
}

/**
 * Node `i`'s `vxlan.calico` device, as Felix makes it.
 *
 * @param layout The cluster's layout.
 * @param under The underlay.
 * @param state The IPAM state.
 * @param i The node.
 * @returns The device.
 */
export function felixDevice(
  layout: Layout,
  under: Underlay,
  state: IpamState,
  i: number,
): DeviceDoc {
  return {
    name: CALICO_VXLAN.name,
    kind: "vxlan",
    vni: CALICO_VXLAN.vni,
    local: under.addr(i).toString(),
    dstport: CALICO_VXLAN.dstport,
    dev: "eth0",
    learning: false,
    mac: vtep(state, i).mac.toString(),
    mtu: layout.mtu - VXLAN_OVERHEAD,
    addresses: [`${vtep(state, i).ip}/32`],
  };
}

/** Felix's routes, neighbours and FDB for the blocks of every other node. */
function felixVxlan(
  layout: Layout,
  under: Underlay,
  state: IpamState,
  i: number,
  segment: string,
): NamespaceDoc {
  const others = layout.pods.map((_, j) => j).filter((j) => j !== i);
  const routes = others.flatMap((j) =>
    originated(state, j).map((p) => felixRoute(under, state, i, j, p))
  );
  return calicoNode(layout, under, i, state, {
    devices: [felixDevice(layout, under, state, i)],
    routes,
    neighbours: others.map((j) => felixVtep(under, state, j).neighbour),
    fdb: others.map((j) => felixVtep(under, state, j).fdb),
    installer: "static",
  }, segment);
}

function vxlanBuild(layout: Layout): Infrastructure | BuildError {
  const state = ipam(layout, true);
  if (isError(state)) return state;
  const under = flat(layout);
  const namespaces = layout.pods.map((_, i) => felixVxlan(layout, under, state, i, under.segment));
  return infrastructure(layout, state, layout.mtu - VXLAN_OVERHEAD, namespaces);
}

/** Two subnets of the underlay, /24 each: node i in the first half on A, the rest on B. */
function crossSubnetBuild(layout: Layout): Infrastructure | BuildError {
  const state = ipam(layout, true);
  if (isError(state)) return state;
  if (layout.underlay.bits > 23) {
    return { field: "underlay", message: "Cross-subnet needs an underlay of /23 or wider" };
  }
  const half = Math.ceil(layout.nodeCount / 2);
  const side = (i: number) => (i < half ? 0 : 1);
  const subnet = (s: number) => layout.underlay.first.add(s * 256)!;
  const under: Underlay = {
    segment: "underlay-a",
    addr: (i) => subnet(side(i)).add(11 + (side(i) === 0 ? i : i - half))!,
    bits: 24,
    gateway: (i) => subnet(side(i)).add(1)!,
    sameSubnet: (i, j) => side(i) === side(j),
  };
  const segments = ["underlay-a", "underlay-b"];
  const namespaces = layout.pods.map((_, i) =>
    felixVxlan(layout, under, state, i, segments[side(i)])
  );
  const router: NamespaceDoc = {
    name: "router",
    role: "router",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices: segments.map((segment, s) => ({
      name: `eth${s}`,
      kind: "nic",
      segment,
      mtu: layout.mtu,
      addresses: [`${subnet(s).add(1)}/24`],
    })),
  };
  return infrastructure(layout, state, layout.mtu - VXLAN_OVERHEAD, namespaces, {
    segments: segments.map((name) => ({ name, mtu: layout.mtu })),
    others: [router],
  });
}

function formatDst(p: Prefix): string {
  return p.bits === 32 ? p.addr.toString() : p.toString();
}

const calico = (
  build: (layout: Layout) => Infrastructure | BuildError,
  defaultUnderlay?: string,
): ModeBuilder => ({
  defaultNodes: 2,
  defaultPods: 2,
  onePool: true,
  defaultCidr: () => "10.244.0.0/16",
  ...(defaultUnderlay ? { defaultUnderlay } : {}),
  build,
});

/** The Calico modes, by name. */
export const CALICO_BUILDERS = {
  "calico-bgp": calico((layout) => bgpBuild(layout)),
  "calico-ipip": calico((layout) => bgpBuild(layout, "tunl0")),
  "calico-vxlan": calico(vxlanBuild),
  "calico-vxlan-cross-subnet": calico(crossSubnetBuild, "192.168.0.0/16"),
} as const;
