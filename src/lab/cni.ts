/**
 * Pods made by the real CNI plugins, as the kubelet has a flannel node make
 * them: for each pod of a node whose configuration is flannel's (a bridge
 * and a cluster network, `Node.network`), the lab runs `loopback`, then
 * `bridge` with `host-local` IPAM from the Debian package
 * containernetworking-plugins, configured as flannel's CNI plugin
 * configures its delegate (`isGateway`, `isDefaultGateway`, `hairpinMode`,
 * the pod MTU, the node's range and a route to the cluster network). Then
 * it reads back what the plugins made and compares it, item by item, with
 * the model: addresses, MTUs, links up, routes, the host end's bridge.
 * The names and MACs the plugins choose at random (`veth…`, the veth MACs)
 * are adopted into the model before anything is traced; everything else
 * must agree. `DEL` runs before the lab is torn down, and must leave no
 * address reserved.
 *
 * Plugins get their data as the kubelet passes it: environment variables
 * (through `env`, as argv) and the network configuration as JSON on
 * standard input. No shell runs; every name is the lab's own.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";
import type { Device, Namespace, Node, Pod, World } from "../model/world.js";

/** Where Debian's containernetworking-plugins (and the upstream tarball) put the plugins. */
export const CNI_DIRS: readonly string[] = ["/usr/lib/cni", "/opt/cni/bin"];

/** The plugins the lab runs. */
const PLUGINS = ["loopback", "bridge", "host-local"] as const;

/** One pod the plugins make. */
export interface CniPod {
  readonly pod: Pod;
  readonly node: Node;
  /** The pod's namespace in the model (with its devices and routes: what the plugins must make). */
  readonly podNs: Namespace;
  /** The model's host end of the pod's veth. */
  readonly hostEnd: Device & { kind: "veth" };
}

/** What the plugins made of one pod, as the lab read it back. */
export interface CniMade {
  readonly pod: string;
  /** The host end's name (`veth…`, chosen by the plugin). */
  readonly hostName: string;
  readonly hostMac: Mac;
  readonly podMac: Mac;
}

/** The lab's comparison of the plugins' state with the model. */
export interface CniCheck {
  /** The plugins' folder. */
  readonly dir: string;
  /** Items compared (an address, an MTU, a route, ...). */
  readonly items: number;
  /** Each item where Linux and the model differ. */
  readonly differences: readonly string[];
}

/**
 * The pods of a world that flannel's CNI configuration makes, when it
 * makes them all: every pod on a node with a bridge and a cluster network,
 * with a sandbox exactly as the plugins make it. A world that changed a
 * sandbox, or a node in a way the plugins would undo, gets none: the lab
 * then builds every pod as the model has it.
 *
 * @param world The world.
 * @returns The pods, in the world's order (empty: the lab's commands make them).
 */
export function cniPods(world: World): CniPod[] {
  const made = standardPods(world);
  return made.length === world.pods.length ? made : [];
}

/** The pods whose sandboxes are as the plugins make them. */
export function standardPods(world: World): CniPod[] {
  const out: CniPod[] = [];
  for (const pod of world.pods) {
    const node = world.nodes.find((n) => n.name === pod.node);
    if (node?.bridge === undefined || node.network === undefined) continue;
    const podNs = world.namespaces.find((n) => n.name === pod.namespace);
    const eth0 = podNs?.devices.find((d) => d.name === "eth0");
    if (podNs === undefined || eth0?.kind !== "veth") continue;
    const hostNs = world.namespaces.find((n) => n.name === eth0.peer.namespace);
    const hostEnd = hostNs?.devices.find((d) => d.name === eth0.peer.device);
    if (hostEnd?.kind !== "veth" || hostEnd.master !== node.bridge || !hostNs) continue;
    if (!asPluginsMakeIt(node, hostNs, podNs, eth0, hostEnd)) continue;
    out.push({ pod, node, podNs, hostEnd });
  }
  return out;
}

/**
 * Whether a pod's sandbox is exactly what the plugins make of it: `lo` up
 * with 127.0.0.1/8; `eth0` up with one address in the node's range and the
 * pod MTU; the connected route, the default route and the cluster route
 * via the bridge's address; no neighbours, rules or forwarding; the host
 * end up, with the pod MTU, on the bridge. A sandbox the world changed
 * (a device down, an MTU, a route) is built by the lab's own commands, as
 * the model has it.
 */
function asPluginsMakeIt(
  node: Node,
  hostNs: Namespace,
  podNs: Namespace,
  eth0: Device & { kind: "veth" },
  hostEnd: Device & { kind: "veth" },
): boolean {
  const bridge = hostNs.devices.find((d) => d.name === node.bridge);
  const gw = bridge?.addresses.find((a) => node.podCidr.contains(a.addr))?.addr;
  const lo = podNs.devices.find((d) => d.kind === "loopback");
  const a = eth0.addresses[0];
  if (gw === undefined || !bridge?.up || node.network === undefined) return false;
  // The bridge plugin turns forwarding on (isGateway): a node the world left
  // with ip_forward off would not stay so.
  if (!hostNs.sysctl.ipForward) return false;
  // It also gives the bridge the pod MTU it is configured with.
  if (bridge.mtu !== node.podMtu) return false;
  if (podNs.devices.length !== 2 || !lo?.up || lo.addresses.map(String).join() !== "127.0.0.1/8") {
    return false;
  }
  if (!eth0.up || eth0.mtu !== node.podMtu || eth0.addresses.length !== 1) return false;
  if (a.bits !== node.podCidr.bits || !node.podCidr.contains(a.addr) || a.addr === gw) return false;
  if (!hostEnd.up || hostEnd.mtu !== node.podMtu || hostEnd.addresses.length > 0) return false;
  if (podNs.neighbours.length > 0 || podNs.netfilter.rules.length > 0) return false;
  if (podNs.netfilter.forwardPolicy !== "ACCEPT") return false;
  if (podNs.sysctl.ipForward || podNs.sysctl.defaultTtl !== 64) return false;
  const routes = podNs.routes.map((r) =>
    `${r.type} ${r.dst} ${r.via ?? "-"} ${r.dev} ${r.metric} ${r.onlink} ${r.src ?? "-"}`
  ).sort();
  const expected = [
    `unicast ${node.podCidr} - eth0 0 false ${a.addr}`,
    `unicast 0.0.0.0/0 ${gw} eth0 0 false -`,
    `unicast ${node.network} ${gw} eth0 0 false -`,
  ].sort();
  return routes.join("\n") === expected.join("\n");
}

/**
 * The world the lab's script builds when the plugins make `pods`: their
 * namespaces empty (the plugins bring up `lo` and add `eth0`), and no host
 * ends on the nodes.
 *
 * @param world The model's world.
 * @param pods The pods the plugins make.
 * @returns The world without those sandboxes' devices and routes.
 */
export function withoutSandboxes(world: World, pods: readonly CniPod[]): World {
  const empty = new Set(pods.map((p) => p.podNs.name));
  const ends = new Set(pods.map((p) => `${p.hostEnd.namespace}/${p.hostEnd.name}`));
  return {
    ...world,
    namespaces: world.namespaces.map((ns) =>
      empty.has(ns.name)
        ? { ...ns, devices: [], routes: [] }
        : { ...ns, devices: ns.devices.filter((d) => !ends.has(`${ns.name}/${d.name}`)) }
    ),
  };
}

/** The folder holding all of {@linkcode PLUGINS}, or undefined. */
export async function cniDir(): Promise<string | undefined> {
  for (const dir of CNI_DIRS) {
    const all = await Promise.all(
      PLUGINS.map((p) => Deno.stat(`${dir}/${p}`).then((s) => s.isFile, () => false)),
    );
    if (all.every(Boolean)) return dir;
  }
  return undefined;
}

/** Runs programs in the lab's namespaces (the part of `Lab` the plugins need). */
export interface CniHost {
  /** Linux namespace name of every model namespace. */
  readonly namespaces: Readonly<Record<string, string>>;
  /** The lab's private folder. */
  scratch(): Promise<string>;
  /** Runs a program (argv only, `stdin` as its input) and waits for it. */
  command(
    argv: readonly string[],
    stdin?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** The network configuration flannel's CNI plugin hands the bridge plugin for `node`. */
export function bridgeConfig(node: Node, dataDir: string): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "cbr0",
    type: "bridge",
    bridge: node.bridge,
    isGateway: true,
    isDefaultGateway: true,
    hairpinMode: true,
    mtu: node.podMtu,
    ipam: {
      type: "host-local",
      ranges: [[{ subnet: node.podCidr.toString() }]],
      routes: [{ dst: node.network!.toString() }],
      dataDir,
    },
  });
}

const LOOPBACK_CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "lo", type: "loopback" });

/** One plugin call, as the kubelet makes it: env as argv to `env`, config on stdin. */
async function call(
  host: CniHost,
  dir: string,
  p: CniPod,
  command: "ADD" | "DEL",
  plugin: "loopback" | "bridge",
  config: string,
): Promise<string> {
  const nodeNs = host.namespaces[p.node.namespace];
  const podNs = host.namespaces[p.podNs.name];
  const ip = p.podNs.devices.find((d) => d.name === "eth0")?.addresses[0]?.addr;
  const argv = [
    "ip",
    "netns",
    "exec",
    nodeNs,
    "env",
    `CNI_COMMAND=${command}`,
    `CNI_CONTAINERID=${podNs}`,
    `CNI_NETNS=/run/netns/${podNs}`,
    `CNI_IFNAME=${plugin === "loopback" ? "lo" : "eth0"}`,
    `CNI_PATH=${dir}`,
    // host-local takes the address the model gave the pod (as a pinned IP).
    ...(plugin === "bridge" && ip ? [`CNI_ARGS=IgnoreUnknown=1;IP=${ip}`] : []),
    `${dir}/${plugin}`,
  ];
  const r = await host.command(argv, config);
  if (r.code !== 0) {
    const why = (r.stdout + r.stderr).trim().split("\n").slice(-2).join(" | ");
    throw new Error(`CNI ${plugin} ${command} for pod ${p.pod.name} failed: ${why}`);
  }
  return r.stdout;
}

/**
 * Makes every pod with the plugins (ADD), in order, as the kubelet would.
 *
 * @param host The lab.
 * @param dir The plugins' folder.
 * @param pods The pods.
 */
export async function addPods(host: CniHost, dir: string, pods: readonly CniPod[]) {
  const data = `${await host.scratch()}/cni`;
  for (const p of pods) {
    await call(host, dir, p, "ADD", "loopback", LOOPBACK_CONFIG);
    await call(host, dir, p, "ADD", "bridge", bridgeConfig(p.node, data));
  }
}

/**
 * Removes every pod with the plugins (DEL), and says what host-local still
 * holds afterwards (it must hold no address).
 *
 * @param host The lab.
 * @param dir The plugins' folder.
 * @param pods The pods.
 * @returns The addresses still reserved (empty when DEL freed them all).
 */
export async function deletePods(
  host: CniHost,
  dir: string,
  pods: readonly CniPod[],
): Promise<string[]> {
  const data = `${await host.scratch()}/cni`;
  for (const p of [...pods].reverse()) {
    await call(host, dir, p, "DEL", "bridge", bridgeConfig(p.node, data));
    await call(host, dir, p, "DEL", "loopback", LOOPBACK_CONFIG);
  }
  const left: string[] = [];
  try {
    for (const e of Deno.readDirSync(`${data}/cbr0`)) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(e.name)) left.push(e.name);
    }
  } catch {
    // no folder: nothing reserved
  }
  return left;
}

interface IpLink {
  readonly ifindex: number;
  readonly link_index?: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly mtu: number;
  readonly master?: string;
  readonly address: string;
  readonly addr_info?: readonly { family: string; local: string; prefixlen: number }[];
}

interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev: string;
  readonly protocol?: string;
}

async function json<T>(host: CniHost, argv: readonly string[]): Promise<T> {
  const r = await host.command(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** A model route as `ip -j route` would print its key fields. */
function routeKey(dst: string, via: string | undefined, dev: string | undefined): string {
  return `${dst}${via ? ` via ${via}` : ""}${dev ? ` dev ${dev}` : ""}`;
}

/**
 * Reads back what the plugins made and compares it with the model.
 *
 * @param host The lab.
 * @param dir The plugins' folder.
 * @param world The model's world.
 * @param pods The pods the plugins made.
 * @returns The comparison, and each pod's plugin-chosen names and MACs.
 */
export async function readPods(
  host: CniHost,
  dir: string,
  world: World,
  pods: readonly CniPod[],
): Promise<{ check: CniCheck; made: CniMade[] }> {
  const differences: string[] = [];
  let items = 0;
  const same = (what: string, linux: unknown, model: unknown) => {
    items++;
    if (String(linux) !== String(model)) {
      differences.push(`${what}: Linux ${String(linux)}, model ${String(model)}`);
    }
  };
  const made: CniMade[] = [];
  const bridges = new Set<string>();
  for (const p of pods) {
    const ns = host.namespaces[p.podNs.name];
    const nodeNs = host.namespaces[p.node.namespace];
    const who = `pod ${p.pod.name}`;
    const links = await json<IpLink[]>(host, ["ip", "-j", "-n", ns, "addr", "show"]);
    for (const d of p.podNs.devices) {
      const l = links.find((x) => x.ifname === d.name);
      same(`${who} ${d.name} exists`, l !== undefined, true);
      if (l === undefined) continue;
      same(`${who} ${d.name} up`, l.flags.includes("UP"), d.up);
      if (d.kind !== "loopback") same(`${who} ${d.name} mtu`, l.mtu, d.mtu);
      const v4 = (l.addr_info ?? []).filter((a) => a.family === "inet");
      same(
        `${who} ${d.name} addresses`,
        v4.map((a) => `${a.local}/${a.prefixlen}`).sort().join(","),
        d.addresses.map(String).sort().join(","),
      );
    }
    const routes = await json<IpRoute[]>(host, ["ip", "-j", "-n", ns, "route", "show"]);
    const linuxRoutes = new Set(routes.map((r) => routeKey(r.dst, r.gateway, r.dev)));
    const modelRoutes = new Set(
      p.podNs.routes.map((r) =>
        routeKey(r.dst.bits === 0 ? "default" : r.dst.toString(), r.via?.toString(), r.dev)
      ),
    );
    for (const k of new Set([...linuxRoutes, ...modelRoutes])) {
      same(
        `${who} route ${k}`,
        linuxRoutes.has(k) ? "present" : "absent",
        modelRoutes.has(k) ? "present" : "absent",
      );
    }
    const eth0 = links.find((x) => x.ifname === "eth0");
    const hostLinks = await json<IpLink[]>(host, ["ip", "-j", "-n", nodeNs, "link", "show"]);
    const end = hostLinks.find((x) => x.ifindex === eth0?.link_index);
    same(`${who} host end exists`, end !== undefined, true);
    if (eth0 === undefined || end === undefined) continue;
    same(`${who} host end ${end.ifname} bridge`, end.master, p.hostEnd.master);
    same(`${who} host end ${end.ifname} mtu`, end.mtu, p.hostEnd.mtu);
    same(`${who} host end ${end.ifname} up`, end.flags.includes("UP"), p.hostEnd.up);
    const hostMac = Mac.parse(end.address);
    const podMac = Mac.parse(eth0.address);
    if (hostMac.ok && podMac.ok) {
      made.push({
        pod: p.pod.name,
        hostName: end.ifname,
        hostMac: hostMac.value,
        podMac: podMac.value,
      });
    }
    bridges.add(`${p.node.namespace}/${p.node.bridge}`);
  }
  // The plugins must leave each bridge as the model has it: address, MAC, MTU.
  for (const key of bridges) {
    const [nsName, name] = key.split("/");
    const model = world.namespaces.find((n) => n.name === nsName)?.devices.find((d) =>
      d.name === name
    );
    const [l] = await json<IpLink[]>(host, [
      "ip",
      "-j",
      "-n",
      host.namespaces[nsName],
      "addr",
      "show",
      "dev",
      name,
    ]);
    if (model === undefined || l === undefined) continue;
    same(`${nsName} ${name} mac`, l.address, model.mac.toString());
    same(`${nsName} ${name} mtu`, l.mtu, model.mtu);
    same(
      `${nsName} ${name} addresses`,
      (l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)
        .sort().join(","),
      model.addresses.map(String).sort().join(","),
    );
  }
  return { check: { dir, items, differences }, made };
}

/**
 * The lab's ARP timing on the devices the plugins made, as the script sets
 * it on its own (`retrans 100`: ARP gives up after 300 ms, not 3 s). Timing
 * only: what is answered does not change.
 *
 * @param host The lab.
 * @param pods The pods.
 * @param made What the plugins made of them.
 */
export async function fastArp(host: CniHost, pods: readonly CniPod[], made: readonly CniMade[]) {
  for (const p of pods) {
    const m = made.find((x) => x.pod === p.pod.name);
    const devices: [string, string][] = [[p.podNs.name, "eth0"]];
    if (m) devices.push([p.node.namespace, m.hostName]);
    for (const [ns, dev] of devices) {
      const argv = ["ip", "-n", host.namespaces[ns], "ntable", "change", "name", "arp_cache"];
      const r = await host.command([...argv, "dev", dev, "retrans", "100"]);
      if (r.code !== 0) throw new Error(`${argv.join(" ")} dev ${dev}: ${r.stderr.trim()}`);
    }
  }
}

/**
 * The model with the names and MACs the plugins chose: each pod's `eth0`
 * MAC, its host end's name and MAC (and the peers that name them).
 *
 * @param world The model's world.
 * @param made What the plugins made.
 * @returns The world the probes are traced in.
 */
export function adoptPluginNames(world: World, made: readonly CniMade[]): World {
  const byPod = new Map(made.map((m) => [m.pod, m]));
  const podNs = new Map<string, CniMade>();
  const hostEnd = new Map<string, CniMade>();
  for (const pod of world.pods) {
    const m = byPod.get(pod.name);
    const ns = world.namespaces.find((n) => n.name === pod.namespace);
    const eth0 = ns?.devices.find((d) => d.name === "eth0");
    if (m === undefined || ns === undefined || eth0?.kind !== "veth") continue;
    podNs.set(ns.name, m);
    hostEnd.set(`${eth0.peer.namespace}/${eth0.peer.device}`, m);
  }
  return {
    ...world,
    namespaces: world.namespaces.map((ns) => ({
      ...ns,
      devices: ns.devices.map((d): Device => {
        const asPod = podNs.get(ns.name);
        if (asPod && d.kind === "veth" && d.name === "eth0") {
          return { ...d, mac: asPod.podMac, peer: { ...d.peer, device: asPod.hostName } };
        }
        const asHost = hostEnd.get(`${ns.name}/${d.name}`);
        if (asHost && d.kind === "veth") {
          return { ...d, name: asHost.hostName, mac: asHost.hostMac };
        }
        return d;
      }),
    })),
  };
}
