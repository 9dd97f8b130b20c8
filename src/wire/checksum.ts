/**
 * The Internet checksum (RFC 1071): the one's complement of the one's
 * complement sum of 16-bit big-endian words. IPv4 covers its header; ICMP its
 * message; UDP and TCP their segment plus a pseudo-header of addresses,
 * protocol and length.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";

/**
 * Adds the 16-bit big-endian words of `bytes` to `sum` without folding (an
 * odd last byte is padded with a zero byte, RFC 1071 section 4.1).
 */
export function sumWords(bytes: Uint8Array, sum = 0): number {
  let acc = sum;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) acc += (bytes[i] << 8) | bytes[i + 1];
  if (even < bytes.length) acc += bytes[even] << 8;
  return acc;
}

/** Folds carries into 16 bits and complements: the checksum of a sum. */
export function foldAndComplement(sum: number): number {
  let acc = sum;
  while (acc > 0xffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** The unfolded sum of the TCP/UDP pseudo-header (RFC 768, RFC 793). */
export function pseudoHeaderSum(
  addrs: { readonly src: Addr; readonly dst: Addr },
  segment: { readonly protocol: number; readonly length: number },
): number {
  const { src, dst } = addrs;
  return (src.value >>> 16) + (src.value & 0xffff) + (dst.value >>> 16) + (dst.value & 0xffff) +
    segment.protocol + segment.length;
}

/**
 * The Internet checksum of `bytes` (RFC 1071). Over bytes that already hold a
 * correct checksum field the result is 0.
 *
 * @param bytes The bytes to sum; an odd trailing byte is padded with zero.
 * @returns The 16-bit checksum to store in the header.
 * @example
 * ```ts
 * import { internetChecksum } from "./mod.js";
 * // An IPv4 header with its checksum field zeroed (bytes 10-11):
 * const h = Uint8Array.from([
 *   0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
 *   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
 * ]);
 * internetChecksum(h).toString(16); // "b861"
 * ```
 */
export function internetChecksum(bytes: Uint8Array): number {
  return foldAndComplement(sumWords(bytes));
}

/** The addresses a TCP or UDP checksum covers through the pseudo-header. */
export interface PseudoHeader {
  /** Source address of the enclosing IPv4 header. */
  readonly src: Addr;
  /** Destination address of the enclosing IPv4 header. */
  readonly dst: Addr;
}

/**
 * The TCP or UDP checksum of a segment given in consecutive parts (each part
 * but the last of even length), with the checksum field zeroed.
 */
export function segmentChecksum(
  pseudo: PseudoHeader & { readonly protocol: number; readonly length: number },
  parts: readonly Uint8Array[],
): number {
  let sum = pseudoHeaderSum(pseudo, pseudo);
  for (const part of parts) sum = sumWords(part, sum);
  return foldAndComplement(sum);
}
