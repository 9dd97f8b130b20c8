/**
 * Ethernet II: destination MAC, source MAC, EtherType; 14 bytes. The
 * preamble, the frame check sequence and padding to 60 bytes are not
 * modelled (they never reach a packet capture on Linux either).
 *
 * @module
 */
import type { Mac } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { checkField, needBytes, readMac, viewOf, writeMac } from "./bytes.js";
import type { Decoded } from "./decoded.js";
import type { WireError } from "./error.js";

/** Length of an Ethernet II header in bytes. */
export const ETHERNET_HEADER_LEN = 14;

/** EtherType of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;

/** EtherType of ARP (recognised by name only; not decoded). */
export const ETHERTYPE_ARP = 0x0806;

/** An Ethernet II header. */
export interface EthernetHeader {
  /** Destination MAC address. */
  readonly dst: Mac;
  /** Source MAC address. */
  readonly src: Mac;
  /** 0x0800 for IPv4. Values below 0x0600 would be 802.3 lengths. */
  readonly ethertype: number;
}

/**
 * Writes an Ethernet II header at `offset` of `view`.
 *
 * @throws {RangeError} If the EtherType does not fit in 16 bits.
 */
export function writeEthernet(view: DataView, offset: number, h: EthernetHeader): void {
  checkField("Ethernet ethertype", h.ethertype, 16);
  writeMac(view, offset, h.dst);
  writeMac(view, offset + 6, h.src);
  view.setUint16(offset + 12, h.ethertype);
}

/**
 * Encodes an Ethernet II header.
 *
 * @param h The header.
 * @returns 14 bytes: destination MAC, source MAC, EtherType.
 * @throws {RangeError} If the EtherType does not fit in 16 bits.
 * @example
 * ```ts
 * import { Mac } from "../addr/mod.js";
 * import { encodeEthernet, ETHERTYPE_IPV4 } from "./mod.js";
 * const bytes = encodeEthernet({
 *   dst: Mac.broadcast,
 *   src: Mac.mustParse("02:42:ac:11:00:02"),
 *   ethertype: ETHERTYPE_IPV4,
 * });
 * bytes.length; // 14
 * ```
 */
export function encodeEthernet(h: EthernetHeader): Uint8Array {
  const bytes = new Uint8Array(ETHERNET_HEADER_LEN);
  writeEthernet(viewOf(bytes), 0, h);
  return bytes;
}

/**
 * Decodes an Ethernet II header. Any EtherType is accepted here; the frame
 * decoder is the one that insists on IPv4.
 *
 * @param bytes The input.
 * @param offset Where the header starts.
 * @returns The header and the offset of its payload, or a `truncated` error.
 * @example
 * ```ts
 * import { decodeEthernet } from "./mod.js";
 * const r = decodeEthernet(new Uint8Array(14), 0);
 * r.ok && r.value.next; // 14
 * ```
 */
export function decodeEthernet(
  bytes: Uint8Array,
  offset: number,
): Result<Decoded<EthernetHeader>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "ethernet",
    length: ETHERNET_HEADER_LEN,
    what: "Ethernet header",
  });
  if (!room.ok) return err(room.error);
  const view = viewOf(bytes);
  const header = {
    dst: readMac(view, offset),
    src: readMac(view, offset + 6),
    ethertype: view.getUint16(offset + 12),
  };
  return ok({ header, next: offset + ETHERNET_HEADER_LEN });
}
