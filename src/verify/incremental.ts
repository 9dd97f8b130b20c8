/**
 * Incremental re-verification: after one edit — a route added, removed or
 * changed on one host, `ip_forward` toggled, an iptables rule added or
 * removed — only the states and destination atoms the edit can reach are
 * recomputed (see `Verifier`). Edits come either as kernel worlds (a lesson
 * edits its world with `world/edit.ts`; the changed namespace is found by
 * identity) or as compact edits on a fabric that has no world (the
 * 5,000-node benchmark).
 *
 * @module
 */
import { Addr, maskOf, Prefix } from "../addr/mod.js";
import { isPlainRule } from "../forward/netfilter.js";
import { inPrefix } from "../forward/rules.js";
import { err, ok, type Result } from "../result.js";
import { formatRoute, parseRoute, type RouteSpec } from "../syntax/iproute.js";
import { parseIptables } from "../syntax/iptables.js";
import { formatLineError } from "../syntax/tokens.js";
import type { Namespace, Route, World } from "../model/world.js";
import { routedAgain } from "./routed.js";
import {
  addIptables,
  addRoute,
  deleteIptables,
  deleteRoute,
  type EditError,
  formatEditError,
  setIpForward,
} from "../world/edit.js";
import { match } from "ts-pattern";
import {
  compactDevice,
  compactRoute,
  compactRule,
  type Fabric,
  fabricFromWorld,
  type FHost,
  type FRoute,
  NONE,
  OWN_SRC,
  routeKey,
} from "./fabric.js";
import { type Summary, type Verification, Verifier } from "./verifier.js";

/**
 * Verifies a world in one call.
 *
 * @param world The world.
 * @returns The verification.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { verifyWorld } from "./incremental.js";
 * verifyWorld(unwrap(buildWorld({ mode: "host-gw" }), (e) => e.message)).holds; // true
 * ```
 */
export function verifyWorld(world: World): Verification {
  return new Verifier(fabricFromWorld(world)).result();
}

/** One edit of a fabric's host, in the syntax a reader types. */
export type FabricEdit =
  | { readonly kind: "route-add"; readonly host: string; readonly route: string }
  | { readonly kind: "route-delete"; readonly host: string; readonly route: string }
  | { readonly kind: "route-replace"; readonly host: string; readonly route: string }
  | { readonly kind: "ip-forward"; readonly host: string; readonly on: boolean }
  | { readonly kind: "iptables-add"; readonly host: string; readonly rule: string }
  | { readonly kind: "iptables-delete"; readonly host: string; readonly rule: string };

/** Why an edit was refused. */
export interface FabricEditError {
  readonly host: string;
  readonly message: string;
}

/** How a re-check went. */
export interface Recheck {
  /** The numbers, kept up to date incrementally. */
  readonly summary: Summary;
  /** Gathers the failure sets (costs a pass over every destination atom). */
  readonly verification: () => Verification;
  /** False when the change needed a full re-verification. */
  readonly incremental: boolean;
  /** Wall time of the re-check in milliseconds. */
  readonly millis: number;
}

/**
 * Applies a compact edit to a host, as `ip route add|del|replace`, `sysctl` or
 * `iptables` would (with the same refusals: unknown device, gateway not
 * on a connected subnet, "File exists", no such route).
 *
 * @param fabric The fabric.
 * @param edit The edit.
 * @returns The host index and its new record, or why not.
 * @example
 * ```ts
 * import { applyEdit, generateFabric } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const f = unwrap(generateFabric({ mode: "host-gw", nodes: 3, podsPerNode: 2 }), (e) => e.message);
 * applyEdit(f, { kind: "route-delete", host: "node-1", route: "10.244.2.0/24" }).ok; // true
 * ```
 */
export function applyEdit(
  fabric: Fabric,
  edit: FabricEdit,
): Result<{ readonly host: number; readonly record: FHost }, FabricEditError> {
  const h = fabric.hostIndex.get(edit.host);
  const fail = (message: string) => err({ host: edit.host, message });
  if (h === undefined) return fail(`No host called "${edit.host}"`);
  const host = fabric.hosts[h];
  switch (edit.kind) {
    case "ip-forward":
      return ok({ host: h, record: { ...host, ipForward: edit.on } });
    case "iptables-add": {
      const parsed = parseIptables(edit.rule);
      if (!parsed.ok) return fail(formatLineError(parsed.error));
      const v = parsed.value;
      if (v.kind === "policy") return ok({ host: h, record: { ...host, forwardPolicy: v.policy } });
      if (v.kind === "chain" || !isPlainRule(v)) {
        return fail("a user chain or a kube-proxy match the compact form does not evaluate");
      }
      const rule = compactRule(v);
      return ok({ host: h, record: { ...host, rules: [...host.rules, rule] } });
    }
    case "iptables-delete": {
      const rules = host.rules.filter((r) => r.text !== edit.rule.trim());
      if (rules.length === host.rules.length) return fail(`No rule ${JSON.stringify(edit.rule)}`);
      return ok({ host: h, record: { ...host, rules } });
    }
    case "route-add": {
      const r = resolveCompactRoute(fabric, host, edit.route);
      if (!r.ok) return fail(r.error);
      return ok({ host: h, record: { ...host, ownRoutes: [...host.ownRoutes, r.value] } });
    }
    case "route-replace": {
      // `ip route replace`: whatever route has this prefix and metric gives way.
      const spec = parseRoute(edit.route);
      if (!spec.ok) return fail(formatLineError(spec.error));
      const dst = spec.value.dst.addr.value;
      const bits = spec.value.dst.bits;
      const same = (r: FRoute) =>
        r.dst === dst && r.bits === bits && r.metric === spec.value.metric;
      const removedRoutes = new Set(host.removedRoutes);
      for (const i of baseRoutesByDst(fabric).get(`${dst}/${bits}`) ?? []) {
        if (same(fabric.baseRoutes[i])) removedRoutes.add(i);
      }
      const cleared = { ...host, ownRoutes: host.ownRoutes.filter((r) => !same(r)), removedRoutes };
      const r = resolveCompactRoute(fabric, cleared, edit.route);
      if (!r.ok) return fail(r.error);
      return ok({ host: h, record: { ...cleared, ownRoutes: [...cleared.ownRoutes, r.value] } });
    }
    case "route-delete": {
      const words = edit.route.trim().split(/\s+/);
      const spec = parseRoute(words.length === 1 ? `${edit.route.trim()} dev lo` : edit.route);
      if (!spec.ok) return fail(formatLineError(spec.error));
      const s = spec.value;
      const dst = s.dst.addr.value;
      const hit = (r: FRoute) =>
        r.dst === dst && r.bits === s.dst.bits &&
        (words.length === 1 ||
          ((s.dev === undefined || r.dev === s.dev) &&
            (s.via === undefined || r.via === s.via.value)));
      const own = host.ownRoutes.findIndex(hit);
      if (own >= 0) {
        return ok({
          host: h,
          record: { ...host, ownRoutes: host.ownRoutes.filter((_, i) => i !== own) },
        });
      }
      const base =
        (baseRoutesByDst(fabric).get(`${dst}/${s.dst.bits}`) ?? []).find((i) =>
          !host.removedRoutes.has(i) && hit(fabric.baseRoutes[i])
        ) ?? -1;
      if (base < 0) return fail("No such process (no route matches)");
      const removedRoutes = new Set(host.removedRoutes);
      removedRoutes.add(base);
      return ok({ host: h, record: { ...host, removedRoutes } });
    }
  }
}

const byDst = new WeakMap<readonly FRoute[], Map<string, number[]>>();

/** Base route ids by destination prefix (built once per base table). */
function baseRoutesByDst(fabric: Fabric): Map<string, number[]> {
  let m = byDst.get(fabric.baseRoutes);
  if (m === undefined) {
    m = new Map();
    fabric.baseRoutes.forEach((r, i) => {
      const k = `${r.dst}/${r.bits}`;
      const list = m!.get(k);
      if (list) list.push(i);
      else m!.set(k, [i]);
    });
    byDst.set(fabric.baseRoutes, m);
  }
  return m;
}

/** The effective routes of a host (own plus kept base routes). */
function effectiveRoutes(fabric: Fabric, host: FHost): FRoute[] {
  return [...host.ownRoutes, ...fabric.baseRoutes.filter((_, i) => !host.removedRoutes.has(i))];
}

/** `resolveRoute` of the kernel, on the compact form. */
function resolveCompactRoute(fabric: Fabric, host: FHost, line: string): Result<FRoute, string> {
  const parsed = parseRoute(line);
  if (!parsed.ok) return err(formatLineError(parsed.error));
  const spec = parsed.value;
  if (spec.proto === "kernel") return err("Connected routes (proto kernel) come from addresses");
  const dst = spec.dst.addr.value;
  const bits = spec.dst.bits;
  for (const r of host.ownRoutes) {
    if (r.dst === dst && r.bits === bits && r.metric === spec.metric) return err("File exists");
  }
  if (
    fabric.baseRoutes.some((r, i) =>
      !host.removedRoutes.has(i) && r.dst === dst && r.bits === bits && r.metric === spec.metric
    )
  ) return err("File exists");
  const isLocal = (v: number) =>
    host.devices.some((d) =>
      d.up &&
      d.addresses.some((a) =>
        a.addr === v || (d.kind === "loopback" && inPrefix(v, a.addr, a.bits))
      )
    );
  const base: FRoute = {
    type: spec.type,
    dst,
    bits,
    metric: spec.metric,
    via: spec.via ? spec.via.value : NONE,
    dev: spec.dev ?? "",
    onlink: spec.onlink,
    src: spec.src ? spec.src.value : NONE,
    kernel: false,
  };
  if (spec.type !== "unicast") return ok({ ...base, onlink: false });
  const named = spec.dev === undefined ? undefined : host.devices.find((d) => d.name === spec.dev);
  if (spec.dev !== undefined && named === undefined) return err(`Cannot find device "${spec.dev}"`);
  // A node's routed veths are one device of the compact form (routed.ts): a
  // route out of one of them would stand for a route out of all.
  if (named?.kind === "veth") {
    return err(`A route out of the routed veth ${spec.dev} is left to a world (edit the world)`);
  }
  if (named && !named.up) return err("Nexthop device is not up");
  if (named?.kind === "loopback" && spec.via) return err("Nexthop has invalid gateway");
  if (spec.src && !isLocal(spec.src.value)) return err("Invalid source address");
  if (spec.via === undefined) {
    if (named === undefined) return err("Device is missing");
    return ok(base);
  }
  const via = spec.via.value;
  if (isLocal(via)) return err("Nexthop has invalid gateway");
  if (spec.onlink) {
    if (named === undefined) return err("Nexthop device is not specified for onlink route");
    return ok(base);
  }
  let best: { dev: string; bits: number } | undefined;
  for (const d of host.devices) {
    if (!d.up || d.kind === "loopback") continue;
    if (named !== undefined && d.name !== named.name) continue;
    for (const a of d.addresses) {
      if (a.bits === 32 || ((via ^ a.addr) & maskOf(a.bits)) !== 0) continue;
      if (best === undefined || a.bits > best.bits) best = { dev: d.name, bits: a.bits };
    }
  }
  if (best === undefined) return err("Nexthop has invalid gateway");
  return ok({ ...base, dev: named?.name ?? best.dev });
}

/**
 * Applies a compact edit and re-checks. On a fabric made from a world the
 * edit is made to the world and re-checked as {@linkcode recheckWorld}
 * does, so pairs the verifier traces see it too.
 *
 * @param verifier The verifier (changed in place).
 * @param edit The edit.
 * @returns The re-check, or why the edit was refused.
 * @example
 * ```ts
 * import { generateFabric, recheckEdit, Verifier } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const v = new Verifier(unwrap(generateFabric({ mode: "host-gw", nodes: 3, podsPerNode: 2 }), (e) => e.message));
 * const r = recheckEdit(v, { kind: "route-delete", host: "node-1", route: "10.244.2.0/24" });
 * if (r.ok) r.value.summary.failing; // 4: node-1's pods to node-2's
 * ```
 */
export function recheckEdit(
  verifier: Verifier,
  edit: FabricEdit,
): Result<Recheck, FabricEditError> {
  const start = performance.now();
  const world = verifier.fabric.world;
  if (world !== undefined) {
    // The fabric came from a world, and pairs the compact form cannot decide
    // are traced on that world: the edit is made to the world, so no trace
    // reads the state from before it.
    const edited = editWorld(world, edit);
    if (!edited.ok) return err({ host: edit.host, message: formatEditError(edited.error) });
    const r = recheckWorld(verifier, edited.value);
    return ok({ ...r, millis: performance.now() - start });
  }
  const applied = applyEdit(verifier.fabric, edit);
  if (!applied.ok) return applied;
  const incremental = replaceHost(verifier, applied.value.host, applied.value.record);
  const summary = verifier.summary();
  return ok({
    summary,
    verification: () => verifier.result(),
    incremental,
    millis: performance.now() - start,
  });
}

/** A compact edit made to a world, as `world/edit.ts` makes it. */
function editWorld(world: World, edit: FabricEdit): Result<World, EditError> {
  return match(edit)
    .with({ kind: "route-add" }, (e) => addRoute(world, e.host, e.route))
    .with({ kind: "route-delete" }, (e) => deleteRoute(world, e.host, e.route))
    .with({ kind: "route-replace" }, (e) => {
      // `ip route replace`: the route with the same destination goes, the new one comes.
      const dst = e.route.trim().split(/\s+/)[0] ?? "";
      const gone = deleteRoute(world, e.host, dst);
      return addRoute(gone.ok ? gone.value : world, e.host, e.route);
    })
    .with({ kind: "ip-forward" }, (e) => setIpForward(world, e.host, e.on))
    .with({ kind: "iptables-add" }, (e) => addIptables(world, e.host, e.rule))
    .with({ kind: "iptables-delete" }, (e) => deleteIptables(world, e.host, e.rule))
    .exhaustive();
}

/**
 * Replaces one host's record and re-checks what that can affect; falls
 * back to a full re-verification when the change is of a kind the
 * incremental path does not handle (devices, addresses, new atom
 * boundaries or source classes).
 *
 * @param verifier The verifier (changed in place).
 * @param h The host index.
 * @param record The host's new record.
 * @returns True when the re-check was incremental.
 * @example
 * ```ts
 * import { generateFabric, replaceHost, Verifier } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const v = new Verifier(unwrap(generateFabric({ mode: "vxlan", nodes: 3, podsPerNode: 2 }), (e) => e.message));
 * replaceHost(v, 1, { ...v.fabric.hosts[1], ipForward: false }); // true
 * v.summary().failing; // 16: everything to and from node-2's pods
 * ```
 */
export function replaceHost(verifier: Verifier, h: number, record: FHost): boolean {
  if (verifier.replaceHost(h, record)) return true;
  const f = verifier.fabric;
  const hosts = [...f.hosts];
  hosts[h] = record;
  verifier.rebuild({ ...f, hosts });
  return false;
}

/**
 * Re-checks after a world edit. The changed namespaces are found by
 * identity (edits in `world/edit.ts` replace only the namespace they
 * change); one changed node or router namespace is re-checked
 * incrementally, anything else is verified again in full.
 *
 * @param verifier A verifier made from `fabricFromWorld` (changed in place).
 * @param world The edited world.
 * @returns The re-check.
 * @example
 * ```ts
 * import { buildWorld, setIpForward, unwrap } from "../mod.js";
 * import { fabricFromWorld, recheckWorld, Verifier } from "./mod.js";
 * const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3 }), (e) => e.message);
 * const v = new Verifier(fabricFromWorld(world));
 * const edited = unwrap(setIpForward(world, "node-2", false), (e) => e.message);
 * recheckWorld(v, edited).summary.failing; // 16
 * ```
 */
export function recheckWorld(verifier: Verifier, world: World): Recheck {
  const start = performance.now();
  const before = verifier.fabric.world;
  let incremental = false;
  const changed = before === undefined ? undefined : changedHost(verifier.fabric, before, world);
  if (changed !== undefined) {
    const [h, ns] = changed;
    const f = verifier.fabric;
    const record = hostFromNamespace(f, h, ns, world);
    verifier.setWorld(world);
    incremental = record !== undefined && verifier.replaceHost(h, record);
    if (!incremental) verifier.rebuild(fabricFromWorld(world));
  } else {
    verifier.rebuild(fabricFromWorld(world));
  }
  const summary = verifier.summary();
  return {
    summary,
    verification: () => verifier.result(),
    incremental,
    millis: performance.now() - start,
  };
}

/** The one host namespace that differs, when only one does (and pods are the same). */
function changedHost(fabric: Fabric, a: World, b: World): [number, Namespace] | undefined {
  if (
    a.pods !== b.pods || a.nodes !== b.nodes || a.segments !== b.segments ||
    a.namespaces.length !== b.namespaces.length
  ) return undefined;
  let found: [number, Namespace] | undefined;
  for (let i = 0; i < a.namespaces.length; i++) {
    if (a.namespaces[i] === b.namespaces[i]) continue;
    if (found !== undefined) return undefined;
    const ns = b.namespaces[i];
    const was = a.namespaces[i];
    const h = fabric.hostIndex.get(ns.name);
    if (h === undefined || was.name !== ns.name) return undefined;
    // Bridge ports belong to the pods' side of the fabric: a changed port means a rebuild.
    const ports = (n: Namespace) => n.devices.filter((d) => d.kind === "veth");
    const before = ports(was);
    const after = ports(ns);
    if (before.length !== after.length || before.some((d, k) => d !== after[k])) return undefined;
    found = [h, ns];
  }
  return found;
}

/**
 * A host record for a namespace, relative to the fabric's base tables, or
 * `undefined` when the node's routed pods changed (the fabric must be
 * derived again).
 */
function hostFromNamespace(
  fabric: Fabric,
  h: number,
  ns: Namespace,
  world: World,
): FHost | undefined {
  const old = fabric.hosts[h];
  // The node's routed pods: their /32s stay out of the table (routed.ts).
  const pods = fabric.pods;
  const members = fabric.domains.filter((d) => d.routed && d.host === h).flatMap((d) =>
    d.pods.map((x) => ({
      name: pods.name(x),
      ip: pods.ip[x],
      facts: {
        gateway: pods.gateway[x],
        hostRoute: pods.hostRoute[x] === 1,
        proxyArp: pods.proxyArp[x] === 1,
      },
    }))
  );
  const implicit = members.length > 0 || ns.sysctl.proxyArp?.length
    ? routedAgain(world, ns, members)
    : new Set<Route>();
  if (implicit === undefined) return undefined;
  const routes = ns.routes.filter((r) => !implicit.has(r)).map((r) => compactRoute(r, ns));
  const keys = new Set(routes.map(routeKey));
  const baseKeys = new Map(fabric.baseRoutes.map((r, i) => [routeKey(r), i]));
  const removedRoutes = new Set<number>();
  fabric.baseRoutes.forEach((r, i) => {
    if (!keys.has(routeKey(r))) removedRoutes.add(i);
  });
  const neighKey = (n: { addr: number; dev: string; mac: number }) => `${n.addr} ${n.dev} ${n.mac}`;
  const neighbours = ns.neighbours.map((n) => ({
    addr: n.addr.value,
    dev: n.dev,
    mac: n.mac.value,
  }));
  const nKeys = new Set(neighbours.map(neighKey));
  const baseN = new Set(fabric.baseNeighbours.map(neighKey));
  const removedNeighbours = new Set<number>();
  fabric.baseNeighbours.forEach((n, i) => {
    if (!nKeys.has(neighKey(n))) removedNeighbours.add(i);
  });
  const fdbKey = (e: { dev: string; mac: number; dst: number }) => `${e.dev} ${e.mac} ${e.dst}`;
  const fdb = ns.devices.flatMap((d) =>
    d.kind === "vxlan"
      ? d.fdb.map((e) => ({ dev: d.name, mac: e.mac.value, dst: e.dst.value }))
      : []
  );
  const fKeys = new Set(fdb.map(fdbKey));
  const baseF = new Set(fabric.baseFdb.map(fdbKey));
  const removedFdb = new Set<number>();
  fabric.baseFdb.forEach((e, i) => {
    if (!fKeys.has(fdbKey(e))) removedFdb.add(i);
  });
  const devices = [
    ...ns.devices.filter((d) => d.kind !== "veth").map((d) =>
      compactDevice(d, old.devices.find((x) => x.name === d.name)?.domain)
    ),
    // The routed pods' host ends are unchanged (`changedHost` checks): one device as before.
    ...old.devices.filter((d) => d.kind === "veth"),
  ];
  return {
    ...old,
    devices,
    ipForward: ns.sysctl.ipForward,
    defaultTtl: ns.sysctl.defaultTtl,
    rules: ns.netfilter.rules.map(compactRule),
    forwardPolicy: ns.netfilter.forwardPolicy,
    ownRoutes: routes.filter((r) => !baseKeys.has(routeKey(r))),
    removedRoutes,
    ownNeighbours: neighbours.filter((n) => !baseN.has(neighKey(n))),
    removedNeighbours,
    ownFdb: fdb.filter((e) => !baseF.has(fdbKey(e))),
    removedFdb,
  };
}

/**
 * A host's routing table as `ip route show` prints it (own and kept base
 * routes, sorted the way the kernel lists them), for a reader to edit.
 *
 * @param fabric The fabric.
 * @param host The host's name.
 * @returns The lines, or undefined when there is no such host.
 * @example
 * ```ts
 * import { generateFabric, routeLines } from "./mod.js";
 * import { unwrap } from "../result.js";
 * routeLines(unwrap(generateFabric({ mode: "host-gw", nodes: 2, podsPerNode: 1 }), (e) => e.message), "node-1");
 * // ["10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1",
 * //  "10.244.2.0/24 via 192.168.0.12 dev eth0",
 * //  "192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.11"]
 * ```
 */
export function routeLines(fabric: Fabric, host: string): string[] | undefined {
  const h = fabric.hostIndex.get(host);
  if (h === undefined) return undefined;
  const record = fabric.hosts[h];
  const routes = effectiveRoutes(fabric, record).sort((a, b) =>
    a.dst - b.dst || b.bits - a.bits || a.metric - b.metric
  );
  return routes.map((r) => {
    let src: number | undefined = r.src >= 0 ? r.src : undefined;
    if (r.src === OWN_SRC) {
      const dev = record.devices.find((d) => d.name === r.dev);
      src = dev?.addresses.find((a) => inPrefix(a.addr, r.dst, r.bits))?.addr;
    }
    const spec: RouteSpec = {
      type: r.type,
      dst: Prefix.of(Addr.fromUint32(r.dst >>> 0), r.bits),
      via: r.via === NONE ? undefined : Addr.fromUint32(r.via >>> 0),
      dev: r.dev === "" ? undefined : r.dev,
      onlink: r.onlink,
      src: src === undefined ? undefined : Addr.fromUint32(src >>> 0),
      metric: r.metric,
      proto: r.kernel ? "kernel" : "static",
      scope: r.kernel || r.via === NONE ? "link" : "global",
    };
    return formatRoute(spec);
  });
}
