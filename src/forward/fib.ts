/**
 * The FIB's main table as the tracer reads it: longest-prefix match
 * through an index per routing table, and the source address a route
 * gives a packet. The preference between routes and the source selection
 * rule themselves are in `rules.ts`, shared with the verifier.
 *
 * @module
 */
import type { Addr, Prefix } from "../addr/mod.js";
import { maskOf } from "../addr/mod.js";
import type { Device, Namespace, Route } from "../model/world.js";
import { type AddressView, pickSource } from "./rules.js";

/**
 * A routing table indexed for longest-prefix match: one hash table per
 * prefix length present, longest first (the kernel's FIB uses an LC-trie;
 * a table has few distinct lengths, so this costs a handful of lookups
 * whatever the number of routes).
 */
interface FibIndex {
  /** Distinct prefix lengths, longest first, each with its routes by network address. */
  readonly lengths: readonly {
    readonly bits: number;
    readonly mask: number;
    readonly byNet: Map<number, Route[]>;
  }[];
}

/** Tables never change (edits make new ones), so each is indexed once. */
const indexes = new WeakMap<readonly Route[], FibIndex>();

function fibIndex(routes: readonly Route[]): FibIndex {
  let ix = indexes.get(routes);
  if (ix !== undefined) return ix;
  const byBits = new Map<number, Map<number, Route[]>>();
  for (const r of routes) {
    let byNet = byBits.get(r.dst.bits);
    if (byNet === undefined) byBits.set(r.dst.bits, byNet = new Map());
    const net = r.dst.addr.value;
    const list = byNet.get(net);
    if (list === undefined) byNet.set(net, [r]);
    else list.push(r);
  }
  const lengths = [...byBits].sort((a, b) => b[0] - a[0]).map(([bits, byNet]) => {
    // Lowest metric first; a stable sort keeps table order among equals.
    for (const list of byNet.values()) list.sort((a, b) => a.metric - b.metric);
    return { bits, mask: maskOf(bits), byNet };
  });
  ix = { lengths };
  indexes.set(routes, ix);
  return ix;
}

/**
 * Longest-prefix match in the main table, as the kernel's FIB lookup does:
 * among the routes whose destination contains `dst` take the longest, then
 * the lowest metric (`preferRoute`; on a tie, the earlier route). With
 * `oif`, only routes leaving by that device count. The cost depends on the
 * number of distinct prefix lengths, not of routes.
 *
 * @param ns The namespace.
 * @param dst The destination address.
 * @param oif Restricts the lookup to routes through this device.
 * @returns The chosen route, or `undefined` for "no route".
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { lookupRoute } from "./fib.js";
 * declare const ns: import("../model/world.js").Namespace;
 * lookupRoute(ns, Addr.mustParse("10.244.2.7"));
 * ```
 */
export function lookupRoute(ns: Namespace, dst: Addr, oif?: string): Route | undefined {
  const v = dst.value;
  for (const { mask, byNet } of fibIndex(ns.routes).lengths) {
    const list = byNet.get((v & mask) >>> 0);
    if (list === undefined) continue;
    for (const r of list) if (oif === undefined || r.dev === oif) return r;
  }
  return undefined;
}

const PREFIXES: AddressView<Addr, Prefix> = {
  addrOf: (p) => p.addr,
  contains: (p, a) => p.contains(a),
  hostScope: (p) => p.addr.isLoopback(),
};

/**
 * The source address the kernel picks for a packet leaving by `route`
 * (`fib_result_prefsrc` and `inet_select_addr`, written once in
 * `rules.ts`'s `pickSource`).
 *
 * @param ns The namespace.
 * @param route The output route.
 * @returns The source address, or `undefined` when the namespace has none.
 * @example
 * ```ts
 * import { lookupRoute, selectSource } from "./fib.js";
 * import { Addr } from "../addr/mod.js";
 * declare const ns: import("../model/world.js").Namespace;
 * const route = lookupRoute(ns, Addr.mustParse("10.244.2.7"));
 * if (route) selectSource(ns, route);
 * ```
 */
export function selectSource(ns: Namespace, route: Route): Addr | undefined {
  const dev: Device | undefined = route.dev === undefined
    ? undefined
    : ns.devices.find((d) => d.name === route.dev);
  return pickSource(route.src, route.via, dev?.addresses ?? [], ns.devices, PREFIXES);
}
