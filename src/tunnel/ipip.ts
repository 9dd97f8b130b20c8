/**
 * IP in IP at the header level: the outer packet for an inner one, as
 * Linux's `ipip` driver builds it (`ip_tunnel_xmit`; the bytes are in
 * `wire/ipip.ts`): 20 bytes more, protocol 4, the inner TTL and DF copied
 * (`ttl inherit`, tunl0's default), no Ethernet header inside.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { Packet } from "../model/packet.js";
import { IPIP_OVERHEAD } from "../wire/ipip.js";

export { IPIP_OVERHEAD };

/**
 * Wraps an inner packet in an outer IPv4 header, protocol 4.
 *
 * @param inner The inner packet (its Ethernet header, if any, is dropped).
 * @param ends Outer source and destination.
 * @returns The outer packet (framed when it is sent).
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { encapsulateIpip } from "./ipip.js";
 * const inner = { ip: { src: Addr.mustParse("10.244.0.1"), dst: Addr.mustParse("10.244.0.65"),
 *   ttl: 63, proto: "icmp" as const, length: 84, df: true } };
 * const outer = encapsulateIpip(inner, { local: Addr.mustParse("192.168.0.11"),
 *   remote: Addr.mustParse("192.168.0.12") });
 * [outer.ip.length, outer.ip.ttl, outer.ip.proto]; // [104, 63, "ipip"]
 * ```
 */
export function encapsulateIpip(
  inner: Packet,
  ends: { readonly local: Addr; readonly remote: Addr },
): Packet {
  const bare: Packet = { ip: inner.ip };
  return {
    ip: {
      src: ends.local,
      dst: ends.remote,
      ttl: inner.ip.ttl,
      proto: "ipip",
      length: (inner.ip.fragment ?? inner.ip.length) + IPIP_OVERHEAD,
      df: inner.ip.df,
    },
    ipip: { inner: bare },
  };
}
