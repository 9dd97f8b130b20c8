/**
 * Turns a scenario document (untrusted JSON) into a {@linkcode World}, or
 * into the list of everything wrong with it. It never throws.
 *
 * @module
 */
import { Addr, formatParseError, Mac, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { parseFdb } from "../syntax/bridgefdb.js";
import { parseNeighbour } from "../syntax/ipneigh.js";
import { parseRoute, type RouteSpec } from "../syntax/iproute.js";
import { ChainSet, parseIptables } from "../syntax/iptables.js";
import { formatLineError, isInterfaceName, type LineError } from "../syntax/tokens.js";
import {
  compareRoutes,
  connectedRoutes,
  deviceIn,
  resolveRoute,
  RouteTable,
} from "../world/routes.js";
import type {
  BridgeFdbEntry,
  Container,
  ContainerPort,
  Device,
  Namespace,
  Neighbour,
  Node,
  Pod,
  Route,
  Rule,
  Segment,
  Sysctls,
  VxlanFdbEntry,
  World,
} from "../model/world.js";
import { escapeText } from "../text.js";
import { defaultMac, MODE_LABELS, NAME_GRAMMARS } from "../world/names.js";
import { at, type LoadError, Reader } from "./reader.js";
import { SCENARIO_VERSION, type ScenarioDoc } from "./schema.js";
import { LOAD_LIMITS, type LoadLimits, screenScenario } from "./screen.js";
import { readUnmodelled } from "./unmodelled.js";
import { SharedRoutes } from "./shared-routes.js";

type Obj = Readonly<Record<string, unknown>>;

const NAME = NAME_GRAMMARS.name.pattern;
const POD_NAME = NAME_GRAMMARS.pod.pattern;
const nameOf = (what: string) => ({ pattern: NAME, what: `${what} ${NAME_GRAMMARS.name.what}` });
const DEVICE_KINDS = ["loopback", "veth", "bridge", "nic", "vxlan", "ipip"] as const;
const ROLES = ["node", "pod", "router", "client"] as const;

/** How {@linkcode loadScenario} reads a document. */
export interface LoadOptions {
  /** The bounds on the world's size (default {@linkcode LOAD_LIMITS}; `CLUSTER_LIMITS` for a whole cluster). */
  readonly limits?: LoadLimits;
  /**
   * Whether namespaces whose route lines are mostly another's share its
   * checked routes (default true; `shared-routes.ts` proves each shared
   * line would resolve alike). False checks every line of every namespace,
   * which gives the same world more slowly: the tests compare the two.
   */
  readonly shareTables?: boolean;
  /** Told the name of each namespace that got a shared table (for tests and measurements). */
  readonly onShared?: (namespace: string) => void;
}

/**
 * Reads a scenario document into a world, checking every field and every
 * cross-reference the way `ip`, `bridge`, `sysctl` and `iptables` would.
 * The document is screened first ({@linkcode screenScenario}: no control
 * or bidirectional characters, no string over 10,000 characters, no world
 * over {@linkcode LOAD_LIMITS}); every lookup goes through an index, so
 * loading takes time in proportion to the document's size.
 *
 * @param doc Parsed JSON of any shape.
 * @param options The bounds on the world's size, and whether route tables are shared.
 * @returns The world, or every problem found, each with its JSON path.
 * @example
 * ```ts
 * import { loadScenario } from "./load.js";
 * const r = loadScenario({ version: 1 });
 * if (!r.ok) console.log(r.error.length, "problems");
 * ```
 */
export function loadScenario(
  doc: unknown,
  options: LoadOptions = {},
): Result<World, LoadError[]> {
  const screened = screenScenario(doc, options.limits);
  if (screened.length > 0) return err(screened);
  return readScenario(doc, options);
}

/**
 * Reads a document podnet's own builders made from a checked spec — never
 * a file, a page or a paste, which go through {@linkcode loadScenario} —
 * without screening it first: its strings and size are podnet's own, and
 * every field is still read and checked. (Screening a 5,000-node cluster's
 * 25 million route lines costs a tenth of building it.)
 *
 * @param doc The builder's document.
 * @param options As for {@linkcode loadScenario}.
 * @returns The world, or every problem found, each with its JSON path.
 */
export function loadBuiltScenario(
  doc: ScenarioDoc,
  options: LoadOptions = {},
): Result<World, LoadError[]> {
  return readScenario(doc, options);
}

function readScenario(doc: unknown, options: LoadOptions): Result<World, LoadError[]> {
  const r = new Reader();
  const top = r.object(doc, "", [
    "version",
    "name",
    "mode",
    "description",
    "segments",
    "nodes",
    "namespaces",
    "pods",
  ]);
  if (top === undefined) return err(r.errors);
  if (top.version !== SCENARIO_VERSION) {
    r.fail(
      "/version",
      top.version,
      `Unsupported scenario version (this podnet reads version ${SCENARIO_VERSION})`,
    );
  }
  const name = r.string(top, "name", "", nameOf("scenario")) ?? "";
  const mode = r.oneOf(top, "mode", "", MODE_LABELS) ?? "";
  const description = readDescription(r, top);
  const segments = readList(r, top, "segments", readSegment);
  const namespaces = readList(r, top, "namespaces", (r, v, p) => readNamespace(r, v, p));
  checkUnique(r, segments, "/segments", "segment");
  checkUnique(r, namespaces, "/namespaces", "namespace");
  const world0: World = { name, mode, description, segments, nodes: [], namespaces, pods: [] };
  checkDevices(r, world0);
  const cache = new LineCache(options.shareTables ?? true, options.onShared);
  const withTables = namespaces.map((ns, i) => readTables(r, ns, top, i, cache));
  const world1: World = { ...world0, namespaces: withTables };
  const byName = indexByName(withTables);
  const nodes = readList(r, top, "nodes", (r, v, p) => readNode(r, v, p, byName));
  checkUnique(r, nodes, "/nodes", "node");
  const nodeNames = new Set(nodes.map((n) => n.name));
  const pods = readList(r, top, "pods", (r, v, p) => readPod(r, v, p, byName, nodeNames));
  checkUnique(r, pods, "/pods", "pod");
  checkPodNamespaces(r, pods);
  if (r.errors.length > 0) return err(r.errors);
  return ok({ ...world1, nodes, pods });
}

/**
 * Parses scenario JSON text and loads it.
 *
 * @param text The file's contents.
 * @returns The world, or the problems (a JSON syntax error is one problem at
 *   path "", on one line, naming the line and column, with the text around it escaped).
 * @example
 * ```ts
 * import { parseScenario } from "./load.js";
 * const r = parseScenario('{"version": 1,\n "name": x}');
 * if (!r.ok) r.error[0].message; // 'Not valid JSON at line 2, column 10: ...'
 * ```
 */
export function parseScenario(text: string): Result<World, LoadError[]> {
  if (text.length > LOAD_LIMITS.textChars) {
    return err([{
      path: "",
      value: undefined,
      message:
        `The file has ${text.length} characters; podnet reads at most ${LOAD_LIMITS.textChars}`,
    }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return err([{ path: "", value: undefined, message: jsonSyntaxError(text, e) }]);
  }
  return loadScenario(doc);
}

/**
 * A JSON syntax error on one line: where (line and column, when the parser
 * says), and the text around that place, escaped. The parser's own message
 * is not used: it quotes the input raw, newlines and escape sequences included.
 */
function jsonSyntaxError(text: string, e: unknown): string {
  const said = e instanceof Error ? e.message : "";
  const m = /position (\d+)/.exec(said);
  // "Unexpected token 'X', ..." names no position: the first X is where it is.
  const token = /^Unexpected token '(.+?)', /su.exec(said)?.[1];
  const pos = m
    ? Math.min(Number(m[1]), text.length)
    : /end of (JSON )?input/i.test(said)
    ? text.length
    : token !== undefined && text.includes(token)
    ? text.indexOf(token)
    : undefined;
  if (pos === undefined) return "Not valid JSON";
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  const near = pos >= text.length
    ? "the text ends too early"
    : `near "${escapeText(text.slice(Math.max(0, pos - 20), pos + 20), 40)}"`;
  return `Not valid JSON at line ${line}, column ${column}: ${near}`;
}

function readDescription(r: Reader, top: Obj): World["description"] {
  if (top.description === undefined) return undefined;
  const d = r.object(top.description, "/description", ["en", "ko"]);
  if (d === undefined) return undefined;
  const en = r.string(d, "en", "/description");
  const ko = r.string(d, "ko", "/description");
  return en !== undefined && ko !== undefined ? { en, ko } : undefined;
}

function readList<T>(
  r: Reader,
  top: Obj,
  key: string,
  readOne: (r: Reader, v: unknown, path: string) => T | undefined,
): T[] {
  const list = r.array(top, key, "");
  if (list === undefined) return [];
  const out: T[] = [];
  list.forEach((v, i) => {
    const item = readOne(r, v, at(`/${key}`, i));
    if (item !== undefined) out.push(item);
  });
  return out;
}

function checkUnique(r: Reader, items: readonly { name: string }[], path: string, what: string) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) r.fail(at(at(path, i), "name"), item.name, `Duplicate ${what} name`);
    seen.add(item.name);
  });
}

function readSegment(r: Reader, v: unknown, path: string): Segment | undefined {
  const o = r.object(v, path, ["name", "mtu"]);
  if (o === undefined) return undefined;
  const name = r.string(o, "name", path, nameOf("segment"));
  const mtu = r.int(o, "mtu", path, 68, 65535, 1500);
  return name !== undefined && mtu !== undefined ? { name, mtu } : undefined;
}

function readNamespace(r: Reader, v: unknown, path: string): Namespace | undefined {
  const o = r.object(v, path, [
    "name",
    "role",
    "sysctl",
    "devices",
    "routes",
    "removedKernelRoutes",
    "neighbours",
    "fdb",
    "iptables",
    "unmodelled",
  ]);
  if (o === undefined) return undefined;
  const name = r.string(o, "name", path, nameOf("namespace"));
  const role = r.oneOf(o, "role", path, ROLES);
  const devices = readDevices(r, o, path, name ?? "");
  const sysctl = readSysctl(r, o.sysctl, at(path, "sysctl"), devices);
  if (name === undefined || role === undefined) return undefined;
  return {
    name,
    role,
    devices,
    routes: [],
    neighbours: [],
    sysctl,
    netfilter: { rules: [], forwardPolicy: "ACCEPT" },
  };
}

/** `net.ipv4.conf.DEV.proxy_arp`: the device part, or undefined for another key. */
function proxyArpDevice(key: string): string | undefined {
  const m = /^net\.ipv4\.conf\.(.+)\.proxy_arp$/.exec(key);
  return m !== null && (m[1] === "all" || isInterfaceName(m[1])) ? m[1] : undefined;
}

function readSysctl(r: Reader, v: unknown, path: string, devices: readonly Device[]): Sysctls {
  const s = { ipForward: false, defaultTtl: 64 };
  if (v === undefined) return s;
  const fixed = ["net.ipv4.ip_forward", "net.ipv4.ip_default_ttl"];
  const keys = typeof v === "object" && v !== null ? Object.keys(v) : [];
  const perDevice = keys.filter((k) => proxyArpDevice(k) !== undefined);
  const o = r.object(v, path, [...fixed, ...perDevice]);
  if (o === undefined) return s;
  const num = (key: string, min: number, max: number): number | undefined => {
    const raw = o[key];
    if (raw === undefined) return undefined;
    const n = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      return r.fail(at(path, key), raw, `Expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
  const fwd = num("net.ipv4.ip_forward", 0, 1);
  const ttl = num("net.ipv4.ip_default_ttl", 1, 255);
  const proxyArp: string[] = [];
  for (const key of perDevice) {
    const dev = proxyArpDevice(key)!;
    // Linux has the sysctl only for `all`, `default` and existing devices.
    if (dev !== "all" && !devices.some((d) => d.name === dev)) {
      r.fail(at(path, key), o[key], `No device "${dev}" in this namespace`);
    } else if (num(key, 0, 1) === 1) proxyArp.push(dev);
  }
  return {
    ipForward: fwd === undefined ? s.ipForward : fwd === 1,
    defaultTtl: ttl ?? s.defaultTtl,
    ...(proxyArp.length > 0 ? { proxyArp } : {}),
  };
}

function readDevices(r: Reader, o: Obj, path: string, ns: string): Device[] {
  const list = r.array(o, "devices", path) ?? [];
  const devices: Device[] = [];
  const names = new Set<string>();
  list.forEach((v, i) => {
    const p = at(at(path, "devices"), i);
    const d = readDevice(r, v, p, ns);
    if (d === undefined) return;
    devicePaths.set(d, p);
    if (names.has(d.name)) {
      r.fail(
        at(at(at(path, "devices"), i), "name"),
        d.name,
        "Duplicate device name in this namespace",
      );
      return;
    }
    names.add(d.name);
    devices.push(d);
  });
  if (!devices.some((d) => d.kind === "loopback")) {
    devices.unshift({
      kind: "loopback",
      name: "lo",
      namespace: ns,
      up: true,
      mtu: 65536,
      mac: Mac.zero,
      addresses: [Prefix.mustParse("127.0.0.1/8")],
    });
  }
  return devices;
}

const DEVICE_FIELDS = {
  loopback: [],
  veth: ["peer"],
  bridge: [],
  nic: ["segment"],
  vxlan: ["vni", "local", "dstport", "dev", "learning"],
  ipip: ["local", "remote"],
} as const;

function readDevice(r: Reader, v: unknown, path: string, ns: string): Device | undefined {
  const kindProbe = typeof v === "object" && v !== null ? (v as Obj).kind : undefined;
  const extra = typeof kindProbe === "string" && Object.hasOwn(DEVICE_FIELDS, kindProbe)
    ? DEVICE_FIELDS[kindProbe as keyof typeof DEVICE_FIELDS]
    : [];
  const o = r.object(v, path, [
    "name",
    "kind",
    "up",
    "mtu",
    "mac",
    "addresses",
    "master",
    ...extra,
  ]);
  if (o === undefined) return undefined;
  const kind = r.oneOf(o, "kind", path, DEVICE_KINDS);
  const name = r.string(o, "name", path, { what: "interface name" });
  if (name !== undefined && !isInterfaceName(name)) {
    r.fail(at(path, "name"), name, `Not a valid interface name ${INTERFACE_NAME}`);
  }
  const base = {
    name: name ?? "",
    namespace: ns,
    up: r.bool(o, "up", path, true),
    mtu: r.int(o, "mtu", path, 68, 65536, kind === "loopback" ? 65536 : 1500) ?? 1500,
    // Devices without a link layer (lo, an IP-in-IP tunnel) have the zero MAC.
    mac: kind === "loopback" || kind === "ipip"
      ? readMac(r, o, path, Mac.zero, false)
      : readMac(r, o, path, defaultMac(ns, name ?? ""), true),
    addresses: readAddresses(r, o, path),
    master: readInterfaceRef(r, o, "master", path),
  };
  if (kind === undefined || name === undefined) return undefined;
  if (kind === "loopback" && name !== "lo") {
    r.fail(at(path, "name"), name, "The loopback device is called lo");
  }
  switch (kind) {
    case "loopback":
      return {
        ...base,
        kind,
        addresses: o.addresses === undefined ? [Prefix.mustParse("127.0.0.1/8")] : base.addresses,
      };
    case "bridge":
      return { ...base, kind, fdb: [] };
    case "veth":
      return readVeth(r, o, path, base);
    case "nic": {
      const segment = r.string(o, "segment", path);
      return segment === undefined ? undefined : { ...base, kind, segment };
    }
    case "vxlan":
      return readVxlan(r, o, path, base);
    case "ipip": {
      const end = (key: "local" | "remote") => {
        const text = r.string(o, key, path, { optional: true });
        return text === undefined ? {} : { [key]: readAddr(r, text, at(path, key)) };
      };
      return { ...base, kind, ...end("local"), ...end("remote") };
    }
  }
}

type DeviceBase = Omit<Device & { kind: "bridge" }, "kind" | "fdb">;

const INTERFACE_NAME = '(1-15 letters, digits, "_", "." or "-", not starting with "-" or ".")';

/** Where each device read from the document came from (for messages). */
const devicePaths = new WeakMap<Device, string>();

/** An optional field naming an interface (`master`, `dev`). */
function readInterfaceRef(r: Reader, o: Obj, key: string, path: string): string | undefined {
  const v = r.string(o, key, path, { optional: true });
  if (v !== undefined && !isInterfaceName(v)) {
    return r.fail(at(path, key), v, `Not a valid interface name ${INTERFACE_NAME}`);
  }
  return v;
}

function readVeth(r: Reader, o: Obj, path: string, base: DeviceBase): Device | undefined {
  const peer = r.string(o, "peer", path);
  if (peer === undefined) return undefined;
  const slash = peer.indexOf("/");
  const namespace = peer.slice(0, slash);
  const device = peer.slice(slash + 1);
  if (slash < 0 || !NAME.test(namespace) || !isInterfaceName(device)) {
    return r.fail(
      at(path, "peer"),
      peer,
      'Expected "namespace/device": a namespace name, "/", an interface name',
    );
  }
  return { ...base, kind: "veth", peer: { namespace, device } };
}

function readVxlan(r: Reader, o: Obj, path: string, base: DeviceBase): Device | undefined {
  const vni = r.int(o, "vni", path, 0, 0xffffff);
  const dstport = r.int(o, "dstport", path, 1, 65535, 8472);
  const localText = r.string(o, "local", path, { optional: true });
  const local = localText === undefined ? undefined : readAddr(r, localText, at(path, "local"));
  const dev = readInterfaceRef(r, o, "dev", path);
  const learning = r.bool(o, "learning", path, true);
  if (vni === undefined || dstport === undefined) return undefined;
  return { ...base, kind: "vxlan", vni, dstport, local, dev, learning, fdb: [] };
}

/**
 * A device's MAC. Linux refuses (`EADDRNOTAVAIL`, "Cannot assign requested
 * address") a group address or all zeros for a device of its own
 * (`is_valid_ether_addr`); a loopback device has all zeros.
 */
function readMac(r: Reader, o: Obj, path: string, fallback: Mac, unicast: boolean): Mac {
  const text = r.string(o, "mac", path, { optional: true });
  if (text === undefined) return fallback;
  const m = Mac.parse(text);
  if (!m.ok) {
    r.fail(at(path, "mac"), text, formatParseError(m.error));
    return fallback;
  }
  if (unicast && m.value.isMulticast()) {
    r.fail(
      at(path, "mac"),
      text,
      "A multicast (group) address cannot be a device's address: the low bit of the " +
        "first byte is set (Linux: Cannot assign requested address)",
    );
  } else if (unicast && m.value === Mac.zero) {
    r.fail(
      at(path, "mac"),
      text,
      "All zeros cannot be a device's address (Linux: Cannot assign requested address)",
    );
  }
  return m.value;
}

function readAddresses(r: Reader, o: Obj, path: string): Prefix[] {
  const list = r.array(o, "addresses", path, true) ?? [];
  const out: Prefix[] = [];
  const seen = new Set<Addr>();
  list.forEach((v, i) => {
    const p = at(at(path, "addresses"), i);
    if (typeof v !== "string") return r.fail(p, v, 'Expected an address like "10.244.1.2/24"');
    const parsed = Prefix.parse(v);
    if (!parsed.ok) return r.fail(p, v, formatParseError(parsed.error));
    if (seen.has(parsed.value.addr)) return r.fail(p, v, "Address already assigned");
    seen.add(parsed.value.addr);
    out.push(parsed.value);
  });
  return out;
}

function readAddr(r: Reader, text: string, path: string): Addr | undefined {
  const a = Addr.parse(text);
  return a.ok ? a.value : r.fail(path, text, formatParseError(a.error));
}

/** Namespaces by name (the first of each name). */
function indexByName(namespaces: readonly Namespace[]): ReadonlyMap<string, Namespace> {
  const m = new Map<string, Namespace>();
  for (const ns of namespaces) if (!m.has(ns.name)) m.set(ns.name, ns);
  return m;
}

/** A device of a namespace by name ({@linkcode deviceIn}: indexed once per device list). */
function deviceNamed(devices: readonly Device[], name: string | undefined): Device | undefined {
  return name === undefined ? undefined : deviceIn(devices, name);
}

function checkDevices(r: Reader, world: World) {
  const namespaces = indexByName(world.namespaces);
  const segments = new Set(world.segments.map((s) => s.name));
  world.namespaces.forEach((ns, nsIndex) => {
    const tunnels = new Map<string, string>();
    for (const d of ns.devices) {
      const path = devicePaths.get(d) ?? `/namespaces/${nsIndex}`;
      // Linux refuses a second VXLAN device with the same VNI and UDP port in
      // one namespace (`vxlan_vni_in_use`: "A VXLAN device with the specified VNI already exists").
      if (d.kind === "vxlan") {
        const key = `${d.vni}/${d.dstport}`;
        const first = tunnels.get(key);
        if (first !== undefined) {
          r.fail(
            at(path, "vni"),
            d.vni,
            `${first} already has VNI ${d.vni} on UDP port ${d.dstport} in this namespace`,
          );
        } else tunnels.set(key, d.name);
      }
      if (d.master !== undefined) checkMaster(r, ns, d, path);
      if (d.kind === "veth") checkPeer(r, namespaces, d, path);
      if (d.kind === "nic" && !segments.has(d.segment)) {
        r.fail(at(path, "segment"), d.segment, "No such segment");
      }
      if (d.kind === "vxlan" && d.dev !== undefined && !deviceNamed(ns.devices, d.dev)) {
        r.fail(at(path, "dev"), d.dev, "No such device in this namespace");
      }
      // A VXLAN device's MTU above its underlay's less the headers is a state
      // Linux reaches (the underlay's MTU lowered after the device was made),
      // so a file may describe it; only a change to it is refused (world/edit.ts).
    }
  });
}

function checkMaster(r: Reader, ns: Namespace, d: Device, path: string) {
  const master = deviceNamed(ns.devices, d.master);
  if (master === undefined) {
    r.fail(at(path, "master"), d.master, "No such device in this namespace");
  } else if (master.kind !== "bridge") {
    r.fail(at(path, "master"), d.master, "Master is not a bridge");
  } else if (d.kind === "bridge" || d.kind === "loopback") {
    r.fail(at(path, "master"), d.master, `A ${d.kind} cannot be a bridge port`);
  } else if (d.addresses.length > 0) {
    r.fail(
      at(path, "addresses"),
      d.addresses.map(String),
      "A bridge port has no addresses of its own here; put them on the bridge",
    );
  }
}

function checkPeer(
  r: Reader,
  namespaces: ReadonlyMap<string, Namespace>,
  d: Device & { kind: "veth" },
  path: string,
) {
  const ns = namespaces.get(d.peer.namespace);
  const peer = ns && deviceNamed(ns.devices, d.peer.device);
  const text = `${d.peer.namespace}/${d.peer.device}`;
  if (peer === undefined) return r.fail(at(path, "peer"), text, "No such device");
  if (peer.kind !== "veth") return r.fail(at(path, "peer"), text, "Peer is not a veth");
  if (peer.peer.namespace !== d.namespace || peer.peer.device !== d.name) {
    r.fail(at(path, "peer"), text, "Peer does not point back to this device");
  }
}

function readTables(
  r: Reader,
  ns: Namespace,
  top: Obj,
  nsIndex: number,
  cache: LineCache,
): Namespace {
  const raw = ((top.namespaces as unknown[])[nsIndex] ?? {}) as Obj;
  const path = `/namespaces/${nsIndex}`;
  const routes = readRoutes(r, ns, raw, path, cache, nsIndex);
  const withRoutes = { ...ns, routes };
  const neighbours = readNeighbours(r, withRoutes, raw, path, cache, nsIndex);
  const devices = readFdb(r, withRoutes, raw, path, cache, nsIndex);
  const netfilter = readNetfilter(r, raw, path);
  const names = ns.devices.map((d) => d.name);
  const unmodelled = readUnmodelled(r, raw, path, names);
  return {
    ...withRoutes,
    neighbours,
    devices,
    netfilter,
    ...(unmodelled.length > 0 ? { unmodelled } : {}),
  };
}

/**
 * The string lines of one list, each with its index; a line's JSON path is
 * made only when a problem names it (a large cluster has millions of lines).
 */
function lines(r: Reader, raw: Obj, key: string, path: string): [string, number][] {
  const list = r.array(raw, key, path, true) ?? [];
  const out: [string, number][] = [];
  list.forEach((v, i) => {
    if (typeof v !== "string") r.fail(at(at(path, key), i), v, "Expected a string");
    else out.push([v, i]);
  });
  return out;
}

/**
 * Line parsers shared by one load: the nodes of a cluster hold mostly the
 * same lines (every node's route to every other node's pods), so each
 * distinct line is parsed once, and routes that resolve alike in several
 * namespaces are one object.
 */
class LineCache {
  readonly route = memo(parseRoute);
  readonly neighbour = memo(parseNeighbour);
  readonly fdb = memo(parseFdb);
  /** Route tables that namespaces of this document share (`shared-routes.ts`). */
  readonly sharedRoutes: SharedRoutes;
  /** @param share Whether namespaces may share route tables (`shared-routes.ts`). */
  constructor(share: boolean, readonly onShared?: (namespace: string) => void) {
    this.sharedRoutes = new SharedRoutes(share);
  }
  /** A route line's parse, or `undefined` when it does not parse. */
  readonly parsedRoute = (line: string): RouteSpec | undefined => {
    const spec = this.route(line);
    return spec.ok ? spec.value : undefined;
  };
  readonly #routes = new Map<RouteSpec, Route[]>();

  /** `route`, or an equal route resolved before from the same parsed line. */
  shared(spec: RouteSpec, route: Route): Route {
    const seen = this.#routes.get(spec);
    const same = seen?.find((x) => sameRoute(x, route));
    if (same !== undefined) return same;
    if (seen === undefined) this.#routes.set(spec, [route]);
    else if (seen.length < 8) seen.push(route);
    return route;
  }
}

function memo<T>(parse: (line: string) => T): (line: string) => T {
  const seen = new Map<string, T>();
  return (line) => {
    let v = seen.get(line);
    if (v === undefined) seen.set(line, v = parse(line));
    return v;
  };
}

function sameRoute(a: Route, b: Route): boolean {
  return a.type === b.type && a.dst === b.dst && a.via === b.via && a.dev === b.dev &&
    a.onlink === b.onlink && a.src === b.src && a.metric === b.metric &&
    a.proto === b.proto && a.scope === b.scope;
}

function lineFail(r: Reader, path: string, e: LineError) {
  r.fail(path, e.line, formatLineError(e));
}

function readRoutes(
  r: Reader,
  ns: Namespace,
  raw: Obj,
  path: string,
  cache: LineCache,
  nsIndex: number,
): Route[] {
  const connected = connectedRoutes(ns.devices);
  const byDst = new Map<Prefix, Route[]>();
  for (const x of connected) byDst.set(x.dst, [...(byDst.get(x.dst) ?? []), x]);
  const removed = new Set<Route>();
  for (const [line, i] of lines(r, raw, "removedKernelRoutes", path)) {
    const p = () => at(at(path, "removedKernelRoutes"), i);
    const spec = cache.route(line);
    if (!spec.ok) {
      lineFail(r, p(), spec.error);
      continue;
    }
    const hit = (byDst.get(spec.value.dst) ?? []).find((x) =>
      !removed.has(x) && (spec.value.dev ?? x.dev) === x.dev
    );
    if (hit === undefined) {
      r.fail(p(), line, "No such connected route (an up device's address makes one)");
    } else removed.add(hit);
  }
  const kept = connected.filter((x) => !removed.has(x));
  // Read again below, where a value that is not a list is reported.
  const written = Array.isArray(raw.routes) ? raw.routes as unknown[] : [];
  const removedLines = Array.isArray(raw.removedKernelRoutes)
    ? raw.removedKernelRoutes as unknown[]
    : [];
  const reused = cache.sharedRoutes.reuse(ns, written, removedLines, kept, cache.parsedRoute);
  if (reused !== undefined) {
    cache.onShared?.(ns.name);
    return reused;
  }
  // Indexed, so that each line is checked in constant time, not by a scan of the table.
  const table = new RouteTable(kept);
  const resolved: (Route | undefined)[] = [];
  for (const [line, i] of lines(r, raw, "routes", path)) {
    const p = () => at(at(path, "routes"), i);
    const spec = cache.route(line);
    if (!spec.ok) {
      lineFail(r, p(), spec.error);
      continue;
    }
    if (spec.value.proto === "kernel") {
      r.fail(
        p(),
        line,
        "Connected routes (proto kernel) come from addresses; list only added routes here",
      );
      continue;
    }
    const route = resolveRoute(ns, spec.value, table);
    if (!route.ok) r.fail(p(), line, route.error, { namespace: nsIndex, list: "routes", index: i });
    else {
      const shared = cache.shared(spec.value, route.value);
      table.add(shared);
      resolved[i] = shared;
    }
  }
  cache.sharedRoutes.remember(ns, written, removedLines, resolved, kept);
  return [...table.routes].sort(compareRoutes);
}

function readNeighbours(
  r: Reader,
  ns: Namespace,
  raw: Obj,
  path: string,
  cache: LineCache,
  nsIndex: number,
): Neighbour[] {
  const out: Neighbour[] = [];
  const seen = new Set<string>();
  for (const [line, i] of lines(r, raw, "neighbours", path)) {
    const p = () => at(at(path, "neighbours"), i);
    const n = cache.neighbour(line);
    if (!n.ok) {
      lineFail(r, p(), n.error);
      continue;
    }
    const dev = deviceNamed(ns.devices, n.value.dev);
    const key = `${n.value.addr}|${n.value.dev}`;
    const refused = { namespace: nsIndex, list: "neighbours", index: i } as const;
    if (dev === undefined) r.fail(p(), line, `Cannot find device "${n.value.dev}"`, refused);
    else if (dev.kind === "loopback") {
      r.fail(p(), line, "The loopback device has no neighbours", refused);
    } else if (seen.has(key)) r.fail(p(), line, "File exists", refused);
    else {
      seen.add(key);
      out.push(n.value);
    }
  }
  return out;
}

function readFdb(
  r: Reader,
  ns: Namespace,
  raw: Obj,
  path: string,
  cache: LineCache,
  nsIndex: number,
): readonly Device[] {
  // Entries are collected per device and added in one pass at the end.
  const vxlan = new Map<string, VxlanFdbEntry[]>();
  const bridge = new Map<string, BridgeFdbEntry[]>();
  // The MACs each bridge has an entry for: its own, its ports', its FDB's.
  const macs = new Map<string, Set<Mac>>();
  const macsOf = (b: Device & { kind: "bridge" }): Set<Mac> => {
    let set = macs.get(b.name);
    if (set === undefined) {
      set = new Set([b.mac, ...b.fdb.map((x) => x.mac)]);
      for (const d of ns.devices) if (d.master === b.name) set.add(d.mac);
      macs.set(b.name, set);
    }
    return set;
  };
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const [line, i] of lines(r, raw, "fdb", path)) {
    const p = () => at(at(path, "fdb"), i);
    const e = cache.fdb(line);
    if (!e.ok) {
      lineFail(r, p(), e.error);
      continue;
    }
    const spec = e.value;
    const dev = deviceNamed(ns.devices, spec.dev);
    const refused = { namespace: nsIndex, list: "fdb", index: i } as const;
    if (dev === undefined) {
      r.fail(p(), line, `Cannot find device "${spec.dev}"`, refused);
    } else if (dev.kind === "vxlan" && spec.table === "self") {
      if (spec.dst === undefined) r.fail(p(), line, 'A VXLAN entry needs "dst ADDR"');
      else push(vxlan, dev.name, { mac: spec.mac, dst: spec.dst });
    } else if (dev.master !== undefined && spec.table === "master") {
      const master = deviceNamed(ns.devices, dev.master);
      // `bridge fdb add` refuses a MAC the bridge already has an entry for:
      // its own, a port's (local entries) or one added before.
      const taken = master?.kind === "bridge" && macsOf(master).has(spec.mac);
      if (spec.mac === Mac.zero) {
        // br_fdb_add: an all-zero address is refused (Invalid argument).
        r.fail(
          p(),
          line,
          "A bridge entry cannot have the all-zero address (Linux: Invalid argument)",
          refused,
        );
      } else if (taken) {
        r.fail(p(), line, "File exists (the bridge has an entry for this MAC)", refused);
      } else if (master?.kind === "bridge") {
        macsOf(master).add(spec.mac);
        const state = spec.state === "learned" ? "learned" : "static";
        push(bridge, master.name, { mac: spec.mac, port: dev.name, state });
      }
    } else {
      r.fail(p(), line, "Entries go on a bridge port (master) or a VXLAN device (self)", refused);
    }
  }
  if (vxlan.size === 0 && bridge.size === 0) return ns.devices;
  return ns.devices.map((d) => {
    if (d.kind === "vxlan" && vxlan.has(d.name)) {
      return { ...d, fdb: [...d.fdb, ...vxlan.get(d.name)!] };
    }
    if (d.kind === "bridge" && bridge.has(d.name)) {
      return { ...d, fdb: [...d.fdb, ...bridge.get(d.name)!] };
    }
    return d;
  });
}

function readNetfilter(r: Reader, raw: Obj, path: string): Namespace["netfilter"] {
  const rules: Rule[] = [];
  let forwardPolicy: "ACCEPT" | "DROP" = "ACCEPT";
  const chains = new ChainSet();
  for (const [line, i] of lines(r, raw, "iptables", path)) {
    const p = () => at(at(path, "iptables"), i);
    const parsed = parseIptables(line);
    const chainError = parsed.ok ? chains.accept(parsed.value, line) : undefined;
    if (!parsed.ok) lineFail(r, p(), parsed.error);
    else if (chainError) lineFail(r, p(), chainError);
    else if (parsed.value.kind === "policy") forwardPolicy = parsed.value.policy;
    else if (parsed.value.kind === "rule") {
      const { kind: _, ...rule } = parsed.value;
      rules.push(rule);
    }
  }
  return { rules, forwardPolicy };
}

function readNode(
  r: Reader,
  v: unknown,
  path: string,
  namespaces: ReadonlyMap<string, Namespace>,
): Node | undefined {
  const o = r.object(v, path, [
    "name",
    "namespace",
    "podCidr",
    "bridge",
    "podMtu",
    "lastReserved",
    "network",
  ]);
  if (o === undefined) return undefined;
  const name = r.string(o, "name", path, nameOf("node"));
  const nsName = r.string(o, "namespace", path, { optional: true }) ?? name;
  const cidrText = r.string(o, "podCidr", path);
  // No bridge: pods attach by routed veths (Calico).
  const bridge = r.string(o, "bridge", path, { optional: true });
  if (name === undefined || nsName === undefined || cidrText === undefined) return undefined;
  const ns = namespaces.get(nsName);
  if (ns === undefined) return r.fail(at(path, "namespace"), nsName, "No such namespace");
  if (ns.role !== "node") {
    r.fail(at(path, "namespace"), nsName, 'A node\'s namespace must have role "node"');
  }
  const cidr = Prefix.parse(cidrText);
  if (!cidr.ok) return r.fail(at(path, "podCidr"), cidrText, formatParseError(cidr.error));
  if (!cidr.value.isMasked) return r.fail(at(path, "podCidr"), cidrText, "Host bits are set");
  if (cidr.value.bits > 30) {
    return r.fail(at(path, "podCidr"), cidrText, "A pod CIDR needs at least /30");
  }
  const dev = bridge === undefined ? undefined : deviceNamed(ns.devices, bridge);
  if (bridge !== undefined && dev?.kind !== "bridge") {
    return r.fail(at(path, "bridge"), bridge, "No bridge of that name in the node's namespace");
  }
  const podMtu = r.int(o, "podMtu", path, 68, 65535, dev?.mtu ?? 1500);
  const lastText = r.string(o, "lastReserved", path, { optional: true });
  const lastReserved = lastText === undefined
    ? undefined
    : readAddr(r, lastText, at(path, "lastReserved"));
  if (lastReserved && !cidr.value.contains(lastReserved)) {
    r.fail(at(path, "lastReserved"), lastText, "Not inside the pod CIDR");
  }
  const networkText = r.string(o, "network", path, { optional: true });
  const network = networkText === undefined ? undefined : Prefix.parse(networkText);
  if (network !== undefined && !network.ok) {
    return r.fail(at(path, "network"), networkText, formatParseError(network.error));
  }
  if (network?.ok && !network.value.isMasked) {
    return r.fail(at(path, "network"), networkText, "Host bits are set");
  }
  if (
    network?.ok &&
    !(network.value.bits < cidr.value.bits && network.value.contains(cidr.value.addr))
  ) {
    return r.fail(
      at(path, "network"),
      networkText,
      `Does not hold the pod CIDR ${cidr.value} and more`,
    );
  }
  if (network?.ok && bridge === undefined) {
    return r.fail(at(path, "network"), networkText, "Only pods on a bridge get a network route");
  }
  if (podMtu === undefined) return undefined;
  return {
    name,
    namespace: nsName,
    podCidr: cidr.value,
    ...(bridge === undefined ? {} : { bridge }),
    podMtu,
    lastReserved,
    ...(network?.ok ? { network: network.value } : {}),
  };
}

function readPod(
  r: Reader,
  v: unknown,
  path: string,
  namespaces: ReadonlyMap<string, Namespace>,
  nodes: ReadonlySet<string>,
): Pod | undefined {
  const o = r.object(v, path, ["name", "node", "namespace", "containers"]);
  if (o === undefined) return undefined;
  const name = r.string(o, "name", path, {
    pattern: POD_NAME,
    what: `pod ${NAME_GRAMMARS.pod.what}`,
  });
  const node = r.string(o, "node", path);
  const namespace = r.string(o, "namespace", path, { optional: true });
  if (node !== undefined && !nodes.has(node)) {
    r.fail(at(path, "node"), node, "No such node");
  }
  if (namespace !== undefined) {
    const ns = namespaces.get(namespace);
    if (ns === undefined) r.fail(at(path, "namespace"), namespace, "No such namespace");
    else if (ns.role !== "pod") {
      r.fail(at(path, "namespace"), namespace, 'A pod\'s namespace must have role "pod"');
    }
  }
  const containers = readContainers(r, o, path);
  if (name === undefined || node === undefined) return undefined;
  return { name, node, namespace, containers };
}

function readContainers(r: Reader, o: Obj, path: string): Container[] {
  const list = r.array(o, "containers", path) ?? [];
  const out: Container[] = [];
  const names = new Set<string>();
  let hasPause = false;
  list.forEach((v, i) => {
    const p = at(at(path, "containers"), i);
    const c = r.object(v, p, ["name", "pause", "state", "restarts", "ports"]);
    if (c === undefined) return;
    const name = r.string(c, "name", p, {
      pattern: POD_NAME,
      what: `container ${NAME_GRAMMARS.pod.what}`,
    });
    const pause = r.bool(c, "pause", p, false);
    const state = r.oneOf(c, "state", p, ["running", "exited"] as const, "running");
    const restarts = r.int(c, "restarts", p, 0, 1e9, 0);
    const ports = readPorts(r, c, p);
    if (name === undefined || state === undefined || restarts === undefined) return;
    if (names.has(name)) return r.fail(at(p, "name"), name, "Duplicate container name");
    if (pause && hasPause) return r.fail(at(p, "pause"), true, "A pod has one pause container");
    names.add(name);
    hasPause ||= pause;
    out.push({ name, pause, state, restarts, ports });
  });
  return out;
}

function readPorts(r: Reader, c: Obj, path: string): ContainerPort[] {
  const list = r.array(c, "ports", path, true) ?? [];
  const out: ContainerPort[] = [];
  list.forEach((v, i) => {
    const m = typeof v === "string" ? /^([1-9][0-9]{0,4})\/(tcp|udp)$/.exec(v) : null;
    if (m === null || Number(m[1]) > 65535) {
      return r.fail(at(at(path, "ports"), i), v, 'Expected a port like "8080/tcp" or "53/udp"');
    }
    out.push({ port: Number(m[1]), protocol: m[2] as "tcp" | "udp" });
  });
  return out;
}

function checkPodNamespaces(r: Reader, pods: readonly Pod[]) {
  const owner = new Map<string, string>();
  pods.forEach((p, i) => {
    if (p.namespace === undefined) return;
    const other = owner.get(p.namespace);
    if (other !== undefined) {
      r.fail(`/pods/${i}/namespace`, p.namespace, `Namespace already belongs to pod "${other}"`);
    }
    owner.set(p.namespace, p.name);
  });
}
