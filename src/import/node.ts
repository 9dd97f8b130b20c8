/**
 * One node's collector document → the scenario namespaces it holds: the
 * node's own and each pod namespace, with devices (veth peers matched by
 * ifindex and link-netnsid, bridges and their ports, VXLAN devices,
 * routed veths), addresses, main-table routes with their types, permanent
 * neighbours, static FDB entries, the iptables rules the model evaluates
 * and the sysctls it reads. What the model lacks is kept as unmodelled
 * entries (see `model/world.ts`), never dropped silently.
 *
 * @module
 */
import { Addr, Mac, Prefix } from "../addr/mod.js";
import type { DeviceDoc, NamespaceDoc, UnmodelledDoc } from "../scenario/schema.js";
import { parseRoute } from "../syntax/iproute.js";
import { isInterfaceName } from "../syntax/tokens.js";
import {
  at,
  type CollectedNamespace,
  type CollectedNode,
  commandJson,
  type Json,
  own,
  Problems,
} from "./document.js";
import { importIptables } from "./iptables.js";

/** Names that reach the scenario (and from there the lab's shell commands). */
export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const DEVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** A link as `ip -j -d link show` printed it (the fields the importer reads). */
interface Link {
  readonly path: string;
  readonly ifindex: number;
  readonly name: string;
  readonly up: boolean;
  readonly mtu: number;
  readonly mac?: string;
  readonly master?: string;
  readonly netnsid?: number;
  readonly peerIndex?: number;
  readonly kind?: string;
  readonly slaveKind?: string;
  readonly loopback: boolean;
  readonly data: Json;
}

/** A device the node has that the model does not, and why. */
interface Unknown {
  readonly name: string;
  readonly what: string;
}

/** A device document while it is being filled in. */
type MutableDevice = { -readonly [K in keyof DeviceDoc]: DeviceDoc[K] };

/** A namespace in the making. */
interface Building {
  readonly collected: CollectedNamespace;
  readonly name: string;
  readonly links: Link[];
  readonly devices: Map<string, MutableDevice>;
  readonly unknown: Map<string, Unknown>;
  readonly unmodelled: UnmodelledDoc[];
}

/** A node NIC: where the underlay is inferred from. */
export interface NicFound {
  readonly namespace: string;
  readonly device: string;
  readonly addresses: readonly Prefix[];
  readonly mtu: number;
  /** True when it is a veth whose other end was not collected (a lab's underlay port). */
  readonly vethToOutside: boolean;
}

/** One node, imported. */
export interface NodeImport {
  readonly node: string;
  /** The node's namespace first, then its pod namespaces. */
  readonly namespaces: NamespaceDoc[];
  /** Scenario namespace name by `ip netns` name. */
  readonly netns: ReadonlyMap<string, string>;
  readonly nics: readonly NicFound[];
  /** The bridge most pod namespaces hang off, with its IPv4 prefix. */
  readonly bridge?: { readonly name: string; readonly cidr?: Prefix };
  /** Statements about what was inferred or left out. */
  readonly notes: string[];
  /** The connected (`proto kernel`) routes each namespace had, by namespace name. */
  readonly kernel: ReadonlyMap<string, readonly string[]>;
}

/**
 * Imports one node's document.
 *
 * @param doc The node's collected state.
 * @param p Collects problems (they name the node's file).
 * @returns The node's namespaces, or `undefined` when its document is unusable.
 */
export function importNode(doc: CollectedNode, p: Problems): NodeImport | undefined {
  const notes: string[] = [];
  if (!NAMESPACE_NAME.test(doc.node)) {
    return p.fail("/node", doc.node, "Not a usable node name ([A-Za-z0-9][A-Za-z0-9_.-]*, ≤ 63)");
  }
  // Every namespace's links first: which namespaces are this node's pods
  // (a veth to the node's own namespace) is known only once veths are matched.
  const read = doc.namespaces.map((ns) => {
    const problems = new Problems(p.file);
    const b: Building = {
      collected: ns,
      name: ns.netns ?? doc.node,
      links: readLinks(problems, ns),
      devices: new Map(),
      unknown: new Map(),
      unmodelled: [],
    };
    return { b, problems };
  });
  const matched = matchVeths(read.map((x) => x.b));
  const root = read[0]?.b;
  // A pod namespace: a veth to the node's own namespace and an IPv4 address
  // (a namespace without one, such as a lab's switch, is not a pod podnet can trace).
  const attached = (b: Building) =>
    b === root || (b.links.some((l) => matched.get(l)?.building === root) && hasIpv4(b));
  const building: Building[] = [];
  const left: string[] = [];
  for (const { b, problems } of read) {
    if (!attached(b)) {
      left.push(NAMESPACE_NAME.test(b.name) ? b.name : "(an unusable name)");
      continue;
    }
    if (!NAMESPACE_NAME.test(b.name)) {
      p.fail(
        at(b.collected.path, "netns"),
        b.name,
        "Not a usable namespace name ([A-Za-z0-9][A-Za-z0-9_.-]*)",
      );
      continue;
    }
    if (building.some((x) => x.name === b.name)) {
      p.fail(at(b.collected.path, "netns"), b.name, "Collected twice (or named like the node)");
      continue;
    }
    p.errors.push(...problems.errors);
    building.push(b);
  }
  if (left.length > 0) {
    notes.push(
      `${doc.node}: ${left.length} collected namespace(s) have no veth to the node's own or no IPv4 address, and were left out (not pods of this node): ${
        left.slice(0, 5).join(", ")
      }${left.length > 5 ? ", ..." : ""}`,
    );
  }
  if (p.errors.length > 0) return undefined;
  // Veths to a namespace left out lead outside what was collected.
  const peers: PeerMap = new Map(
    [...matched].filter(([l, x]) =>
      building.includes(x.building) && building.some((b) => b.links.includes(l))
    ),
  );
  const nics: NicFound[] = [];
  for (const b of building) {
    for (const l of b.links) classify(b, l, peers, notes);
  }
  for (const b of building) {
    readAddresses(p, b);
    readRoutes(p, b);
    readNeighbours(p, b);
    readFdb(p, b);
    readRules(p, b);
    readNetfilter(b, notes);
  }
  for (const b of building) {
    for (const d of b.devices.values()) {
      if (d.kind !== "nic") continue;
      const l = b.links.find((x) => x.name === d.name)!;
      nics.push({
        namespace: b.name,
        device: d.name,
        addresses: (d.addresses ?? []).map((a) => Prefix.mustParse(a)),
        mtu: d.mtu ?? 1500,
        vethToOutside: l.kind === "veth",
      });
    }
  }
  const namespaces = building.map((b, i) => namespaceDoc(b, i === 0, notes));
  const kernel = new Map(
    building.map((
      b,
    ) => [b.name, (routeLines.get(b) ?? []).filter((r) => r.kernel).map((r) => r.line)]),
  );
  const bridge = findBridge(building);
  const netns = new Map<string, string>();
  for (const b of building) if (b.collected.netns) netns.set(b.collected.netns, b.name);
  if (p.errors.length > 0) return undefined;
  return { node: doc.node, namespaces, netns, nics, bridge, notes, kernel };
}

// --- links -------------------------------------------------------------------------------

/** Whether a namespace has an IPv4 address on a device other than `lo`. */
function hasIpv4(b: Building): boolean {
  const c = b.collected.commands.addr;
  if (c === undefined || c.status !== 0) return false;
  try {
    const list = JSON.parse(c.out);
    return Array.isArray(list) &&
      list.some((x) =>
        Array.isArray(x?.addr_info) &&
        x.addr_info.some((a: { family?: unknown; local?: unknown }) =>
          a?.family === "inet" &&
          // lo's own 127.0.0.0/8 does not make a pod; an address moved onto lo does.
          (x.ifname !== "lo" || (typeof a.local === "string" && !a.local.startsWith("127.")))
        )
      );
  } catch {
    return false;
  }
}

function readLinks(p: Problems, ns: CollectedNamespace): Link[] {
  const list = commandJson(p, ns, "link") ?? [];
  const base = `${at(at(ns.path, "commands"), "link")}/out#`;
  const links: Link[] = [];
  list.forEach((v, i) => {
    const path = at(base, i);
    const o = p.object(v, path);
    if (o === undefined) return;
    const ifindex = p.int(o, "ifindex", path, 1, 2 ** 31);
    const name = p.string(o, "ifname", path);
    const mtu = p.int(o, "mtu", path, 0, 2 ** 31);
    if (ifindex === undefined || name === undefined || mtu === undefined) return;
    if (!DEVICE_NAME.test(name) || !isInterfaceName(name)) {
      p.fail(at(path, "ifname"), name, "Not a device name podnet accepts ([A-Za-z0-9_.-], ≤ 15)");
      return;
    }
    const flags = p.strings(o, "flags", path);
    const info = own(o, "linkinfo");
    const li = info === undefined ? {} : p.object(info, at(path, "linkinfo")) ?? {};
    const kind = p.string(li, "info_kind", at(path, "linkinfo"), true);
    const slaveKind = p.string(li, "info_slave_kind", at(path, "linkinfo"), true);
    const data = own(li, "info_data");
    const master = p.string(o, "master", path, true);
    if (master !== undefined && !DEVICE_NAME.test(master)) {
      p.fail(at(path, "master"), master, "Not a device name podnet accepts");
      return;
    }
    links.push({
      path,
      ifindex,
      name,
      up: flags.includes("UP"),
      mtu,
      mac: p.string(o, "address", path, true),
      master,
      netnsid: p.int(o, "link_netnsid", path, 0, 2 ** 31, true),
      peerIndex: p.int(o, "link_index", path, 0, 2 ** 31, true),
      kind,
      slaveKind,
      loopback: own(o, "link_type") === "loopback" || flags.includes("LOOPBACK"),
      data: typeof data === "object" && data !== null && !Array.isArray(data) ? data as Json : {},
    });
  });
  return links;
}

/** The namespaces' `ip netns list` view: nsid → netns name, per namespace. */
function nsids(b: Building): Map<number, string> {
  const out = new Map<number, string>();
  const c = b.collected.commands.netns;
  if (c === undefined || c.status !== 0) return out;
  try {
    const list = JSON.parse(c.out);
    if (!Array.isArray(list)) return out;
    for (const e of list) {
      if (typeof e?.name === "string" && Number.isInteger(e?.id)) out.set(e.id, e.name);
    }
  } catch {
    // an unreadable list only makes matching fall back to ifindex pairs
  }
  return out;
}

type PeerMap = Map<Link, { building: Building; link: Link }>;

/**
 * Matches veth ends: a veth's `link_index` is its peer's ifindex in the
 * namespace `link_netnsid` names (or its own, without one). The nsid is
 * looked up in the namespace's `ip netns list`; where it names nothing the
 * collector saw (the node's own namespace has no name), the peer is the
 * one veth elsewhere whose indexes are the mirror image.
 */
function matchVeths(all: readonly Building[]): PeerMap {
  const peers: PeerMap = new Map();
  const byNetns = new Map<string, Building>();
  for (const b of all) if (b.collected.netns) byNetns.set(b.collected.netns, b);
  const veths = all.flatMap((b) =>
    b.links.filter((l) => l.kind === "veth").map((l) => ({ building: b, link: l }))
  );
  for (const { building: b, link: l } of veths) {
    if (peers.has(l) || l.peerIndex === undefined) continue;
    let found: { building: Building; link: Link } | undefined;
    if (l.netnsid === undefined) {
      const x = b.links.find((y) => y.ifindex === l.peerIndex && y.kind === "veth");
      if (x) found = { building: b, link: x };
    } else {
      const named = nsids(b).get(l.netnsid);
      const target = named === undefined ? undefined : byNetns.get(named);
      if (target) {
        const x = target.links.find((y) => y.ifindex === l.peerIndex && y.kind === "veth");
        if (x) found = { building: target, link: x };
      } else if (named === undefined || !byNetns.has(named)) {
        const mirror = veths.filter((v) =>
          v.building !== b && v.link.ifindex === l.peerIndex && v.link.peerIndex === l.ifindex &&
          v.link.netnsid !== undefined && !peers.has(v.link) &&
          (nsids(v.building).get(v.link.netnsid) ?? b.collected.netns) === b.collected.netns &&
          // a name that is a collected namespace other than b rules it out
          named === undefined
        );
        if (mirror.length === 1) found = mirror[0];
      }
    }
    // First come, first matched: the node's own namespace is read first, so a
    // copy of it under another name (a lab's node namespace) does not take its pods.
    if (found && !peers.has(found.link)) {
      peers.set(l, found);
      peers.set(found.link, { building: b, link: l });
    }
  }
  return peers;
}

/** The model's kind for a link, or why it has none. */
function classify(b: Building, l: Link, peers: PeerMap, notes: string[]) {
  const base = {
    name: l.name,
    up: l.up,
    mtu: l.mtu,
    ...(l.mac && !l.loopback && Mac.parse(l.mac).ok && !Mac.mustParse(l.mac).isMulticast() &&
        l.mac !== "00:00:00:00:00:00"
      ? { mac: l.mac }
      : {}),
  };
  const unknown = (what: string) => b.unknown.set(l.name, { name: l.name, what });
  if (l.loopback) {
    if (l.name === "lo") b.devices.set(l.name, { ...base, kind: "loopback" });
    else unknown(`${l.name} (a second loopback)`);
    return;
  }
  if (l.master !== undefined && l.slaveKind !== undefined && l.slaveKind !== "bridge") {
    unknown(`${l.name} (a port of ${l.slaveKind} ${l.master})`);
    return;
  }
  const master = l.master && l.slaveKind === "bridge" ? { master: l.master } : {};
  switch (l.kind) {
    case undefined:
      // No linkinfo: a physical NIC.
      b.devices.set(l.name, { ...base, ...master, kind: "nic", segment: "" });
      return;
    case "bridge": {
      if (own(l.data, "vlan_filtering") === 1) {
        b.unmodelled.push({
          kind: "listed",
          what: `VLAN filtering on ${l.name}`,
          text: `${l.name}: vlan_filtering 1`,
        });
      }
      b.devices.set(l.name, { ...base, kind: "bridge" });
      return;
    }
    case "veth": {
      const peer = peers.get(l);
      if (peer) {
        b.devices.set(l.name, {
          ...base,
          ...master,
          kind: "veth",
          peer: `${peer.building.name}/${peer.link.name}`,
        });
      } else if (l.master === undefined) {
        // The other end is in a namespace the collector did not read: the
        // underlay port of a lab, or a link the node was given.
        b.devices.set(l.name, { ...base, kind: "nic", segment: "" });
        notes.push(
          `${b.name}/${l.name} is a veth whose other end was not collected: taken as a link to the underlay`,
        );
      } else unknown(`${l.name} (a veth whose other end was not collected)`);
      return;
    }
    case "vxlan": {
      const vni = own(l.data, "id");
      const local = own(l.data, "local");
      const port = own(l.data, "port");
      const link = own(l.data, "link");
      const learning = own(l.data, "learning");
      if (
        !Number.isInteger(vni) ||
        (local !== undefined && (typeof local !== "string" || !Addr.parse(local).ok))
      ) {
        unknown(`${l.name} (vxlan with settings podnet cannot read)`);
        return;
      }
      if (own(l.data, "group") !== undefined || own(l.data, "external") === true) {
        unknown(`${l.name} (vxlan with a multicast group or external control)`);
        return;
      }
      b.devices.set(l.name, {
        ...base,
        kind: "vxlan",
        vni: vni as number,
        ...(typeof local === "string" ? { local } : {}),
        ...(Number.isInteger(port) ? { dstport: port as number } : {}),
        ...(typeof link === "string" && DEVICE_NAME.test(link) ? { dev: link } : {}),
        learning: learning !== false,
      });
      return;
    }
    case "ipip": {
      // Calico's tunl0: `ipip any remote any local any ttl inherit nopmtudisc`.
      // The model copies TTL and DF from the inner packet: another TTL or
      // path MTU discovery on the tunnel is not modelled.
      const end = (key: string) => {
        const v = own(l.data, key);
        return v === undefined || v === "any" || v === "0.0.0.0" ? undefined : v;
      };
      const local = end("local");
      const remote = end("remote");
      const ttl = own(l.data, "ttl");
      const readable = [local, remote].every((a) =>
        a === undefined || (typeof a === "string" && Addr.parse(a).ok)
      );
      if (!readable || (ttl !== undefined && ttl !== 0) || own(l.data, "pmtudisc") === true) {
        unknown(`${l.name} (ipip)`);
        return;
      }
      b.devices.set(l.name, {
        ...base,
        kind: "ipip",
        ...(typeof local === "string" ? { local } : {}),
        ...(typeof remote === "string" ? { remote } : {}),
      });
      return;
    }
    default:
      unknown(`${l.name} (${/^[A-Za-z0-9_.-]{1,20}$/.test(l.kind) ? l.kind : "unknown type"})`);
  }
}

// --- addresses and routes ------------------------------------------------------------------

function readAddresses(p: Problems, b: Building) {
  const list = commandJson(p, b.collected, "addr") ?? [];
  const base = `${at(at(b.collected.path, "commands"), "addr")}/out#`;
  let linkLocal = 0;
  list.forEach((v, i) => {
    const path = at(base, i);
    const o = p.object(v, path);
    if (o === undefined) return;
    const name = p.string(o, "ifname", path);
    const infos = p.array(own(o, "addr_info") ?? [], at(path, "addr_info")) ?? [];
    if (name === undefined) return;
    infos.forEach((x, j) => {
      const ip = at(at(path, "addr_info"), j);
      const a = p.object(x, ip);
      if (a === undefined) return;
      const family = own(a, "family");
      const local = p.string(a, "local", ip);
      const len = p.int(a, "prefixlen", ip, 0, 128);
      if (local === undefined || len === undefined) return;
      if (family !== "inet") {
        if (/^fe80:/i.test(local)) linkLocal++;
        else {
          b.unmodelled.push({
            kind: "listed",
            what: `IPv6 address ${local}`,
            text: `${local}/${len} dev ${name}`,
          });
        }
        return;
      }
      const prefix = Prefix.parse(`${local}/${len}`);
      if (!prefix.ok || len > 32) {
        p.fail(at(ip, "local"), local, "Not an IPv4 address");
        return;
      }
      const peer = own(a, "address");
      const d = b.devices.get(name);
      const text = `${local}/${len} dev ${name}`;
      if (
        d === undefined || d.master !== undefined || (typeof peer === "string" && peer !== local)
      ) {
        // On a device the model lacks, a bridge port, or point-to-point: the
        // address is still local, and the model would not know it.
        const why = d === undefined
          ? b.unknown.get(name)?.what ?? name
          : d.master !== undefined
          ? `${local} on bridge port ${name}`
          : `${local} peer ${String(peer)} on ${name}`;
        b.unmodelled.push({ kind: "address", what: why, text, addr: local });
        return;
      }
      if (d.kind === "loopback" && local === "127.0.0.1" && len === 8) return;
      d.addresses = [...(d.addresses ?? []), `${local}/${len}`];
    });
  });
  if (linkLocal > 0) {
    b.unmodelled.push({
      kind: "listed",
      what: "IPv6 link-local addresses",
      text: `${linkLocal} fe80::/64 address(es); podnet models IPv4`,
    });
  }
}

const MODELLED_TYPES = ["unicast", "blackhole", "unreachable", "prohibit"];

/** The routes the scenario gets: main table, IPv4, types the model has. */
interface RouteLine {
  readonly line: string;
  readonly kernel: boolean;
}

const routeLines = new WeakMap<Building, RouteLine[]>();

function readRoutes(p: Problems, b: Building) {
  const list = commandJson(p, b.collected, "route") ?? [];
  const base = `${at(at(b.collected.path, "commands"), "route")}/out#`;
  const out: RouteLine[] = [];
  list.forEach((v, i) => {
    const path = at(base, i);
    const o = p.object(v, path);
    if (o === undefined) return;
    const dstRaw = p.string(o, "dst", path);
    if (dstRaw === undefined) return;
    const table = own(o, "table") ?? "main";
    const type = (own(o, "type") ?? "unicast") as string;
    const dev = own(o, "dev");
    const gw = own(o, "gateway");
    const isV4 = dstRaw === "default"
      ? !(typeof gw === "string" && gw.includes(":")) && !own(o, "via")
      : !dstRaw.includes(":");
    if (!isV4 || typeof table !== "string" && typeof table !== "number") return;
    const text = describeRoute(o);
    if (table === "local") return; // derived from the addresses, as the model derives it
    const dst = dstRaw === "default"
      ? Prefix.mustParse("0.0.0.0/0")
      : Prefix.parse(dstRaw.includes("/") ? dstRaw : `${dstRaw}/32`);
    const prefix = dst instanceof Prefix ? dst : dst.ok ? dst.value : undefined;
    if (prefix === undefined) {
      p.fail(at(path, "dst"), dstRaw, "Not an IPv4 destination");
      return;
    }
    if (table !== "main") {
      b.unmodelled.push({ kind: "listed", what: `route in table ${String(table)}`, text });
      return;
    }
    const unknownDev = typeof dev === "string" ? b.unknown.get(dev) : undefined;
    const why = !MODELLED_TYPES.includes(type)
      ? `a ${type.slice(0, 20)} route`
      : own(o, "nexthops") !== undefined || own(o, "nhid") !== undefined
      ? "a multipath route"
      : unknownDev
      ? unknownDev.what
      : own(o, "metrics") !== undefined
      ? "a route with its own MTU or metrics"
      : typeof dev === "string" && !b.devices.has(dev)
      ? `${dev} (not collected)`
      : undefined;
    if (why !== undefined) {
      b.unmodelled.push({ kind: "route", what: why, text, dst: prefix.toString() });
      return;
    }
    const words = [type === "unicast" ? "" : type, prefix.toString()];
    if (typeof gw === "string") words.push("via", gw);
    if (typeof dev === "string") words.push("dev", dev);
    const flags = Array.isArray(own(o, "flags")) ? own(o, "flags") as unknown[] : [];
    if (flags.includes("onlink")) words.push("onlink");
    const src = own(o, "prefsrc");
    if (typeof src === "string") words.push("src", src);
    const metric = own(o, "metric");
    if (Number.isInteger(metric) && (metric as number) > 0) words.push("metric", String(metric));
    const kernel = own(o, "protocol") === "kernel";
    if (kernel) words.push("proto", "kernel");
    // BIRD's routes keep their origin (Calico's BGP); other daemons' read as static.
    if (own(o, "protocol") === "bird") words.push("proto", "bird");
    if (own(o, "scope") === "link" && typeof gw !== "string") words.push("scope", "link");
    const line = words.filter((w) => w !== "").join(" ");
    if (!parseRoute(line).ok) {
      b.unmodelled.push({
        kind: "route",
        what: "a route podnet cannot read",
        text,
        dst: prefix.toString(),
      });
      return;
    }
    out.push({ line, kernel });
  });
  routeLines.set(b, out);
}

function describeRoute(o: Json): string {
  const parts: string[] = [];
  for (
    const k of ["type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric"]
  ) {
    const v = own(o, k);
    if (typeof v === "string" || typeof v === "number") {
      parts.push(
        k === "dst" || (k === "type" && v !== "unicast")
          ? String(v)
          : `${
            k === "gateway" ? "via" : k === "prefsrc" ? "src" : k === "protocol" ? "proto" : k
          } ${v}`,
      );
    }
  }
  return parts.join(" ").slice(0, 300);
}

function readRules(p: Problems, b: Building) {
  const list = commandJson(p, b.collected, "rule", true);
  if (list === undefined) {
    b.unmodelled.push({
      kind: "listed",
      what: "policy routing rules (not collected)",
      text: "ip -j rule show failed or is missing: rules other than the defaults would be unknown",
    });
    return;
  }
  const defaults = new Set(["0 local", "32766 main", "32767 default"]);
  const extra: string[] = [];
  for (const v of list) {
    if (typeof v !== "object" || v === null) continue;
    const r = v as Json;
    const key = `${String(own(r, "priority"))} ${String(own(r, "table"))}`;
    const plain = own(r, "src") === "all" &&
      Object.keys(r).every((k) => ["priority", "src", "table"].includes(k));
    if (plain && defaults.has(key)) continue;
    extra.push(JSON.stringify(r).slice(0, 200));
  }
  if (extra.length > 0) {
    b.unmodelled.push({
      kind: "rules",
      what: `${extra.length} policy routing rule(s)`,
      text: extra.join("; ").slice(0, 1000),
    });
  }
}

// --- neighbours and FDB --------------------------------------------------------------------

const neighbourLines = new WeakMap<Building, string[]>();
const fdbLines = new WeakMap<Building, string[]>();

function readNeighbours(p: Problems, b: Building) {
  const list = commandJson(p, b.collected, "neigh", true) ?? [];
  const out: string[] = [];
  for (const v of list) {
    if (typeof v !== "object" || v === null) continue;
    const n = v as Json;
    const dst = own(n, "dst");
    const dev = own(n, "dev");
    const mac = own(n, "lladdr");
    const state = own(n, "state");
    if (typeof dst !== "string" || !Addr.parse(dst).ok || typeof dev !== "string") continue;
    if (!b.devices.has(dev) || typeof mac !== "string" || !Mac.parse(mac).ok) continue;
    const states = Array.isArray(state) ? state : [];
    // Dynamic entries are a cache Linux refreshes by ARP, as the model does.
    const nud = states.includes("PERMANENT")
      ? "permanent"
      : states.includes("NOARP")
      ? "noarp"
      : undefined;
    if (nud) out.push(`${dst} dev ${dev} lladdr ${mac} nud ${nud}`);
  }
  neighbourLines.set(b, out);
}

function readFdb(p: Problems, b: Building) {
  const list = commandJson(p, b.collected, "fdb", true) ?? [];
  const out: string[] = [];
  for (const v of list) {
    if (typeof v !== "object" || v === null) continue;
    const e = v as Json;
    const mac = own(e, "mac");
    const dev = own(e, "ifname");
    if (typeof mac !== "string" || typeof dev !== "string" || !Mac.parse(mac).ok) continue;
    const d = b.devices.get(dev);
    if (d === undefined) continue;
    const flags = Array.isArray(own(e, "flags")) ? own(e, "flags") as unknown[] : [];
    const state = own(e, "state");
    const dst = own(e, "dst");
    if (
      d.kind === "vxlan" && flags.includes("self") && typeof dst === "string" && Addr.parse(dst).ok
    ) {
      out.push(`${mac} dev ${dev} dst ${dst} self permanent`);
    } else if (
      typeof own(e, "master") === "string" && d.master === own(e, "master") &&
      (state === "static" || state === "permanent") && mac !== d.mac &&
      !Mac.mustParse(mac).isMulticast()
    ) {
      // A static entry a user added; the ports' own MACs are implicit in the model.
      out.push(`${mac} dev ${dev} master static`);
    }
  }
  fdbLines.set(b, out);
}

// --- netfilter and sysctls -----------------------------------------------------------------

const iptablesLines = new WeakMap<Building, string[]>();

function readNetfilter(b: Building, notes: string[]) {
  const variants = ["iptables-legacy-save", "iptables-nft-save"].filter((v) => {
    const c = b.collected.commands[v];
    return c !== undefined && c.status === 0 && /^-A |^:[A-Z]+ DROP/m.test(c.out);
  });
  const used = variants.length > 0 ? variants : ["iptables-save"];
  const lines: string[] = [];
  used.forEach((v, i) => {
    const c = b.collected.commands[v];
    if (c === undefined || c.status !== 0) return;
    const r = importIptables(c.out, v);
    if (i === 0) {
      lines.push(...r.lines);
      b.unmodelled.push(...r.unmodelled);
    } else {
      // Both back ends hold rules: both run, in an order the model cannot know.
      for (const line of r.lines) {
        b.unmodelled.push({
          kind: "netfilter",
          what: `a second iptables back end (${v})`,
          text: line,
          hook: hookOf(line),
        });
      }
      b.unmodelled.push(...r.unmodelled);
    }
  });
  if (variants.length > 1) notes.push(`${b.name}: rules in both iptables back ends`);
  const nft = b.collected.commands.nft;
  if (nft && nft.status === 0) {
    const other = nft.out.split("\n").map((l) => l.trim()).filter((l) =>
      /^table /.test(l) && !/^table ip (filter|nat|mangle|raw|security)$/.test(l) &&
        !/^table (ip6|inet|arp|bridge|netdev) /.test(l) || /^table inet /.test(l)
    );
    for (const t of other) {
      b.unmodelled.push({
        kind: "netfilter",
        what: `nftables ${t.slice(0, 60)}`,
        text: t.slice(0, 200),
        hook: "PREROUTING",
      });
    }
  }
  iptablesLines.set(b, lines);
}

function hookOf(line: string): "PREROUTING" | "FORWARD" | "POSTROUTING" {
  return line.includes("PREROUTING")
    ? "PREROUTING"
    : line.includes("POSTROUTING")
    ? "POSTROUTING"
    : "FORWARD";
}

/** Sysctls the model reads, and per-device settings it does not model. */
function sysctls(b: Building): Record<string, number> {
  const s = b.collected.sysctl;
  const out: Record<string, number> = {};
  const fwd = s["net.ipv4.ip_forward"];
  if (fwd === "0" || fwd === "1") out["net.ipv4.ip_forward"] = Number(fwd);
  const ttl = Number(s["net.ipv4.ip_default_ttl"]);
  if (Number.isInteger(ttl) && ttl >= 1 && ttl <= 255) out["net.ipv4.ip_default_ttl"] = ttl;
  const conf = b.collected.conf;
  const all = conf.all ?? {};
  for (const [dev, keys] of Object.entries(conf)) {
    if (!b.devices.has(dev)) continue;
    const rp = Math.max(Number(all.rp_filter ?? 0), Number(keys.rp_filter ?? 0));
    if (rp === 1 && dev !== "lo") {
      b.unmodelled.push({
        kind: "device",
        what: `rp_filter=1 (strict) on ${dev}`,
        text: `net.ipv4.conf.${dev}.rp_filter`,
        device: dev,
      });
    } else if (rp === 2) {
      b.unmodelled.push({
        kind: "listed",
        what: `rp_filter=2 (loose) on ${dev}`,
        text: `net.ipv4.conf.${dev}.rp_filter`,
      });
    }
    // Proxy ARP is modelled (Calico's cali veths): conf.all ORs into every device.
    if (keys.proxy_arp === "1" || all.proxy_arp === "1") {
      out[`net.ipv4.conf.${dev}.proxy_arp`] = 1;
    }
    for (const k of ["arp_ignore", "arp_announce", "accept_local"]) {
      if ((keys[k] ?? "0") !== "0" || (all[k] ?? "0") !== "0") {
        b.unmodelled.push({
          kind: "listed",
          what: `${k} on ${dev}`,
          text: `net.ipv4.conf.${dev}.${k}=${keys[k] ?? all[k]}`,
        });
      }
    }
  }
  if (
    s["net.bridge.bridge-nf-call-iptables"] === "1" &&
    [...b.devices.values()].some((d) => d.kind === "bridge")
  ) {
    b.unmodelled.push({
      kind: "listed",
      what: "bridge-nf-call-iptables=1",
      text: "bridged frames also pass iptables (br_netfilter); the model bridges them without",
    });
  }
  return out;
}

// --- assembling -------------------------------------------------------------------------------

function namespaceDoc(b: Building, root: boolean, notes: string[]): NamespaceDoc {
  const sysctl = sysctls(b);
  for (const u of b.unknown.values()) {
    if (![...b.unmodelled].some((x) => x.what === u.what)) {
      b.unmodelled.push({ kind: "listed", what: u.what, text: `device ${u.name}` });
    }
  }
  const devices = [...b.devices.values()];
  // Unknown device names a VXLAN device's `dev` cannot use.
  for (const d of devices) if (d.kind === "vxlan" && d.dev && !b.devices.has(d.dev)) delete d.dev;
  const routes = routeLines.get(b) ?? [];
  const doc: NamespaceDoc & Record<string, unknown> = {
    name: b.name,
    role: root ? "node" : "pod",
    sysctl,
    devices,
    // Gateway-less routes first, so that a gateway reachable only through a
    // static link route (Calico's 169.254.1.1) loads, in whatever order Linux listed them.
    routes: [
      ...routes.filter((r) => !r.kernel && !/ via /.test(r.line)),
      ...routes.filter((r) => !r.kernel && / via /.test(r.line)),
    ].map((r) => r.line),
    neighbours: neighbourLines.get(b) ?? [],
    fdb: fdbLines.get(b) ?? [],
    iptables: iptablesLines.get(b) ?? [],
    unmodelled: b.unmodelled.map(printableEntry),
  };
  if (b.unknown.size > 0) {
    notes.push(`${b.name}: ${b.unknown.size} device(s) podnet does not model`);
  }
  return doc;
}

/** Entry text as the loader accepts it: printable, bounded. */
function printableEntry(u: UnmodelledDoc): UnmodelledDoc {
  const clean = (s: string) => s.replace(UNPRINTABLE, "?").slice(0, 2000) || "?";
  return { ...u, what: clean(u.what), text: clean(u.text) };
}

function findBridge(all: readonly Building[]): NodeImport["bridge"] {
  const root = all[0];
  const count = new Map<string, number>();
  for (const d of root.devices.values()) {
    if (d.kind === "veth" && d.master && !d.peer?.startsWith(`${root.name}/`)) {
      count.set(d.master, (count.get(d.master) ?? 0) + 1);
    }
  }
  const bridges = [...root.devices.values()].filter((d) => d.kind === "bridge");
  const best = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ??
    (bridges.length === 1 ? bridges[0].name : undefined);
  if (best === undefined) return undefined;
  const addr = root.devices.get(best)?.addresses?.[0];
  const cidr = addr ? Prefix.mustParse(addr).masked() : undefined;
  return { name: best, cidr };
}
