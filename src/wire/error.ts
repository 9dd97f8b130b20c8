/**
 * Decoding failures as values: which layer, where in the input and what is
 * wrong.
 *
 * @module
 */

/** The header a decoder was reading when it failed. */
export type WireLayer = "ethernet" | "ipv4" | "udp" | "tcp" | "icmp" | "vxlan";

/**
 * The closed set of things that can be wrong with bytes on the wire.
 *
 * - `truncated`: fewer bytes than the header or its length field needs.
 * - `bad-version`: the IPv4 version nibble is not 4.
 * - `bad-header-length`: IPv4 IHL or TCP data offset below 5 words.
 * - `bad-checksum`: the Internet checksum does not verify.
 * - `bad-flags`: a reserved flag bit is set or a required one is clear.
 * - `bad-length`: a length field disagrees with the bytes or another layer.
 * - `reserved-not-zero`: a field the RFC reserves (or leaves unused) is not 0.
 * - `unsupported`: valid on the wire but outside this model (IPv4 or TCP
 *   options, fragments, other EtherTypes, protocols or ICMP types).
 */
export type WireProblem =
  | "truncated"
  | "bad-version"
  | "bad-header-length"
  | "bad-checksum"
  | "bad-flags"
  | "bad-length"
  | "reserved-not-zero"
  | "unsupported";

/**
 * A decoding failure. Formatted with {@linkcode formatWireError}.
 *
 * `at` is the offset in the input of the first byte of the offending field;
 * for `truncated` it is the start of the layer that does not fit.
 */
export interface WireError {
  /** Tells wire errors from other error values. */
  readonly kind: "wire";
  /** The header being read. */
  readonly layer: WireLayer;
  /** Offset in the input of the offending field (of the layer, when truncated). */
  readonly at: number;
  /** What kind of thing is wrong. */
  readonly problem: WireProblem;
  /** Details, starting with a capital letter, without a trailing period. */
  readonly message: string;
}

/**
 * Builds a {@linkcode WireError}.
 *
 * @param layer The header being read.
 * @param at Offset of the offending field in the input.
 * @param problem What kind of thing is wrong.
 * @param message Details for a human reader.
 * @returns The error value.
 * @example
 * ```ts
 * import { wireError } from "./error.js";
 * wireError("ipv4", 14, "bad-version", "Version is 6, expected 4");
 * ```
 */
export function wireError(
  layer: WireLayer,
  at: number,
  problem: WireProblem,
  message: string,
): WireError {
  return { kind: "wire", layer, at, problem, message };
}

/**
 * Renders a decoding failure as one line.
 *
 * @param error The error to render.
 * @returns For example `ipv4 at byte 24: bad-checksum: Header checksum is 0xb862, expected 0xb861`.
 * @example
 * ```ts
 * import { decodeIpv4, formatWireError } from "./mod.js";
 * const r = decodeIpv4(new Uint8Array(3), 0);
 * if (!r.ok) console.log(formatWireError(r.error));
 * ```
 */
export function formatWireError(error: WireError): string {
  return `${error.layer} at byte ${error.at}: ${error.problem}: ${error.message}`;
}
