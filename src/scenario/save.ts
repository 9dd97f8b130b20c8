/**
 * Turns a world back into a scenario document: what `loadScenario` reads,
 * `toScenario` writes (`loadScenario(toScenario(w))` gives `w` back).
 *
 * @module
 */
import { formatFdb } from "../syntax/bridgefdb.js";
import { formatNeighbour } from "../syntax/ipneigh.js";
import { formatRoute } from "../syntax/iproute.js";
import { connectedRoutes } from "../world/routes.js";
import { iptablesLines } from "../world/edit.js";
import { unmodelledDocs } from "./unmodelled.js";
import type { Container, Device, Namespace, Route, World } from "../model/world.js";
import { defaultMac } from "../world/names.js";
import type { ContainerDoc, DeviceDoc, NamespaceDoc, ScenarioDoc } from "./schema.js";

/**
 * A route's line, made once per route: the nodes of a cluster share most
 * of their routes (`shared-routes.ts`), so a 5,000-node document holds
 * 5,000 distinct texts, not 25 million copies.
 */
const routeTexts = new WeakMap<Route, string>();
function routeText(r: Route): string {
  let text = routeTexts.get(r);
  if (text === undefined) routeTexts.set(r, text = formatRoute(r));
  return text;
}

/**
 * Writes a world as a scenario document (schema version 1).
 *
 * @param world The world.
 * @returns Plain JSON data.
 * @example
 * ```ts
 * import { toScenario } from "./save.js";
 * declare const world: import("../model/world.js").World;
 * JSON.stringify(toScenario(world), null, 2);
 * ```
 */
export function toScenario(world: World): ScenarioDoc {
  return {
    version: 1,
    name: world.name,
    mode: world.mode,
    ...(world.description ? { description: world.description } : {}),
    segments: world.segments.map((s) => ({ name: s.name, mtu: s.mtu })),
    nodes: world.nodes.map((n) => ({
      name: n.name,
      ...(n.namespace !== n.name ? { namespace: n.namespace } : {}),
      podCidr: n.podCidr.toString(),
      ...(n.bridge === undefined ? {} : { bridge: n.bridge }),
      podMtu: n.podMtu,
      ...(n.lastReserved ? { lastReserved: n.lastReserved.toString() } : {}),
      ...(n.network ? { network: n.network.toString() } : {}),
    })),
    namespaces: world.namespaces.map(namespaceDoc),
    pods: world.pods.map((p) => ({
      name: p.name,
      node: p.node,
      ...(p.namespace ? { namespace: p.namespace } : {}),
      containers: p.containers.map(containerDoc),
    })),
  };
}

function namespaceDoc(ns: Namespace): NamespaceDoc {
  const derived = connectedRoutes(ns.devices);
  const kept = (r: (typeof derived)[number]) =>
    ns.routes.some((x) => x.proto === "kernel" && x.dst === r.dst && x.dev === r.dev);
  const sysctl: Record<string, number> = { "net.ipv4.ip_forward": ns.sysctl.ipForward ? 1 : 0 };
  if (ns.sysctl.defaultTtl !== 64) sysctl["net.ipv4.ip_default_ttl"] = ns.sysctl.defaultTtl;
  for (const dev of ns.sysctl.proxyArp ?? []) sysctl[`net.ipv4.conf.${dev}.proxy_arp`] = 1;
  const doc: Record<string, unknown> = {
    name: ns.name,
    role: ns.role,
    sysctl,
    devices: ns.devices.map(deviceDoc),
  };
  // Routes without a gateway first: a gateway needs a link route to it when
  // the file is loaded (Calico's default via 169.254.1.1 needs its dev route).
  const statics = ns.routes.filter((r) => r.proto !== "kernel");
  const routes = [...statics.filter((r) => !r.via), ...statics.filter((r) => r.via)]
    .map(routeText);
  const removed = derived.filter((r) => !kept(r)).map((r) => `${r.dst} dev ${r.dev}`);
  const fdb = ns.devices.flatMap(fdbLines);
  const iptables = iptablesLines(ns);
  if (routes.length) doc.routes = routes;
  if (removed.length) doc.removedKernelRoutes = removed;
  if (ns.neighbours.length) {
    doc.neighbours = ns.neighbours.map(formatNeighbour).map((l) =>
      l.replace(/ ([A-Z]+)$/, (_, s) => ` nud ${s.toLowerCase()}`)
    );
  }
  if (fdb.length) doc.fdb = fdb;
  if (iptables.length) doc.iptables = iptables;
  if (ns.unmodelled?.length) doc.unmodelled = unmodelledDocs(ns.unmodelled);
  return doc as unknown as NamespaceDoc;
}

function fdbLines(d: Device): string[] {
  if (d.kind === "vxlan") {
    return d.fdb.map((e) =>
      formatFdb({ mac: e.mac, dev: d.name, dst: e.dst, table: "self", state: "permanent" })
    );
  }
  if (d.kind === "bridge") {
    return d.fdb.map((e) =>
      formatFdb({
        mac: e.mac,
        dev: e.port,
        table: "master",
        state: e.state === "learned" ? "learned" : "static",
        bridge: d.name,
      })
    );
  }
  return [];
}

function deviceDoc(d: Device): DeviceDoc {
  const doc: Record<string, unknown> = { name: d.name, kind: d.kind };
  if (!d.up) doc.up = false;
  if (d.mtu !== (d.kind === "loopback" ? 65536 : 1500)) doc.mtu = d.mtu;
  if (d.kind !== "loopback" && d.kind !== "ipip" && d.mac !== defaultMac(d.namespace, d.name)) {
    doc.mac = d.mac.toString();
  }
  const isDefaultLo = d.kind === "loopback" && d.addresses.length === 1 &&
    d.addresses[0].toString() === "127.0.0.1/8";
  if (!isDefaultLo && (d.addresses.length > 0 || d.kind === "loopback")) {
    doc.addresses = d.addresses.map(String);
  }
  if (d.master) doc.master = d.master;
  switch (d.kind) {
    case "veth":
      doc.peer = `${d.peer.namespace}/${d.peer.device}`;
      break;
    case "nic":
      doc.segment = d.segment;
      break;
    case "vxlan":
      Object.assign(doc, {
        vni: d.vni,
        ...(d.local ? { local: d.local.toString() } : {}),
        dstport: d.dstport,
      });
      if (d.dev) doc.dev = d.dev;
      doc.learning = d.learning;
      break;
    case "ipip":
      if (d.local) doc.local = d.local.toString();
      if (d.remote) doc.remote = d.remote.toString();
      break;
    case "loopback":
    case "bridge":
      break;
  }
  return doc as unknown as DeviceDoc;
}

function containerDoc(c: Container): ContainerDoc {
  return {
    name: c.name,
    ...(c.pause ? { pause: true } : {}),
    ...(c.state !== "running" ? { state: c.state } : {}),
    ...(c.restarts ? { restarts: c.restarts } : {}),
    ...(c.ports.length ? { ports: c.ports.map((p) => `${p.port}/${p.protocol}`) } : {}),
  };
}
