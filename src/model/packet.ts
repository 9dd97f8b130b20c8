/**
 * A packet as the kernel follows it: the IPv4 header fields that decide its
 * path, its Ethernet header once it is framed, and the inner packet a VXLAN
 * outer packet carries. Header-level values shared by every layer that
 * forwards, encapsulates or traces; `wire/` holds the byte-exact forms.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import type { Protocol } from "./world.js";

/** The IPv4 header fields a trace follows. */
export interface IpHeader {
  readonly src: Addr;
  readonly dst: Addr;
  readonly ttl: number;
  /** The transport, or `ipip` for an outer IP-in-IP header (protocol 4). */
  readonly proto: Protocol | "ipip";
  readonly sport?: number;
  readonly dport?: number;
  /** Total length of the datagram in bytes. */
  readonly length: number;
  /** Don't Fragment. */
  readonly df: boolean;
  /** Largest fragment on the wire, once the datagram was fragmented. */
  readonly fragment?: number;
}

/** An Ethernet header. */
export interface EthHeader {
  readonly src: Mac;
  readonly dst: Mac;
}

/** A packet at one point of its path; `vxlan` and `ipip` mark an outer packet carrying `inner`. */
export interface Packet {
  readonly ip: IpHeader;
  readonly eth?: EthHeader;
  readonly vxlan?: { readonly vni: number; readonly inner: Packet };
  readonly ipip?: { readonly inner: Packet };
}
