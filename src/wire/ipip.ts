/**
 * IP in IP (RFC 2003), as Linux's `ipip` driver (Calico's `tunl0`) sends it:
 * the inner IPv4 packet, unchanged, behind one more IPv4 header of 20 bytes
 * with protocol 4 — no Ethernet header inside, no UDP, so the overhead is
 * 20 bytes where VXLAN's is 50 (Calico's IP-in-IP pods get MTU 1480 on a
 * 1500 underlay). The outer header, as `ip_tunnel_xmit` builds it for a
 * tunnel with `ttl inherit` and `tos 0` (tunl0's defaults):
 *
 * - TTL: the inner TTL (RFC 2003 §3.1 leaves it to the encapsulator; with
 *   `ttl inherit` Linux copies it, after its own forwarding decrement);
 * - TOS: 0 with the inner header's ECN bits (`INET_ECN_encapsulate`: a
 *   congestion mark, CE, becomes ECT(0) outside);
 * - DF: copied from the inner header (RFC 2003 §3.1; the fallback tunnel
 *   has no `pmtudisc` of its own);
 * - identification: chosen by the sender (`ip_select_ident`), given here;
 * - protocol 4, checksum over the outer header only.
 *
 * A machine whose kernel has no `ipip` module (this project's lab machine)
 * cannot build such a tunnel; these bytes are checked against the RFC and
 * Linux's layout in `tests/wire.test.ts` instead.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { concatBytes } from "./bytes.js";
import { type WireError, wireError } from "./error.js";
import { decodeIpv4, encodeIpv4, IPV4_HEADER_LEN, type Ipv4Header } from "./ipv4.js";

/** The IP protocol number of IP in IP (RFC 2003). */
export const IPIP_PROTOCOL = 4;

/**
 * Bytes IP in IP adds to the inner IPv4 packet: one IPv4 header (20). The
 * MTU of a pod behind `tunl0` is the underlay's less this.
 */
export const IPIP_OVERHEAD = IPV4_HEADER_LEN;

const ECN_MASK = 0x03;
const ECN_CE = 0x03;
const ECN_ECT0 = 0x02;

/** What the encapsulating host chooses. */
export interface IpipEncapsulation {
  /** Outer source: the tunnel's `local`, or the address the route to `remote` selects. */
  readonly local: Addr;
  /** Outer destination: the tunnel's `remote`, or the route's gateway (tunl0 has none). */
  readonly remote: Addr;
  /** Outer identification. */
  readonly id: number;
}

/**
 * Wraps an inner IPv4 packet in an outer IPv4 header, protocol 4.
 *
 * @param inner The inner IPv4 packet, header first.
 * @param options Outer addresses and identification.
 * @returns The outer packet, exactly {@linkcode IPIP_OVERHEAD} bytes longer; or why the inner bytes are not an IPv4 packet.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { encodeIpv4 } from "./ipv4.js";
 * import { ipipEncapsulate } from "./ipip.js";
 * const inner = encodeIpv4({ tos: 0, length: 20, id: 1, df: true, mf: false, fragOffset: 0,
 *   ttl: 63, protocol: 1, src: Addr.mustParse("10.244.0.1"), dst: Addr.mustParse("10.244.0.65") });
 * const outer = ipipEncapsulate(inner, { local: Addr.mustParse("192.168.0.11"),
 *   remote: Addr.mustParse("192.168.0.12"), id: 7 });
 * outer.ok && [outer.value.length, outer.value[9], outer.value[8]]; // [40, 4, 63]
 * ```
 */
export function ipipEncapsulate(
  inner: Uint8Array,
  options: IpipEncapsulation,
): Result<Uint8Array, WireError> {
  const decoded = decodeIpv4(inner, 0);
  if (!decoded.ok) return err(decoded.error);
  const h = decoded.value.header;
  const outer: Ipv4Header = {
    tos: (h.tos & ECN_MASK) === ECN_CE ? ECN_ECT0 : h.tos & ECN_MASK,
    length: inner.length + IPIP_OVERHEAD,
    id: options.id,
    df: h.df,
    mf: false,
    fragOffset: 0,
    ttl: h.ttl,
    protocol: IPIP_PROTOCOL,
    src: options.local,
    dst: options.remote,
  };
  return ok(concatBytes([encodeIpv4(outer), inner]));
}

/** An outer IP-in-IP packet taken apart. */
export interface IpipDecapsulated {
  readonly outer: Ipv4Header;
  /** The inner IPv4 packet, unchanged. */
  readonly inner: Uint8Array;
}

/**
 * Takes the outer header off, as `ipip_rcv` does: the outer header must be
 * a valid IPv4 header with protocol 4, and what follows a valid IPv4
 * header (Linux drops anything else).
 *
 * @param bytes The outer IPv4 packet.
 * @returns The outer header and the inner packet, or what is wrong and where.
 * @example
 * ```ts
 * import { ipipDecapsulate } from "./ipip.js";
 * ipipDecapsulate(new Uint8Array(10)).ok; // false
 * ```
 */
export function ipipDecapsulate(bytes: Uint8Array): Result<IpipDecapsulated, WireError> {
  const outer = decodeIpv4(bytes, 0);
  if (!outer.ok) return err(outer.error);
  const h = outer.value.header;
  if (h.protocol !== IPIP_PROTOCOL) {
    return err(
      wireError(
        "ipv4",
        9,
        "unsupported",
        `Protocol is ${h.protocol}, not ${IPIP_PROTOCOL} (IP in IP)`,
      ),
    );
  }
  const inner = bytes.subarray(IPV4_HEADER_LEN, h.length);
  const check = decodeIpv4(inner, 0);
  if (!check.ok) return err({ ...check.error, at: check.error.at + IPV4_HEADER_LEN });
  return ok({ outer: h, inner });
}
