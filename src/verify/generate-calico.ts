/**
 * Calico clusters in compact form without building their worlds, laid out
 * by the same description the builders use: the layout (`scenario/build.ts`
 * `plan`, `podNames`), IPAM blocks and addresses (`control/ipam.ts` through
 * `calico.ts` `ipam`), the node's own routes (`nodeRoutes`), the route to
 * another node's prefix (`birdRoute` for BGP, `felixRoute` for Felix's
 * VXLAN mode), Felix's VTEP entries and device, and the names of the
 * `cali…` veths (`hostVethName`). The lines are parsed by the same
 * `ip route` / `ip neigh` / `bridge fdb` parsers the loader uses.
 *
 * On one underlay segment with a full BGP mesh and no faults, every node
 * learns every other node's prefixes with the same line, so each prefix is
 * one base route and a node removes only its own; `tests/verify-calico.test.ts`
 * checks the result against `fabricFromWorld` of the built world.
 *
 * @module
 */
import { Addr, Mac, Prefix } from "../addr/mod.js";
import { originated } from "../control/ipam.js";
import { CALICO_GATEWAY, CALICO_VETH_MAC } from "../pods/lifecycle.js";
import { err, ok, type Result } from "../result.js";
import { plan, podNames } from "../scenario/build.js";
import {
  birdRoute,
  felixDevice,
  felixRoute,
  felixVtep,
  flat,
  ipam,
  isError,
  nodeRoutes,
  tunl0Device,
} from "../scenario/calico.js";
import { nodeName } from "../scenario/plan.js";
import { parseFdb } from "../syntax/bridgefdb.js";
import { parseNeighbour } from "../syntax/ipneigh.js";
import { parseRoute } from "../syntax/iproute.js";
import { formatLineError } from "../syntax/tokens.js";
import { defaultMac, hostVethName } from "../world/names.js";
import {
  compactRoute,
  type Fabric,
  type FDomain,
  type FFdb,
  type FHost,
  type FNeighbour,
  type FRoute,
  nodeDevices,
  nodeHost,
  NONE,
  underlayRoute,
} from "./fabric.js";

/** The Calico modes {@linkcode generateCalico} lays out. */
export type CalicoGenerated = "calico-bgp" | "calico-ipip" | "calico-vxlan";

function line(text: string): FRoute {
  const r = parseRoute(text);
  if (!r.ok) throw new Error(`Builder line ${text}: ${formatLineError(r.error)}`);
  return compactRoute({ ...r.value, scope: r.value.scope ?? "global" });
}

/**
 * Generates a Calico cluster's fabric: `nodes` nodes with `podsPerNode`
 * routed pods each. Past 1,000 nodes the IP pool is 10.0.0.0/8 and past
 * 200 nodes the underlay 192.168.0.0/16 (the default pool holds 1,024
 * blocks of /26, the default underlay 243 nodes), as a spec would have to
 * say for `buildWorld`.
 *
 * @param mode `calico-bgp` or `calico-vxlan`.
 * @param nodes Node count.
 * @param podsPerNode Pods per node.
 * @returns The fabric, or why the layout refuses the size.
 * @example
 * ```ts
 * import { generateCalico } from "./generate-calico.js";
 * const f = generateCalico("calico-bgp", 10, 30);
 * if (f.ok) f.value.pods.count; // 300
 * ```
 */
export function generateCalico(
  mode: CalicoGenerated,
  nodes: number,
  podsPerNode: number,
): Result<Fabric, string> {
  const layout = plan({
    mode,
    nodes,
    pods: podsPerNode,
    ...(nodes > 1000 ? { podCidrs: ["10.0.0.0/8"] } : {}),
    ...(nodes > 200 ? { underlay: "192.168.0.0/16" } : {}),
  });
  if (!layout.ok) return err(layout.error.message);
  const l = layout.value;
  const vx = mode === "calico-vxlan";
  const through = mode === "calico-ipip" ? "tunl0" : "eth0";
  const state = ipam(l, mode !== "calico-bgp");
  if (isError(state)) return err(state.message);
  const under = flat(l);
  const names = podNames(l.pods);
  const installer = vx ? "static" : "bird";

  // Base tables: the underlay's connected route, the default route, one
  // route per prefix any node originates, Felix's VTEP entries.
  const baseRoutes: FRoute[] = [underlayRoute(l.underlay)];
  const baseNeighbours: FNeighbour[] = [];
  const baseFdb: FFdb[] = [];
  const ownRouteIds: number[][] = [];
  const own: FRoute[][] = [];
  const defaults = new Map<string, number>();
  for (let j = 0; j < l.nodeCount; j++) {
    const [def, ...blackholes] = nodeRoutes(under, state, j, installer);
    if (!defaults.has(def)) {
      defaults.set(def, baseRoutes.length);
      baseRoutes.push(line(def));
    }
    own.push(blackholes.map(line));
    ownRouteIds.push(
      originated(state, j).map((p) => {
        baseRoutes.push(
          line(vx ? felixRoute(under, state, j, j, p) : birdRoute(p, under.addr(j), through)),
        );
        return baseRoutes.length - 1;
      }),
    );
    if (vx) {
      const entries = felixVtep(under, state, j);
      const n = parseNeighbour(entries.neighbour);
      const f = parseFdb(entries.fdb);
      if (!n.ok || !f.ok) throw new Error(`Builder VTEP lines of ${nodeName(j)} do not parse`);
      baseNeighbours.push({ addr: n.value.addr.value, dev: n.value.dev, mac: n.value.mac.value });
      baseFdb.push({ dev: f.value.dev, mac: f.value.mac.value, dst: f.value.dst!.value });
    }
  }

  const hosts: FHost[] = [];
  const domains: FDomain[] = [];
  const total = l.pods.reduce((a, b) => a + b, 0);
  const pods = {
    count: total,
    ip: new Uint32Array(total),
    host: new Int32Array(total),
    domain: new Int32Array(total).fill(-1),
    subnet: new Uint32Array(total),
    subnetBits: new Uint8Array(total).fill(32),
    gateway: new Uint32Array(total).fill(CALICO_GATEWAY.value),
    ttl: new Uint8Array(total).fill(64),
    odd: new Uint8Array(total),
    up: new Uint8Array(total).fill(1),
    node: new Int32Array(total),
    hostRoute: new Uint8Array(total).fill(1),
    proxyArp: new Uint8Array(total).fill(1),
  };
  const podName: string[] = [];
  const podMtu = vx
    ? felixDevice(l, under, state, 0).mtu!
    : through === "tunl0"
    ? tunl0Device(l, state, 0).mtu!
    : l.mtu;
  for (let i = 0; i < l.nodeCount; i++) {
    const name = nodeName(i);
    const devices = nodeDevices(name, l.mtu, under.addr(i).value, under.bits, under.segment);
    if (vx) {
      const d = felixDevice(l, under, state, i);
      const a = Prefix.mustParse(d.addresses![0]);
      devices.push({
        name: d.name,
        kind: "vxlan",
        up: true,
        mtu: d.mtu!,
        mac: Mac.mustParse(d.mac!).value,
        addresses: [{ addr: a.addr.value, bits: a.bits }],
        vni: d.vni,
        dstport: d.dstport,
        local: Addr.mustParse(d.local!).value,
        via: d.dev,
      });
    }
    if (through === "tunl0") {
      const d = tunl0Device(l, state, i);
      const a = Prefix.mustParse(d.addresses![0]);
      devices.push({
        name: d.name,
        kind: "ipip",
        up: true,
        mtu: d.mtu!,
        // An IP-in-IP device has no link layer: no MAC.
        mac: 0,
        addresses: [{ addr: a.addr.value, bits: a.bits }],
        local: NONE,
        remote: NONE,
      });
    }
    const members: number[] = [];
    state.allocations[i].forEach((a, k) => {
      const p = podName.length;
      podName.push(names[i][k]);
      pods.ip[p] = a.ip.value;
      pods.subnet[p] = a.ip.value;
      pods.host[p] = i;
      pods.node[p] = i;
      pods.domain[p] = domains.length;
      members.push(p);
    });
    if (members.length > 0) {
      devices.push({
        name: hostVethName(`pod-${podName[members[0]]}`, 0, "cali"),
        kind: "veth",
        up: true,
        mtu: podMtu,
        mac: CALICO_VETH_MAC.value,
        addresses: [],
        domain: domains.length,
      });
      domains.push({
        host: i,
        bridge: devices[devices.length - 1].name,
        pods: members,
        routed: true,
      });
    }
    hosts.push(nodeHost(name, devices, [], own[i], ownRouteIds[i], vx ? i : undefined));
  }
  return ok({
    name: mode,
    hosts,
    hostIndex: new Map(hosts.map((h, i) => [h.name, i])),
    segments: new Map([[under.segment, {
      name: under.segment,
      mtu: l.mtu,
      members: hosts.map((_, i) => ({ host: i, dev: "eth0" })),
    }]]),
    domains,
    baseRoutes,
    baseNeighbours,
    baseFdb,
    pods: {
      ...pods,
      name: (p) => podName[p],
      mac: (p) => defaultMac(`pod-${podName[p]}`, "eth0").value,
    },
    nodes: hosts.map((h, i) => ({ name: h.name, host: i })),
  });
}
