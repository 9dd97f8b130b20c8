/**
 * Proxy ARP (`arp_process` in `net/ipv4/arp.c`): a namespace answers an ARP
 * request for an address it does not own, with the MAC of the device the
 * request came in on, when
 *
 * - `net.ipv4.conf.all.proxy_arp` or `net.ipv4.conf.DEV.proxy_arp` is 1 on
 *   that device (`IN_DEV_PROXY_ARP` ORs the two),
 * - the target is neither multicast nor loopback,
 * - `ip_route_input` for the target succeeds as forwarding would:
 *   forwarding is on (`IN_DEV_FORWARD`; here `net.ipv4.ip_forward`), the
 *   sender address is not a martian or one of the namespace's own, and the
 *   main table's route is `unicast` (a blackhole, unreachable or prohibit
 *   route, or none, answers nothing),
 * - and that route does not leave by the device the request came in on
 *   (`arp_fwd_proxy`: `rt->dst.dev == dev` answers nothing).
 *
 * Calico relies on exactly this: a pod's default route points to
 * `169.254.1.1`, which nobody owns; its `cali…` veth has `proxy_arp=1` and
 * the node routes `169.254.1.1` out of another device (its default route),
 * so the node answers with the veth's MAC and every packet of the pod is
 * routed by the node. `proxy_delay` only delays the answer (Calico sets it
 * to 0); it does not change who answers.
 *
 * The tracer asks this for every device an ARP broadcast reaches
 * (`trace/arp.ts`); the verifier's evaluator asks the same rule
 * (`proxyArpAnswer`) on its compact form, so the rule is written once.
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import type { Namespace, Route } from "../model/world.js";
import { isLocal } from "../world/routes.js";
import { lookupRoute } from "./fib.js";
import { martianSource } from "./rules.js";

/**
 * Whether proxy ARP is on for a device (`conf.all` or the device's own).
 *
 * @param ns The namespace.
 * @param device The device's name.
 * @returns True when `IN_DEV_PROXY_ARP` holds.
 * @example
 * ```ts
 * import { proxyArpOn } from "./proxyarp.js";
 * declare const ns: import("../model/world.js").Namespace;
 * proxyArpOn(ns, "cali1234567890a");
 * ```
 */
export function proxyArpOn(ns: Namespace, device: string): boolean {
  const on = ns.sysctl.proxyArp;
  return on !== undefined && (on.includes(device) || on.includes("all"));
}

/**
 * The route that makes a namespace answer an ARP request for `target` by
 * proxy, or `undefined` when it does not answer by proxy (see the module
 * doc for the conditions; an owned address is an ordinary answer, not a
 * proxy one).
 *
 * @param ns The namespace receiving the request.
 * @param device The device the request arrived on.
 * @param target The address asked for.
 * @param sender The request's sender address, if any.
 * @returns The unicast route out of another device, or `undefined`.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { proxyArpRoute } from "./proxyarp.js";
 * declare const node: import("../model/world.js").Namespace;
 * proxyArpRoute(node, "cali1234567890a", Addr.mustParse("169.254.1.1"), Addr.mustParse("10.244.0.2"));
 * ```
 */
export function proxyArpRoute(
  ns: Namespace,
  device: string,
  target: Addr,
  sender: Addr | undefined,
): Route | undefined {
  return proxyArpAnswer({
    on: proxyArpOn(ns, device),
    ipForward: ns.sysctl.ipForward,
    device,
    target: target.value,
    sender: sender?.value,
    isLocal: (v) => isLocal(ns, Addr.fromUint32(v)),
    lookup: () => lookupRoute(ns, target),
  });
}

/** What the proxy-ARP decision reads of a namespace, in any representation. */
export interface ProxyArpView<R extends { readonly type: Route["type"]; readonly dev?: string }> {
  /** `IN_DEV_PROXY_ARP` on the device (see {@linkcode proxyArpOn}). */
  readonly on: boolean;
  readonly ipForward: boolean;
  /** The device the request arrived on. */
  readonly device: string;
  /** The address asked for and the request's sender address (unsigned 32-bit). */
  readonly target: number;
  readonly sender: number | undefined;
  /** Whether an address is one of the namespace's own (`localDevice`). */
  readonly isLocal: (v: number) => boolean;
  /** The main table's route for the target. */
  readonly lookup: () => R | undefined;
}

/**
 * The proxy-ARP rule itself, on any representation of a namespace: the
 * kernel world (`proxyArpRoute`) and the verifier's compact form both ask
 * it, so the rule is written once.
 *
 * @param v What the decision reads.
 * @returns The unicast route out of another device, or `undefined`.
 * @example
 * ```ts
 * import { proxyArpAnswer } from "./proxyarp.js";
 * proxyArpAnswer({
 *   on: true, ipForward: true, device: "cali1", target: 0xa9fe0101, sender: 0x0af40002,
 *   isLocal: () => false, lookup: () => ({ type: "unicast" as const, dev: "eth0" }),
 * }); // { type: "unicast", dev: "eth0" }
 * ```
 */
export function proxyArpAnswer<R extends { readonly type: Route["type"]; readonly dev?: string }>(
  v: ProxyArpView<R>,
): R | undefined {
  if (!v.on || !v.ipForward) return undefined;
  if (v.target >>> 28 === 0xe || v.target >>> 24 === 127) return undefined;
  if (v.isLocal(v.target)) return undefined;
  if (v.sender !== undefined && (martianSource(v.sender) || v.isLocal(v.sender))) {
    return undefined;
  }
  const route = v.lookup();
  if (route === undefined || route.type !== "unicast" || route.dev === v.device) return undefined;
  return route;
}
