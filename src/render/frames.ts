/**
 * A traced packet as the bytes it would have on the wire, so a lesson can
 * show real headers (and, for VXLAN, the outer headers in front of the inner
 * frame) with `wire/`'s hex dump. The trace follows header fields; this
 * module fills in what a trace does not track the way the wire layer's
 * defaults do (ICMP echo id/seq 1, a TCP SYN, zero payload bytes).
 *
 * @module
 */
import { match } from "ts-pattern";
import { err, ok, type Result } from "../result.js";
import type { Packet } from "../trace/types.js";
import {
  encodeEthernet,
  encodeFrame,
  ETHERNET_HEADER_LEN,
  ETHERTYPE_IPV4,
  fillPayload,
  frameOf,
  ipipEncapsulate,
  IPV4_HEADER_LEN,
  tcpFlags,
  transportHeaderLength,
  type TransportSpec,
  vxlanEncapsulate,
} from "../wire/mod.js";

function transportOf(p: Packet): TransportSpec {
  const ip = p.ip;
  if (ip.proto === "ipip") throw new Error("An IP-in-IP packet has no transport header of its own");
  return match(ip.proto)
    .with("icmp", (): TransportSpec => ({
      kind: "icmp",
      header: { kind: "echo-request", id: 1, seq: 1 },
    }))
    .with("udp", (): TransportSpec => ({
      kind: "udp",
      header: { srcPort: ip.sport ?? 0, dstPort: ip.dport ?? 0, checksummed: true },
    }))
    .with("tcp", (): TransportSpec => ({
      kind: "tcp",
      header: {
        srcPort: ip.sport ?? 0,
        dstPort: ip.dport ?? 0,
        seq: 1,
        ack: 0,
        flags: tcpFlags("syn"),
        window: 64240,
        urgent: 0,
      },
    }))
    .exhaustive();
}

/**
 * Encodes a traced packet as an Ethernet frame: for a VXLAN packet, the
 * outer Ethernet, IPv4, UDP and VXLAN headers followed by the inner frame.
 *
 * @param p A packet from a trace hop (`hop.after`, say).
 * @returns The frame's bytes, or why it cannot be shown: no Ethernet header
 *   yet (the packet has not been framed), a fragment, or a length too short
 *   for its headers.
 * @example
 * ```ts
 * import { buildWorld, trace, unwrap } from "../mod.js";
 * import { packetBytes } from "./frames.js";
 * const world = unwrap(buildWorld({ mode: "vxlan" }), (e) => e.message);
 * const t = unwrap(trace(world, { from: "a", to: "c" }), (e) => e.message);
 * const onWire = t.hops.find((h) => h.after.vxlan)!.after;
 * const bytes = packetBytes(onWire);
 * if (bytes.ok) bytes.value.length; // 14 + 134: outer Ethernet, then the outer IP packet
 * ```
 */
export function packetBytes(p: Packet): Result<Uint8Array, string> {
  if (p.eth === undefined) return err("The packet has no Ethernet header yet");
  if (p.ip.fragment !== undefined) return err("The packet was fragmented");
  if (p.vxlan) {
    const inner = packetBytes(p.vxlan.inner);
    if (!inner.ok) return inner;
    return ok(vxlanEncapsulate(inner.value, {
      vni: p.vxlan.vni,
      outerSrcMac: p.eth.src,
      outerDstMac: p.eth.dst,
      outerSrc: p.ip.src,
      outerDst: p.ip.dst,
      srcPort: p.ip.sport,
      dstPort: p.ip.dport,
      ttl: p.ip.ttl,
      df: p.ip.df,
    }));
  }
  if (p.ipip) {
    // The inner IP packet (framed for a moment to reuse the encoder), behind one outer header.
    const inner = packetBytes({ ...p.ipip.inner, eth: p.eth });
    if (!inner.ok) return inner;
    const outer = ipipEncapsulate(inner.value.subarray(ETHERNET_HEADER_LEN), {
      local: p.ip.src,
      remote: p.ip.dst,
      id: 0,
    });
    if (!outer.ok) return err(outer.error.message);
    const eth = encodeEthernet({ dst: p.eth.dst, src: p.eth.src, ethertype: ETHERTYPE_IPV4 });
    return ok(concatFrame(eth, outer.value));
  }
  const transport = transportOf(p);
  const payload = p.ip.length - IPV4_HEADER_LEN - transportHeaderLength(transport.kind);
  if (payload < 0) return err(`${p.ip.length} bytes are too few for the headers`);
  return ok(encodeFrame(frameOf({
    srcMac: p.eth.src,
    dstMac: p.eth.dst,
    src: p.ip.src,
    dst: p.ip.dst,
    transport,
    payload: fillPayload(payload),
    ttl: p.ip.ttl,
    df: p.ip.df,
  })));
}

function concatFrame(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
