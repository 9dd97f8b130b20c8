/**
 * Who answers an ARP request for an address it owns (`arp_process` in
 * `net/ipv4/arp.c`, with `arp_ignore=0`): a namespace whose devices — any of
 * them, up or down, loopback prefixes whole — hold the target address,
 * unless the request's sender address is also one of its own: the reply is
 * sent only when `ip_route_input` accepts the request's source, and a local
 * source is a martian. (A request for an address nobody owns may still be
 * answered by proxy ARP: `proxyarp.ts`.)
 *
 * The tracer asks this of every namespace a broadcast reaches
 * (`trace/arp.ts`); the verifier's evaluator asks it on its compact form,
 * with addresses as numbers. The rule is written once, here.
 *
 * @module
 */

/**
 * Whether a namespace that owns the addresses `owns` tells answers an ARP
 * request for `target` sent from `sip`.
 *
 * @param owns Whether an address is the namespace's own (an `Addr`, or its value).
 * @param target The address asked for.
 * @param sip The request's sender address (none: a request without one).
 * @returns True when the namespace sends the reply.
 * @example
 * ```ts
 * import { answersArp } from "./arp.js";
 * const mine = new Set([0x0a000002]);
 * answersArp((a: number) => mine.has(a), 0x0a000002, 0x0a000001); // true
 * answersArp((a: number) => mine.has(a), 0x0a000002, 0x0a000002); // false: the sender is local
 * ```
 */
export function answersArp<A>(owns: (a: A) => boolean, target: A, sip: A | undefined): boolean {
  return owns(target) && !(sip !== undefined && owns(sip));
}
