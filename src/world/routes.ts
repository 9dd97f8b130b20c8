/**
 * Routing tables: connected routes derived from addresses, static routes
 * checked the way the kernel checks `ip route add`, and the longest-prefix
 * lookup.
 *
 * @module
 */
import { type Addr, maskOf, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import type { RouteSpec } from "../syntax/iproute.js";
import type { Device, Namespace, Route } from "../model/world.js";

/**
 * The connected route an address on an up device adds to the main table,
 * as the kernel's `fib_add_ifaddr` does: none for loopback devices (their
 * whole prefix is local) and none for a /32 address.
 *
 * @param dev The device holding the address.
 * @param address The interface address, e.g. `10.244.1.1/24`.
 * @returns The `proto kernel scope link` route, if any.
 */
export function connectedRouteFor(dev: Device, address: Prefix): Route | undefined {
  if (!dev.up || dev.kind === "loopback" || address.bits === 32) return undefined;
  return {
    type: "unicast",
    dst: address.masked(),
    dev: dev.name,
    onlink: false,
    src: address.addr,
    metric: 0,
    proto: "kernel",
    scope: "link",
  };
}

/**
 * All connected routes of a namespace's devices.
 *
 * @param devices The devices, in order.
 * @returns One route per address that makes one, duplicates removed.
 */
export function connectedRoutes(devices: readonly Device[]): Route[] {
  const routes: Route[] = [];
  const seen = new Set<string>();
  for (const dev of devices) {
    for (const a of dev.addresses) {
      const r = connectedRouteFor(dev, a);
      if (r === undefined) continue;
      // sameKey(x, r) && x.dev === r.dev, through a set of keys
      const key = `${r.dst}|${r.metric}|${r.dev}`;
      if (!seen.has(key)) {
        seen.add(key);
        routes.push(r);
      }
    }
  }
  return routes;
}

/**
 * A routing table being filled line by line (as a scenario's routes are
 * loaded), indexed for what {@linkcode resolveRoute} asks of it: whether a
 * route with the same key exists, and the longest scope-link route that
 * holds a gateway. Each question costs at most 33 lookups, so a table of
 * any size is filled in linear time.
 */
export class RouteTable {
  readonly #routes: Route[] = [];
  /** Metrics in use per destination (prefixes are interned, so they are keys). */
  readonly #keys = new Map<Prefix, Set<number>>();
  /** Scope-link unicast routes by prefix length (longest first), then by network. */
  #link: { bits: number; mask: number; byNet: Map<number, Route[]> }[] = [];

  /** @param routes The table's routes, in order. */
  constructor(routes: readonly Route[] = []) {
    for (const r of routes) this.add(r);
  }

  /** The routes, in the order they were added. */
  get routes(): readonly Route[] {
    return this.#routes;
  }

  /** Adds a route (the caller has checked it with {@linkcode resolveRoute}). */
  add(r: Route): void {
    this.#routes.push(r);
    const metrics = this.#keys.get(r.dst);
    if (metrics === undefined) this.#keys.set(r.dst, new Set([r.metric]));
    else metrics.add(r.metric);
    if (r.type === "unicast" && r.scope === "link") {
      let level = this.#link.find((l) => l.bits === r.dst.bits);
      if (level === undefined) {
        level = { bits: r.dst.bits, mask: maskOf(r.dst.bits), byNet: new Map() };
        this.#link = [...this.#link, level].sort((a, b) => b.bits - a.bits);
      }
      const list = level.byNet.get(r.dst.addr.value);
      if (list) list.push(r);
      else level.byNet.set(r.dst.addr.value, [r]);
    }
  }

  /** Whether a route with the same destination and metric exists ({@linkcode sameKey}). */
  has(spec: Route | RouteSpec): boolean {
    return this.#keys.get(spec.dst)?.has(spec.metric) ?? false;
  }

  /**
   * The first of the longest scope-link unicast routes whose destination
   * holds `via` (leaving by `dev`, when given). Costs one lookup per prefix
   * length present, not per route.
   */
  linkRouteTo(via: Addr, dev?: string): Route | undefined {
    for (const level of this.#link) {
      const hit = level.byNet.get((via.value & level.mask) >>> 0)?.find((r) =>
        dev === undefined || r.dev === dev
      );
      if (hit) return hit;
    }
    return undefined;
  }
}

const deviceIndexes = new WeakMap<readonly Device[], ReadonlyMap<string, Device>>();

/**
 * A device of a list by name, through an index built once per list (device
 * lists never change).
 *
 * @param devices A namespace's devices.
 * @param name The name.
 * @returns The first device of that name.
 */
export function deviceIn(devices: readonly Device[], name: string): Device | undefined {
  let ix = deviceIndexes.get(devices);
  if (ix === undefined) {
    const m = new Map<string, Device>();
    for (const d of devices) if (!m.has(d.name)) m.set(d.name, d);
    deviceIndexes.set(devices, ix = m);
  }
  return ix.get(name);
}

/** Two routes that `ip route add` would call the same ("File exists"). */
export function sameKey(a: Route | RouteSpec, b: Route | RouteSpec): boolean {
  return a.dst === b.dst && a.metric === b.metric;
}

/**
 * Orders routes as `ip route show` prints them: by network address, then
 * longer prefixes first, then metric.
 */
export function compareRoutes(a: Route, b: Route): number {
  return a.dst.addr.value - b.dst.addr.value || b.dst.bits - a.dst.bits || a.metric - b.metric;
}

/**
 * Turns a parsed `ip route` line into a route of namespace `ns`, with the
 * checks `ip route add` makes: the device exists and is up, a gateway
 * without `onlink` lies in a connected subnet of the device, the gateway is
 * not a local address, and no route with the same destination and metric
 * exists.
 *
 * @param ns The namespace the route is added to.
 * @param spec The parsed line.
 * @param existing Routes already in the table (a {@linkcode RouteTable} when
 *   many routes are added in turn).
 * @returns The route, or the kernel's complaint.
 * @example
 * ```ts
 * import { parseRoute } from "../syntax/iproute.js";
 * import { resolveRoute } from "./routes.js";
 * declare const ns: import("../model/world.js").Namespace;
 * const spec = parseRoute("10.244.2.0/24 via 192.168.0.12");
 * if (spec.ok) resolveRoute(ns, spec.value, ns.routes);
 * ```
 */
export function resolveRoute(
  ns: Namespace,
  spec: RouteSpec,
  existing: readonly Route[] | RouteTable,
): Result<Route, string> {
  const table = existing instanceof RouteTable ? existing : new RouteTable(existing);
  if (table.has(spec)) return err("File exists");
  if (spec.type !== "unicast") {
    return ok({ ...spec, onlink: false, scope: "global" });
  }
  const named = spec.dev === undefined ? undefined : deviceIn(ns.devices, spec.dev);
  if (spec.dev !== undefined && named === undefined) return err(`Cannot find device "${spec.dev}"`);
  if (named && !named.up) return err("Nexthop device is not up");
  if (named?.kind === "loopback" && spec.via) return err("Nexthop has invalid gateway");
  if (spec.src && !isLocal(ns, spec.src)) return err("Invalid source address");
  if (spec.via === undefined) {
    return ok({ ...spec, dev: named!.name, scope: "link" });
  }
  return resolveGateway(ns, spec, spec.via, named, table);
}

/**
 * Linux (`fib_check_nh_v4_gw`) looks the gateway up in the table as it is
 * now, among routes of scope link only: a connected route that was
 * deleted no longer makes a gateway reachable, and a static
 * `169.254.1.1 dev eth0 scope link` does (Calico's default route).
 */
function resolveGateway(
  ns: Namespace,
  spec: RouteSpec,
  via: Addr,
  named: Device | undefined,
  table: RouteTable,
): Result<Route, string> {
  if (isLocal(ns, via)) return err("Nexthop has invalid gateway");
  if (spec.onlink) {
    if (named === undefined) return err("Nexthop device is not specified for onlink route");
    return ok({ ...spec, dev: named.name, scope: "global" });
  }
  const onLink = table.linkRouteTo(via, named?.name);
  if (onLink === undefined) return err("Nexthop has invalid gateway");
  return ok({ ...spec, dev: named?.name ?? onLink.dev, scope: "global" });
}

/**
 * Whether `addr` is local to the namespace: an address of any device (a
 * down one too: Linux keeps it in the local table), or inside the prefix
 * of an address on an up loopback device (all of 127.0.0.0/8 is local).
 *
 * @param ns The namespace.
 * @param addr The address.
 * @returns The device that owns it, or `undefined`.
 */
export function localDevice(ns: Namespace, addr: Addr): Device | undefined {
  const ix = localIndex(ns);
  const exact = ix.exact.get(addr);
  for (const l of ix.loopbacks) {
    if (exact !== undefined && exact.at < l.at) break;
    if (l.prefix.contains(addr)) return l.dev;
  }
  return exact?.dev;
}

interface LocalIndex {
  /** First up device (in order) holding each address. */
  readonly exact: Map<Addr, { readonly dev: Device; readonly at: number }>;
  /** Prefixes of up loopback devices, in device order. */
  readonly loopbacks: readonly {
    readonly dev: Device;
    readonly at: number;
    readonly prefix: Prefix;
  }[];
}

const localIndexes = new WeakMap<Namespace, LocalIndex>();

/** Namespaces never change, so their local addresses are indexed once. */
function localIndex(ns: Namespace): LocalIndex {
  let ix = localIndexes.get(ns);
  if (ix !== undefined) return ix;
  const exact = new Map<Addr, { dev: Device; at: number }>();
  const loopbacks: { dev: Device; at: number; prefix: Prefix }[] = [];
  ns.devices.forEach((dev, at) => {
    if (!addressesLocal(dev.kind, dev.up)) return;
    for (const a of dev.addresses) {
      if (!exact.has(a.addr)) exact.set(a.addr, { dev, at });
      if (dev.kind === "loopback") loopbacks.push({ dev, at, prefix: a });
    }
  });
  ix = { exact, loopbacks };
  localIndexes.set(ns, ix);
  return ix;
}

/**
 * Whether a device's addresses are local (in the local table): Linux keeps
 * `local ADDR` for a device that is down as well, and delivers to and
 * answers for it; only a down `lo` stops delivering its prefixes.
 *
 * @param kind The device's kind.
 * @param up Whether it is up.
 * @returns True when its addresses are the namespace's own.
 * @example
 * ```ts
 * import { addressesLocal } from "./routes.js";
 * addressesLocal("nic", false); // true
 * addressesLocal("loopback", false); // false
 * ```
 */
export function addressesLocal(kind: string, up: boolean): boolean {
  return up || kind !== "loopback";
}

/** Whether `addr` is a local address of the namespace. */
export function isLocal(ns: Namespace, addr: Addr): boolean {
  return localDevice(ns, addr) !== undefined;
}

/** `0.0.0.0/0`. */
export const DEFAULT_ROUTE = Prefix.mustParse("0.0.0.0/0");
