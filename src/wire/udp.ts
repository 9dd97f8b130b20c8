/**
 * UDP header (RFC 768): 8 bytes. Over IPv4 the checksum is optional: 0 means
 * "none", which is what Linux VXLAN sends by default (`udpcsum` off). A
 * computed checksum of 0 is sent as 0xffff.
 *
 * @module
 */
import { err, ok, type Result } from "../result.js";
import { checkField, hex16, needBytes, viewOf } from "./bytes.js";
import {
  foldAndComplement,
  type PseudoHeader,
  pseudoHeaderSum,
  segmentChecksum,
  sumWords,
} from "./checksum.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";
import { IP_PROTOCOL } from "./ipv4.js";

/** Length of a UDP header in bytes. */
export const UDP_HEADER_LEN = 8;

const CHECKSUM_AT = 6;

/** A UDP header. The checksum value itself is computed, not stored. */
export interface UdpHeader {
  /** Source port. */
  readonly srcPort: number;
  /** Destination port. */
  readonly dstPort: number;
  /** Length of header and data in bytes, at least 8. */
  readonly length: number;
  /** False when the checksum field is 0 ("no checksum"). */
  readonly checksummed: boolean;
}

/** What a UDP checksum covers besides the header: addresses and data. */
export interface UdpSegment extends PseudoHeader {
  /** The data after the header; empty when omitted. */
  readonly payload?: Uint8Array;
}

/**
 * Writes a UDP header at `offset` of `view` with a zero checksum field.
 *
 * @throws {RangeError} If a field does not fit 16 bits.
 */
export function writeUdp(view: DataView, offset: number, h: UdpHeader): void {
  checkField("UDP srcPort", h.srcPort, 16);
  checkField("UDP dstPort", h.dstPort, 16);
  checkField("UDP length", h.length, 16);
  view.setUint16(offset, h.srcPort);
  view.setUint16(offset + 2, h.dstPort);
  view.setUint16(offset + 4, h.length);
  view.setUint16(offset + CHECKSUM_AT, 0);
}

/** The UDP checksum to store (0xffff for a computed 0) over header and data. */
export function udpChecksum(
  addrs: PseudoHeader,
  segment: { readonly length: number; readonly parts: readonly Uint8Array[] },
): number {
  const pseudo = { ...addrs, protocol: IP_PROTOCOL.udp, length: segment.length };
  return segmentChecksum(pseudo, segment.parts) || 0xffff;
}

/**
 * Encodes a UDP header; when `h.checksummed`, computes the checksum over the
 * pseudo-header (addresses, protocol 17, `h.length`), the header and `payload`.
 *
 * @param h The header.
 * @param segment The IPv4 addresses and the data that follows the header.
 * @returns 8 bytes.
 * @throws {RangeError} If a field does not fit 16 bits.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { encodeUdp } from "./mod.js";
 * const bytes = encodeUdp(
 *   { srcPort: 40000, dstPort: 8472, length: 8, checksummed: false },
 *   { src: Addr.mustParse("192.168.0.11"), dst: Addr.mustParse("192.168.0.12") },
 * );
 * bytes[6] === 0 && bytes[7] === 0; // true
 * ```
 */
export function encodeUdp(h: UdpHeader, segment: UdpSegment): Uint8Array {
  const bytes = new Uint8Array(UDP_HEADER_LEN);
  const view = viewOf(bytes);
  writeUdp(view, 0, h);
  if (h.checksummed) {
    const parts = [bytes, segment.payload ?? new Uint8Array(0)];
    view.setUint16(CHECKSUM_AT, udpChecksum(segment, { length: h.length, parts }));
  }
  return bytes;
}

function checkUdpLength(
  bytes: Uint8Array,
  offset: number,
  length: number,
): Result<void, WireError> {
  if (length < UDP_HEADER_LEN) {
    return err(wireError("udp", offset + 4, "bad-length", `Length ${length} is below 8`));
  }
  return needBytes(bytes, offset, {
    layer: "udp",
    length,
    what: `UDP datagram of length ${length}`,
  });
}

function checkUdpChecksum(
  datagram: Uint8Array,
  offset: number,
  addrs: PseudoHeader,
): Result<void, WireError> {
  const stored = (datagram[CHECKSUM_AT] << 8) | datagram[CHECKSUM_AT + 1];
  if (stored === 0) return ok(undefined);
  const pseudo = { ...addrs, protocol: IP_PROTOCOL.udp, length: datagram.length };
  const sum = sumWords(datagram, pseudoHeaderSum(pseudo, pseudo));
  if (foldAndComplement(sum) === 0) return ok(undefined);
  const zeroed = Uint8Array.from(datagram);
  zeroed.fill(0, CHECKSUM_AT, CHECKSUM_AT + 2);
  const expected = udpChecksum(addrs, { length: datagram.length, parts: [zeroed] });
  return err(
    wireError(
      "udp",
      offset + CHECKSUM_AT,
      "bad-checksum",
      `Checksum is ${hex16(stored)}, expected ${hex16(expected)}`,
    ),
  );
}

/**
 * Decodes a UDP header and, unless its checksum field is 0, verifies the
 * checksum over the pseudo-header and the `length` bytes of the datagram.
 *
 * @param bytes The input; the datagram must fit in it.
 * @param offset Where the header starts.
 * @param addrs The source and destination of the enclosing IPv4 header.
 * @returns The header and the offset of its data, or an error naming the field.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { decodeUdp } from "./mod.js";
 * const any = Addr.mustParse("0.0.0.0");
 * const r = decodeUdp(Uint8Array.from([0, 53, 0, 53, 0, 8, 0, 0]), 0, { src: any, dst: any });
 * r.ok && r.value.header.dstPort; // 53
 * ```
 */
export function decodeUdp(
  bytes: Uint8Array,
  offset: number,
  addrs: PseudoHeader,
): Result<Decoded<UdpHeader>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "udp",
    length: UDP_HEADER_LEN,
    what: "UDP header",
  });
  if (!room.ok) return err(room.error);
  const view = viewOf(bytes);
  const length = view.getUint16(offset + 4);
  const fits = checkUdpLength(bytes, offset, length);
  if (!fits.ok) return err(fits.error);
  const checksum = checkUdpChecksum(bytes.subarray(offset, offset + length), offset, addrs);
  if (!checksum.ok) return err(checksum.error);
  const header = {
    srcPort: view.getUint16(offset),
    dstPort: view.getUint16(offset + 2),
    length,
    checksummed: view.getUint16(offset + CHECKSUM_AT) !== 0,
  };
  return ok({ header, next: offset + UDP_HEADER_LEN });
}
