/**
 * The registry of networking modes: one declarative builder per mode
 * (`plan.ts`'s `ModeBuilder`). The bridged family lives here — one host
 * with Docker's layout, overlapping ranges, a gateway router, flannel's
 * host-gw and VXLAN backends, Docker NAT — with fixed naming rules (`eth0`
 * in a pod, `vethXXXXXXXX` on the node, `cni0` or `docker0`, `flannel.1`)
 * and addresses laid out as flannel lays them out (a /24 per node of
 * 10.244.0.0/16); the routed family (Calico) in `calico.ts`.
 *
 * @module
 */
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { podIp } from "../world/query.js";
import type { World } from "../model/world.js";
import { defaultMac, type Mode } from "../world/names.js";
import { CALICO_BUILDERS } from "./calico.js";
import { loadScenario } from "./load.js";
import {
  type Infrastructure,
  type Layout,
  type ModeBuilder,
  nodeIp,
  nodeName,
  type NodeParts,
  underlayNic,
} from "./plan.js";
import { formatLoadError } from "./reader.js";
import { toScenario } from "./save.js";
import type { NamespaceDoc } from "./schema.js";

/** What a bridged mode adds to each node: routes, neighbours, FDB, rules, devices. */
interface BridgedParts {
  readonly routes?: readonly string[];
  readonly neighbours?: readonly string[];
  readonly fdb?: readonly string[];
  readonly iptables?: readonly string[];
  readonly devices?: NamespaceDoc["devices"];
}

/** A mode where pods hang off a bridge on every node. */
function bridged(options: {
  readonly bridge?: string;
  readonly podMtu?: (mtu: number) => number;
  readonly defaultNodes?: number;
  readonly fixedNodes?: boolean;
  readonly defaultPods?: number;
  readonly defaultCidr?: (i: number) => string;
  /** Pods get a route to the cluster network through the bridge (flannel's CNI configuration). */
  readonly networkRoute?: boolean;
  readonly parts: (layout: Layout, i: number, bridge: string) => BridgedParts;
  readonly others?: (layout: Layout) => NamespaceDoc[];
  readonly finish?: (world: World, layout: Layout) => World;
}): ModeBuilder {
  const bridge = options.bridge ?? "cni0";
  const podMtu = options.podMtu ?? ((mtu) => mtu);
  return {
    defaultNodes: options.defaultNodes ?? 2,
    fixedNodes: options.fixedNodes,
    defaultPods: options.defaultPods ?? 2,
    defaultCidr: options.defaultCidr ?? ((i) => `10.244.${i + 1}.0/24`),
    build: (layout): Infrastructure => ({
      segments: [{ name: "underlay", mtu: layout.mtu }],
      nodes: Array.from(
        { length: layout.nodeCount },
        (_, i) => {
          const made = bridgedNode(layout, i, bridge, podMtu(layout.mtu), options.parts);
          const cluster = layout.cluster;
          // A cluster no wider than the node's range would repeat its connected route.
          if (!options.networkRoute || cluster.bits >= layout.cidrs[i].bits) return made;
          return { ...made, node: { ...made.node, network: layout.cluster.toString() } };
        },
      ),
      others: options.others?.(layout) ?? [],
    }),
    finish: options.finish,
  };
}

function bridgedNode(
  layout: Layout,
  i: number,
  bridge: string,
  podMtu: number,
  parts: (layout: Layout, i: number, bridge: string) => BridgedParts,
): NodeParts {
  const cidr = layout.cidrs[i];
  const extra = parts(layout, i, bridge);
  const namespace: NamespaceDoc = {
    name: nodeName(i),
    role: "node",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices: [
      underlayNic(layout, i),
      {
        name: bridge,
        kind: "bridge",
        mtu: podMtu,
        addresses: [`${cidr.first.add(1)}/${cidr.bits}`],
      },
      ...extra.devices ?? [],
    ],
    ...(extra.routes?.length ? { routes: extra.routes } : {}),
    ...(extra.neighbours?.length ? { neighbours: extra.neighbours } : {}),
    ...(extra.fdb?.length ? { fdb: extra.fdb } : {}),
    ...(extra.iptables?.length ? { iptables: extra.iptables } : {}),
  };
  return {
    node: { name: nodeName(i), podCidr: cidr.toString(), bridge, podMtu },
    namespace,
  };
}

/**
 * A line per reachable node, made once per layout: every node's table holds
 * the same line for node `j`, so a 5,000-node cluster has 5,000 distinct
 * lines, not 25 million (and the loader shares the tables they make).
 * The nodes with a line are the first node of each distinct pod range (with
 * overlapping ranges the kernel refuses the second route, "File exists", so
 * the first one wins); node `i`'s lines are those less its own range's, in
 * node order (`i` = -1, the gateway: all of them).
 */
function perNode(
  make: (layout: Layout, j: number) => string,
): (layout: Layout, i: number) => string[] {
  const made = new WeakMap<Layout, { texts: string[]; at: Map<unknown, number> }>();
  return (layout, i) => {
    let m = made.get(layout);
    if (m === undefined) {
      m = { texts: [], at: new Map() };
      for (let j = 0; j < layout.cidrs.length; j++) {
        const c = layout.cidrs[j]; // ranges are interned: one object per range
        if (m.at.has(c)) continue;
        m.at.set(c, m.texts.length);
        m.texts.push(make(layout, j));
      }
      made.set(layout, m);
    }
    const texts = m.texts;
    const k = i >= 0 ? m.at.get(layout.cidrs[i]) : undefined;
    if (k === undefined) return texts.slice();
    const out: string[] = new Array(texts.length - 1);
    for (let x = 0; x < k; x++) out[x] = texts[x];
    for (let x = k + 1; x < texts.length; x++) out[x - 1] = texts[x];
    return out;
  };
}

/** flannel's `--ip-masq` rules: no NAT inside the cluster, MASQUERADE on the way out. */
function flannelMasquerade(layout: Layout): string[] {
  const c = layout.cluster;
  return [
    `-t nat -A POSTROUTING -s ${c} -d ${c} -j RETURN`,
    `-t nat -A POSTROUTING -s ${c} ! -d 224.0.0.0/4 -j MASQUERADE`,
  ];
}

const hostRoutes = perNode((layout, j) => `${layout.cidrs[j]} via ${nodeIp(layout, j)} dev eth0`);

const vtep = (j: number) => defaultMac(nodeName(j), "flannel.1");
const vxlanRoute = perNode((layout, j) =>
  `${layout.cidrs[j]} via ${layout.cidrs[j].first} dev flannel.1 onlink`
);
const vxlanNeighbour = perNode((layout, j) =>
  `${layout.cidrs[j].first} dev flannel.1 lladdr ${vtep(j)} nud permanent`
);
const vxlanFdb = perNode((layout, j) =>
  `${vtep(j)} dev flannel.1 dst ${nodeIp(layout, j)} self permanent`
);

function flannelVxlan(layout: Layout, i: number): BridgedParts {
  return {
    devices: [{
      name: "flannel.1",
      kind: "vxlan",
      vni: 1,
      local: nodeIp(layout, i).toString(),
      dstport: 8472,
      dev: "eth0",
      learning: false,
      mtu: layout.mtu - VXLAN_OVERHEAD,
      addresses: [`${layout.cidrs[i].first}/32`],
    }],
    routes: vxlanRoute(layout, i),
    neighbours: vxlanNeighbour(layout, i),
    fdb: vxlanFdb(layout, i),
    iptables: flannelMasquerade(layout),
  };
}

function gatewayNamespace(layout: Layout): NamespaceDoc {
  return {
    name: "gateway",
    role: "router",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices: [{
      name: "eth0",
      kind: "nic",
      segment: "underlay",
      mtu: layout.mtu,
      addresses: [`${layout.underlay.first.add(1)}/${layout.underlay.bits}`],
    }],
    // The gateway routes every node's range, as a host-gw node routes the others'.
    routes: hostRoutes(layout, -1),
  };
}

/** Docker-style port mapping: node port 8080 → the node's first pod, port 8080. */
function publishFirstPods(world: World, layout: Layout): World {
  const doc = toScenario(world);
  const namespaces = doc.namespaces.map((ns) => {
    const i = world.nodes.findIndex((n) => n.namespace === ns.name);
    const pod = world.pods.find((p) => p.node === world.nodes[i]?.name);
    const ip = pod ? podIp(world, pod) : undefined;
    if (i < 0 || ip === undefined) return ns;
    const rule = `-t nat -A PREROUTING -d ${
      nodeIp(layout, i)
    }/32 -p tcp --dport 8080 -j DNAT --to-destination ${ip}:8080`;
    return { ...ns, iptables: [...(ns.iptables ?? []), rule] };
  });
  const loaded = loadScenario({ ...doc, namespaces });
  if (!loaded.ok) {
    throw new Error(
      `Builder produced a bad scenario: ${loaded.error.map(formatLoadError).join("; ")}`,
    );
  }
  return loaded.value;
}

/** Every mode's builder, by mode. */
export const BUILDERS: Readonly<Record<Mode, ModeBuilder>> = {
  "single-host": bridged({
    defaultNodes: 1,
    fixedNodes: true,
    defaultPods: 3,
    parts: () => ({}),
  }),
  "same-range": bridged({ defaultCidr: () => "10.244.0.0/24", parts: () => ({}) }),
  gateway: bridged({
    parts: (layout) => ({ routes: [`default via ${layout.underlay.first.add(1)} dev eth0`] }),
    others: (layout) => [gatewayNamespace(layout)],
  }),
  "host-gw": bridged({
    networkRoute: true,
    parts: (layout, i) => ({ routes: hostRoutes(layout, i), iptables: flannelMasquerade(layout) }),
  }),
  vxlan: bridged({
    podMtu: (mtu) => mtu - VXLAN_OVERHEAD,
    networkRoute: true,
    parts: flannelVxlan,
  }),
  nat: bridged({
    bridge: "docker0",
    defaultCidr: (i) => `172.17.${i + 1}.0/24`,
    parts: (layout, i, bridge) => ({
      routes: hostRoutes(layout, i),
      iptables: [
        "-P FORWARD DROP",
        `-A FORWARD -i ${bridge} -j ACCEPT`,
        `-A FORWARD -o ${bridge} -j ACCEPT`,
        `-t nat -A POSTROUTING -s ${layout.cidrs[i]} ! -o ${bridge} -j MASQUERADE`,
      ],
    }),
    finish: publishFirstPods,
  }),
  ...CALICO_BUILDERS,
};
