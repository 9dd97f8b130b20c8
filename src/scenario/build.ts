/**
 * Builders: functions that produce scenario documents for the networking
 * modes the course teaches, with fixed naming rules — `eth0` in a pod,
 * `vethXXXXXXXX` on the node, `cbr0` (or `docker0`), `flannel.1` — and
 * addresses laid out as flannel lays them out (a /24 per node of
 * 10.244.0.0/16, nodes at 192.168.0.11, .12, ...).
 *
 * @module
 */
import { Addr, formatParseError, maskOf, Prefix } from "../addr/mod.js";
import { createPod } from "../pods/lifecycle.js";
import { err, ok, type Result } from "../result.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { podIp } from "../world/query.js";
import type { World } from "../model/world.js";
import { loadScenario } from "./load.js";
import { formatLoadError } from "./reader.js";
import { defaultMac, type Mode, MODES } from "../world/names.js";
import { toScenario } from "./save.js";
import type { DeviceDoc, NamespaceDoc, ScenarioDoc } from "./schema.js";

export { type Mode, MODES } from "../world/names.js";

/** What to build. Every field but `mode` has a default. */
export interface ClusterSpec {
  readonly mode: Mode;
  /** Scenario name (default: the mode). */
  readonly name?: string;
  /** Number of nodes (default 1 for single-host, else 2). */
  readonly nodes?: number;
  /** Pods per node: one number for all, or one per node (default 2; single-host 3). */
  readonly pods?: number | readonly number[];
  /** Pod CIDR per node (default 10.244.N.0/24; same-range 10.244.0.0/24 everywhere; nat 172.17.N.0/24). */
  readonly podCidrs?: readonly string[];
  /** Range the flannel masquerade rules treat as the cluster (default: smallest prefix covering all pod CIDRs). */
  readonly clusterCidr?: string;
  /** Underlay subnet (default 192.168.0.0/24); node N gets host number 10 + N, the gateway 1. */
  readonly underlay?: string;
  /** Underlay MTU (default 1500). */
  readonly mtu?: number;
  readonly description?: { readonly en: string; readonly ko: string };
}

/** Why a cluster could not be built. */
export interface BuildError {
  readonly field: keyof ClusterSpec;
  readonly message: string;
}

interface Layout {
  readonly spec: ClusterSpec;
  readonly nodeCount: number;
  readonly pods: readonly number[];
  readonly cidrs: readonly Prefix[];
  readonly cluster: Prefix;
  readonly underlay: Prefix;
  readonly mtu: number;
  readonly bridge: string;
  readonly podMtu: number;
}

/**
 * Builds a scenario document for a mode.
 *
 * @param spec The mode and sizes.
 * @returns The document, or what is wrong with the spec.
 * @example
 * ```ts
 * import { buildScenario } from "./build.js";
 * const doc = buildScenario({ mode: "vxlan", nodes: 3, pods: 2 });
 * if (doc.ok) console.log(doc.value.pods.map((p) => p.name)); // ["a", ..., "f"]
 * ```
 */
export function buildScenario(spec: ClusterSpec): Result<ScenarioDoc, BuildError> {
  const layout = plan(spec);
  if (!layout.ok) return layout;
  let world = loadRefusingLines(infrastructure(layout.value));
  const names = podNames(layout.value.pods);
  for (let n = 0; n < layout.value.nodeCount; n++) {
    for (let k = 0; k < layout.value.pods[n]; k++) {
      const created = createPod(world, {
        name: names[n][k],
        node: nodeName(n),
        containers: [
          {
            name: "app",
            ports: [{ port: 8080, protocol: "tcp" }, { port: 8080, protocol: "udp" }],
          },
          { name: "sidecar", ports: [{ port: 9090, protocol: "tcp" }] },
        ],
      });
      if (!created.ok) return err({ field: "pods", message: created.error.message });
      world = created.value.world;
    }
  }
  if (spec.mode === "nat") world = publishFirstPods(world, layout.value);
  return ok(toScenario(world));
}

/**
 * Builds and loads a scenario in one go.
 *
 * @param spec The mode and sizes.
 * @returns The world or what is wrong with the spec.
 */
export function buildWorld(spec: ClusterSpec): Result<World, BuildError> {
  const doc = buildScenario(spec);
  if (!doc.ok) return doc;
  const world = loadScenario(doc.value);
  if (!world.ok) {
    throw new Error(
      `Builder produced a bad scenario: ${world.error.map(formatLoadError).join("; ")}`,
    );
  }
  return ok(world.value);
}

/** A route, neighbour or FDB line the kernel refused, by its JSON path. */
const REFUSED_LINE = /^\/namespaces\/(\d+)\/(routes|neighbours|fdb)\/(\d+)$/;

/**
 * Loads the infrastructure the way an operator's script would run: a line
 * that `ip route add`, `ip neigh add` or `bridge fdb add` refuses (with
 * overlapping pod ranges a gateway can be a local address, or a route exist
 * already) is simply not there. Any other problem is a bug in a builder.
 */
function loadRefusingLines(doc: ScenarioDoc): World {
  let current = doc;
  for (;;) {
    const loaded = loadScenario(current);
    if (loaded.ok) return loaded.value;
    const refused = loaded.error.map((e) => REFUSED_LINE.exec(e.path));
    if (refused.some((m) => m === null)) {
      throw new Error(
        `Builder produced a bad scenario: ${loaded.error.map(formatLoadError).join("; ")}`,
      );
    }
    current = withoutLines(current, refused as RegExpExecArray[]);
  }
}

function withoutLines(doc: ScenarioDoc, refused: readonly RegExpExecArray[]): ScenarioDoc {
  const drop = new Set(refused.map((m) => `${m[1]}/${m[2]}/${m[3]}`));
  const keep = (ns: number, key: string) => (_: string, i: number) =>
    !drop.has(`${ns}/${key}/${i}`);
  return {
    ...doc,
    namespaces: doc.namespaces.map((ns, i) => ({
      ...ns,
      routes: ns.routes?.filter(keep(i, "routes")),
      neighbours: ns.neighbours?.filter(keep(i, "neighbours")),
      fdb: ns.fdb?.filter(keep(i, "fdb")),
    })),
  };
}

function plan(spec: ClusterSpec): Result<Layout, BuildError> {
  if (!(MODES as readonly string[]).includes(spec.mode)) {
    return err({ field: "mode", message: `Mode must be one of ${MODES.join(", ")}` });
  }
  const nodeCount = spec.nodes ?? (spec.mode === "single-host" ? 1 : 2);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 200) {
    return err({ field: "nodes", message: "Nodes must be a whole number from 1 to 200" });
  }
  if (spec.mode === "single-host" && nodeCount !== 1) {
    return err({ field: "nodes", message: "single-host has one node" });
  }
  const pods = typeof spec.pods === "object"
    ? [...spec.pods]
    : Array(nodeCount).fill(spec.pods ?? (spec.mode === "single-host" ? 3 : 2));
  if (pods.length !== nodeCount || pods.some((n) => !Number.isInteger(n) || n < 0 || n > 250)) {
    return err({
      field: "pods",
      message: "Pods per node must be whole numbers from 0 to 250, one per node",
    });
  }
  const cidrs = readCidrs(spec, nodeCount);
  if (!cidrs.ok) return cidrs;
  const underlay = readPrefix(spec.underlay ?? "192.168.0.0/24", "underlay");
  if (!underlay.ok) return underlay;
  if (underlay.value.size < nodeCount + 12) {
    return err({ field: "underlay", message: "Underlay subnet is too small for the nodes" });
  }
  const mtu = spec.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 9000) {
    return err({ field: "mtu", message: "MTU must be from 576 to 9000" });
  }
  const flannelDefault = Prefix.mustParse("10.244.0.0/16");
  const cluster = spec.clusterCidr ? readPrefix(spec.clusterCidr, "clusterCidr") : ok(
    cidrs.value.every((c) => flannelDefault.contains(c.first) && c.bits >= 16)
      ? flannelDefault
      : covering(cidrs.value),
  );
  if (!cluster.ok) return cluster;
  return ok({
    spec,
    nodeCount,
    pods,
    cidrs: cidrs.value,
    cluster: cluster.value,
    underlay: underlay.value.masked(),
    mtu,
    bridge: spec.mode === "nat" ? "docker0" : "cbr0",
    podMtu: spec.mode === "vxlan" ? mtu - VXLAN_OVERHEAD : mtu,
  });
}

function readPrefix(text: string, field: keyof ClusterSpec): Result<Prefix, BuildError> {
  const p = Prefix.parse(text);
  return p.ok ? ok(p.value) : err({ field, message: formatParseError(p.error) });
}

function readCidrs(spec: ClusterSpec, count: number): Result<Prefix[], BuildError> {
  const texts = spec.podCidrs ?? Array.from({ length: count }, (_, i) => defaultCidr(spec.mode, i));
  if (texts.length !== count) {
    return err({ field: "podCidrs", message: "Give one pod CIDR per node" });
  }
  const out: Prefix[] = [];
  for (const t of texts) {
    const p = readPrefix(t, "podCidrs");
    if (!p.ok) return p;
    if (!p.value.isMasked || p.value.bits > 28 || p.value.bits < 8) {
      return err({
        field: "podCidrs",
        message: `${t}: a pod CIDR is a network prefix from /8 to /28`,
      });
    }
    out.push(p.value);
  }
  return ok(out);
}

function defaultCidr(mode: Mode, i: number): string {
  if (mode === "same-range") return "10.244.0.0/24";
  if (mode === "nat") return `172.17.${i + 1}.0/24`;
  return `10.244.${i + 1}.0/24`;
}

/** The longest prefix that contains every given prefix. */
export function covering(prefixes: readonly Prefix[]): Prefix {
  let bits = Math.min(...prefixes.map((p) => p.bits));
  const base = prefixes[0].addr.value;
  while (bits > 0 && prefixes.some((p) => ((p.addr.value ^ base) & maskOf(bits)) !== 0)) bits--;
  return Prefix.of(Addr.fromUint32((base & maskOf(bits)) >>> 0), bits);
}

function nodeName(i: number): string {
  return `node-${i + 1}`;
}

function nodeIp(layout: Layout, i: number): Addr {
  return layout.underlay.first.add(11 + i)!;
}

function podNames(pods: readonly number[]): string[][] {
  const total = pods.reduce((a, b) => a + b, 0);
  let next = 0;
  return pods.map((count, n) =>
    Array.from(
      { length: count },
      (_, k) => (total <= 26 ? String.fromCharCode(97 + next++) : `p${n + 1}-${k + 1}`),
    )
  );
}

function infrastructure(layout: Layout): ScenarioDoc {
  const { spec } = layout;
  const nodes = Array.from({ length: layout.nodeCount }, (_, i) => i);
  const namespaces: NamespaceDoc[] = nodes.map((i) => nodeNamespace(layout, i));
  if (spec.mode === "gateway") namespaces.push(gatewayNamespace(layout));
  return {
    version: 1,
    name: spec.name ?? spec.mode,
    mode: spec.mode,
    ...(spec.description ? { description: spec.description } : {}),
    segments: [{ name: "underlay", mtu: layout.mtu }],
    nodes: nodes.map((i) => ({
      name: nodeName(i),
      podCidr: layout.cidrs[i].toString(),
      bridge: layout.bridge,
      podMtu: layout.podMtu,
    })),
    namespaces,
    pods: [],
  };
}

function nodeNamespace(layout: Layout, i: number): NamespaceDoc {
  const name = nodeName(i);
  const cidr = layout.cidrs[i];
  const devices: DeviceDoc[] = [
    {
      name: "eth0",
      kind: "nic",
      segment: "underlay",
      mtu: layout.mtu,
      addresses: [`${nodeIp(layout, i)}/${layout.underlay.bits}`],
    },
    {
      name: layout.bridge,
      kind: "bridge",
      mtu: layout.podMtu,
      addresses: [`${cidr.first.add(1)}/${cidr.bits}`],
    },
  ];
  const others = reachableOthers(layout, i);
  let routes: string[] = [];
  let neighbours: string[] = [];
  let fdb: string[] = [];
  let iptables: string[] = [];
  switch (layout.spec.mode) {
    case "single-host":
    case "same-range":
      break;
    case "gateway":
      routes = [`default via ${layout.underlay.first.add(1)} dev eth0`];
      break;
    case "host-gw":
      routes = others.map((j) => `${layout.cidrs[j]} via ${nodeIp(layout, j)} dev eth0`);
      iptables = flannelMasquerade(layout);
      break;
    case "vxlan": {
      devices.push({
        name: "flannel.1",
        kind: "vxlan",
        vni: 1,
        local: nodeIp(layout, i).toString(),
        dstport: 8472,
        dev: "eth0",
        learning: false,
        mtu: layout.podMtu,
        addresses: [`${cidr.first}/32`],
      });
      routes = others.map((j) =>
        `${layout.cidrs[j]} via ${layout.cidrs[j].first} dev flannel.1 onlink`
      );
      neighbours = others.map((j) =>
        `${layout.cidrs[j].first} dev flannel.1 lladdr ${
          defaultMac(nodeName(j), "flannel.1")
        } nud permanent`
      );
      fdb = others.map((j) =>
        `${defaultMac(nodeName(j), "flannel.1")} dev flannel.1 dst ${
          nodeIp(layout, j)
        } self permanent`
      );
      iptables = flannelMasquerade(layout);
      break;
    }
    case "nat":
      routes = others.map((j) => `${layout.cidrs[j]} via ${nodeIp(layout, j)} dev eth0`);
      iptables = [
        "-P FORWARD DROP",
        `-A FORWARD -i ${layout.bridge} -j ACCEPT`,
        `-A FORWARD -o ${layout.bridge} -j ACCEPT`,
        `-t nat -A POSTROUTING -s ${cidr} ! -o ${layout.bridge} -j MASQUERADE`,
      ];
      break;
  }
  return {
    name,
    role: "node",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices,
    ...(routes.length ? { routes } : {}),
    ...(neighbours.length ? { neighbours } : {}),
    ...(fdb.length ? { fdb } : {}),
    ...(iptables.length ? { iptables } : {}),
  };
}

/**
 * The nodes whose pod CIDR gets a route on node `i` (-1: the gateway): not
 * `i` itself, and not a range already routed — with overlapping ranges the
 * kernel refuses the second route ("File exists"), so the first one wins.
 */
function reachableOthers(layout: Layout, i: number): number[] {
  const seen = new Set<Prefix>(i >= 0 ? [layout.cidrs[i]] : []);
  const out: number[] = [];
  for (let j = 0; j < layout.nodeCount; j++) {
    if (j === i || seen.has(layout.cidrs[j])) continue;
    seen.add(layout.cidrs[j]);
    out.push(j);
  }
  return out;
}

/** flannel's `--ip-masq` rules: no NAT inside the cluster, MASQUERADE on the way out. */
function flannelMasquerade(layout: Layout): string[] {
  const c = layout.cluster;
  return [
    `-t nat -A POSTROUTING -s ${c} -d ${c} -j RETURN`,
    `-t nat -A POSTROUTING -s ${c} ! -d 224.0.0.0/4 -j MASQUERADE`,
  ];
}

function gatewayNamespace(layout: Layout): NamespaceDoc {
  return {
    name: "gateway",
    role: "router",
    sysctl: { "net.ipv4.ip_forward": 1 },
    devices: [
      {
        name: "eth0",
        kind: "nic",
        segment: "underlay",
        mtu: layout.mtu,
        addresses: [`${layout.underlay.first.add(1)}/${layout.underlay.bits}`],
      },
    ],
    routes: reachableOthers(layout, -1).map((j) =>
      `${layout.cidrs[j]} via ${nodeIp(layout, j)} dev eth0`
    ),
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
