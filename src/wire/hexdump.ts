/**
 * Hex dumps as data, for lessons that show outer and inner headers side by
 * side: rows of offset, hex bytes and the layer they belong to. Rendering
 * (a table, coloured spans, two columns by depth) is the page's business.
 *
 * @module
 */
import { match } from "ts-pattern";
import { ETHERNET_HEADER_LEN } from "./ethernet.js";
import { decodeFrame, type Frame, transportHeaderLength } from "./frame.js";
import { IPV4_HEADER_LEN } from "./ipv4.js";
import { UDP_HEADER_LEN } from "./udp.js";
import { VXLAN_HEADER_LEN, VXLAN_PORT_IANA, VXLAN_PORT_LINUX, vxlanDecapsulate } from "./vxlan.js";

/** What a run of bytes is: a header, payload, or bytes nobody decoded. */
export type SpanLayer =
  | "ethernet"
  | "ipv4"
  | "udp"
  | "tcp"
  | "icmp"
  | "vxlan"
  | "payload"
  | "raw";

/** A labelled run of bytes `[start, end)`. */
export interface ByteSpan {
  /** Offset of the first byte. */
  readonly start: number;
  /** Offset after the last byte. */
  readonly end: number;
  /** For people: `outer IPv4`, `inner ICMP echo-request`, `payload`. */
  readonly label: string;
  /** What the bytes are. */
  readonly layer: SpanLayer;
  /** 0 for the outermost frame, 1 inside one VXLAN tunnel. */
  readonly depth: number;
}

/** One row of a hex dump; a row never crosses a span boundary. */
export interface HexdumpRow {
  /** Offset of the row's first byte. */
  readonly offset: number;
  /** Lower-case hex bytes separated by spaces: `45 00 00 54`. */
  readonly hex: string;
  /** The label of the span the row belongs to; empty when not annotated. */
  readonly label: string;
  /** What the bytes are; `raw` when not annotated. */
  readonly layer: SpanLayer;
  /** 0 for the outermost frame, 1 inside one VXLAN tunnel. */
  readonly depth: number;
}

/** Options of {@linkcode layerSpans}. */
export interface LayerSpanOptions {
  /** UDP destination ports treated as VXLAN; default 4789 and 8472. */
  readonly vxlanPorts?: readonly number[];
}

/** Options of {@linkcode hexdump}. */
export interface HexdumpOptions {
  /**
   * `true`: label rows with {@linkcode layerSpans}; an array: with those spans;
   * `false` or omitted: plain rows.
   */
  readonly annotate?: boolean | readonly ByteSpan[];
  /** Bytes per row at most; default 16. */
  readonly width?: number;
}

const TRANSPORT_NAME = { udp: "UDP", tcp: "TCP", icmp: "ICMP" } as const;

function transportLabel(frame: Frame): string {
  return match(frame.transport)
    .with({ kind: "icmp" }, ({ header }) => `ICMP ${header.kind}`)
    .with({ kind: "udp" }, { kind: "tcp" }, ({ kind }) => TRANSPORT_NAME[kind])
    .exhaustive();
}

interface Scope {
  readonly base: number;
  readonly depth: number;
  readonly prefix: string;
}

function span(scope: Scope, range: [number, number], layer: SpanLayer, name: string): ByteSpan {
  const [start, end] = range;
  return {
    start: scope.base + start,
    end: scope.base + end,
    label: scope.prefix + name,
    layer,
    depth: scope.depth,
  };
}

function headerSpans(frame: Frame, scope: Scope): ByteSpan[] {
  const ipAt = ETHERNET_HEADER_LEN;
  const transportAt = ipAt + IPV4_HEADER_LEN;
  const payloadAt = transportAt + transportHeaderLength(frame.transport.kind);
  return [
    span(scope, [0, ipAt], "ethernet", "Ethernet"),
    span(scope, [ipAt, transportAt], "ipv4", "IPv4"),
    span(scope, [transportAt, payloadAt], frame.transport.kind, transportLabel(frame)),
  ];
}

function payloadSpans(frame: Frame, scope: Scope, payloadAt: number): ByteSpan[] {
  if (frame.payload.length === 0) return [];
  return [span(scope, [payloadAt, payloadAt + frame.payload.length], "payload", "payload")];
}

function undecodedSpans(length: number, scope: Scope): ByteSpan[] {
  if (length < ETHERNET_HEADER_LEN) {
    return length === 0 ? [] : [span(scope, [0, length], "raw", "undecoded")];
  }
  const ethernet = span(scope, [0, ETHERNET_HEADER_LEN], "ethernet", "Ethernet");
  if (length === ETHERNET_HEADER_LEN) return [ethernet];
  return [ethernet, span(scope, [ETHERNET_HEADER_LEN, length], "raw", "undecoded")];
}

function frameSpans(bytes: Uint8Array, scope: Scope): ByteSpan[] {
  const frame = decodeFrame(bytes);
  if (!frame.ok) return undecodedSpans(bytes.length, scope);
  const headers = headerSpans(frame.value, scope);
  const payloadAt = headers[2].end - scope.base;
  return [...headers, ...payloadSpans(frame.value, scope, payloadAt)];
}

function isVxlanPort(frame: Frame, ports: readonly number[]): boolean {
  return frame.transport.kind === "udp" && ports.includes(frame.transport.header.dstPort);
}

function vxlanSpans(bytes: Uint8Array, outer: Frame): ByteSpan[] {
  const outerScope = { base: 0, depth: 0, prefix: "outer " };
  const vxlanAt = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN;
  const innerAt = vxlanAt + VXLAN_HEADER_LEN;
  const innerScope = { base: innerAt, depth: 1, prefix: "inner " };
  return [
    ...headerSpans(outer, outerScope),
    span({ base: 0, depth: 0, prefix: "" }, [vxlanAt, innerAt], "vxlan", "VXLAN"),
    ...frameSpans(bytes.subarray(innerAt), innerScope),
  ];
}

/**
 * Splits a frame into labelled header and payload spans. A UDP datagram to a
 * VXLAN port that decapsulates is split into outer headers, the VXLAN header
 * and the inner frame's spans (depth 1). Bytes that do not decode are one
 * `undecoded` span after the Ethernet header, if there is one. Never throws.
 *
 * @param bytes A frame, from its destination MAC on.
 * @param options Which UDP ports are VXLAN.
 * @returns Spans in byte order, covering every byte.
 * @example
 * ```ts
 * import { layerSpans } from "./mod.js";
 * layerSpans(new Uint8Array(20)).map((s) => s.label); // ["Ethernet", "undecoded"]
 * ```
 */
export function layerSpans(bytes: Uint8Array, options: LayerSpanOptions = {}): ByteSpan[] {
  const ports = options.vxlanPorts ?? [VXLAN_PORT_IANA, VXLAN_PORT_LINUX];
  const frame = decodeFrame(bytes);
  const plain = { base: 0, depth: 0, prefix: "" };
  if (!frame.ok) return undecodedSpans(bytes.length, plain);
  if (isVxlanPort(frame.value, ports) && vxlanDecapsulate(bytes).ok) {
    return vxlanSpans(bytes, frame.value);
  }
  return frameSpans(bytes, plain);
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

function rowsOf(bytes: Uint8Array, area: ByteSpan, width: number): HexdumpRow[] {
  const rows: HexdumpRow[] = [];
  for (let offset = area.start; offset < area.end; offset += width) {
    const hex = hexOf(bytes.subarray(offset, Math.min(offset + width, area.end)));
    rows.push({ offset, hex, label: area.label, layer: area.layer, depth: area.depth });
  }
  return rows;
}

function rawSpan(start: number, end: number): ByteSpan {
  return { start, end, label: "", layer: "raw", depth: 0 };
}

/** Spans sorted, clipped to the bytes and to each other, gaps filled with raw spans. */
function tile(spans: readonly ByteSpan[], length: number): ByteSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const tiles: ByteSpan[] = [];
  let cursor = 0;
  for (const s of sorted) {
    const start = Math.max(s.start, cursor);
    const end = Math.min(s.end, length);
    if (start >= end) continue;
    if (start > cursor) tiles.push(rawSpan(cursor, start));
    tiles.push({ ...s, start, end });
    cursor = end;
  }
  if (cursor < length) tiles.push(rawSpan(cursor, length));
  return tiles;
}

/**
 * A hex dump as rows of data. With `annotate`, each row belongs to one layer
 * and carries its label, so a page can show outer and inner headers side by
 * side (filter rows by `depth`) or colour them by `layer`.
 *
 * @param bytes The bytes to dump.
 * @param options `annotate` (true, spans, or false) and `width` (default 16).
 * @returns Rows in byte order.
 * @throws {RangeError} If `width` is not a positive integer.
 * @example
 * ```ts
 * import { hexdump } from "./mod.js";
 * hexdump(Uint8Array.from([0x45, 0x00, 0x00, 0x54]));
 * // [{ offset: 0, hex: "45 00 00 54", label: "", layer: "raw", depth: 0 }]
 * ```
 */
export function hexdump(bytes: Uint8Array, options: HexdumpOptions = {}): HexdumpRow[] {
  const width = options.width ?? 16;
  if (!Number.isInteger(width) || width < 1) {
    throw new RangeError(`Hexdump width must be a positive integer, got ${width}`);
  }
  const annotate = options.annotate ?? false;
  const spans = annotate === true ? layerSpans(bytes) : annotate === false ? [] : annotate;
  return tile(spans, bytes.length).flatMap((area) => rowsOf(bytes, area, width));
}
