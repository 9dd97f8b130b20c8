/**
 * Where a packet meets what the model does not model. The tracer asks at
 * each decision it takes in a namespace (a route lookup, a netfilter hook,
 * a packet to a local address, a frame or ARP request arriving on a
 * device); when the answer is an entry, the trace stops and names it
 * instead of deciding as if it were not there.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { Namespace, NetfilterHook, Route, Unmodelled } from "../model/world.js";

/** A decision the tracer is about to take in a namespace. */
export type Meeting =
  /** A route lookup for `dst`; `route` is the model's choice, if any. */
  | { readonly kind: "lookup"; readonly dst: Addr; readonly route?: Route }
  /** A packet addressed to `dst` is checked for local delivery. */
  | { readonly kind: "local"; readonly dst: Addr }
  /** The packet passes a netfilter hook. */
  | { readonly kind: "hook"; readonly hook: NetfilterHook }
  /** A frame, or an ARP request, arrives on a device. */
  | { readonly kind: "device"; readonly device: string };

/**
 * The first unmodelled entry of `ns` that a decision meets.
 *
 * A route entry is met when it covers the destination at least as
 * specifically as the route the model chose (so a more specific modelled
 * route still wins, as longest-prefix match says); policy rules are met by
 * every lookup.
 *
 * @param ns The namespace.
 * @param m The decision.
 * @returns The entry, or `undefined` when the model knows everything it needs.
 * @example
 * ```ts
 * import { Addr, Prefix } from "../addr/mod.js";
 * import { unmodelledMet } from "./unmodelled.js";
 * declare const ns: import("../model/world.js").Namespace;
 * const tunl = { kind: "route", what: "tunl0 (ipip)", text: "10.244.2.0/26 dev tunl0", dst: Prefix.mustParse("10.244.2.0/26") } as const;
 * unmodelledMet({ ...ns, unmodelled: [tunl] }, { kind: "lookup", dst: Addr.mustParse("10.244.2.5") }); // tunl
 * ```
 */
export function unmodelledMet(ns: Namespace, m: Meeting): Unmodelled | undefined {
  const list = ns.unmodelled;
  if (list === undefined || list.length === 0) return undefined;
  return list.find((u) => {
    switch (u.kind) {
      case "route":
        return m.kind === "lookup" && u.dst.contains(m.dst) &&
          (m.route === undefined || u.dst.bits >= m.route.dst.bits);
      case "rules":
        return m.kind === "lookup";
      case "address":
        return m.kind === "local" && u.addr === m.dst;
      case "netfilter":
        return m.kind === "hook" && u.hook === m.hook;
      case "device":
        return m.kind === "device" && u.device === m.device;
      case "listed":
        return false;
    }
  });
}
