/**
 * Tests of the packet formats layer (src/wire): known byte vectors, round
 * trips for every header, checksums that catch a flipped byte, VXLAN
 * encapsulation that adds exactly 50 bytes to the inner IP packet, and
 * decoders that return an error value — never throw — on truncated or random
 * bytes.
 *
 * Property runs print fast-check's seed and path when they fail; set
 * FC_SEED (and FC_PATH) to replay one. Run alone with
 * `deno run -A tests/wire.test.ts`, or inside the project's single uvu run.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { holds } from "./support/property.ts";
import { Addr, Mac } from "../src/addr/mod.js";
import {
  decodeEthernet,
  decodeFrame,
  decodeIcmp,
  decodeIpv4,
  decodeTcp,
  decodeUdp,
  decodeVxlan,
  encodeEthernet,
  encodeFrame,
  encodeIcmp,
  encodeIpv4,
  encodeTcp,
  encodeUdp,
  encodeVxlan,
  EPHEMERAL_PORT_RANGE,
  type EthernetHeader,
  ETHERTYPE_IPV4,
  fillPayload,
  flowKeyOf,
  formatWireError,
  type Frame,
  frameOf,
  type FrameSpec,
  hexdump,
  icmpErrorQuote,
  type IcmpHeader,
  internetChecksum,
  IP_PROTOCOL,
  type Ipv4Header,
  layerSpans,
  type TcpFlags,
  tcpFlags,
  type TcpHeader,
  type TransportSpec,
  type UdpHeader,
  udpSourcePortFor,
  VXLAN_OVERHEAD,
  VXLAN_PORT_LINUX,
  vxlanDecapsulate,
  vxlanEncapsulate,
  type VxlanEncapsulation,
  type WireError,
} from "../src/wire/mod.js";

// ---------------------------------------------------------------------------
// Running properties: fast-check reports seed and path on failure.

/** fc.record with plain objects, which compare equal to decoded headers. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

// ---------------------------------------------------------------------------
// Arbitraries: one per purpose, built with .map so counterexamples shrink.

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.tuple(u16, u16).map(([hi, lo]) => hi * 0x10000 + lo);
const addrs = u32.map(Addr.fromUint32);
const macs = fc.tuple(u16, u16, u16).map(([a, b, c]) =>
  Mac.fromNumber(a * 0x1_0000_0000 + b * 0x10000 + c)
);
const smallPayloads = fc.uint8Array({ maxLength: 64 });

const ethernetHeaders: fc.Arbitrary<EthernetHeader> = record({
  dst: macs,
  src: macs,
  ethertype: u16,
});

const ipv4Headers: fc.Arbitrary<Ipv4Header> = record({
  tos: u8,
  length: fc.integer({ min: 20, max: 0xffff }),
  id: u16,
  df: fc.boolean(),
  mf: fc.boolean(),
  fragOffset: fc.integer({ min: 0, max: 0x1fff }),
  ttl: u8,
  protocol: u8,
  src: addrs,
  dst: addrs,
});

const pseudoHeaders = record({ src: addrs, dst: addrs });

const udpParts = record({ srcPort: u16, dstPort: u16, checksummed: fc.boolean() });

const flagSets: fc.Arbitrary<TcpFlags> = record({
  cwr: fc.boolean(),
  ece: fc.boolean(),
  urg: fc.boolean(),
  ack: fc.boolean(),
  psh: fc.boolean(),
  rst: fc.boolean(),
  syn: fc.boolean(),
  fin: fc.boolean(),
});

const tcpHeaders: fc.Arbitrary<TcpHeader> = record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: flagSets,
  window: u16,
  urgent: u16,
});

const icmpHeaders: fc.Arbitrary<IcmpHeader> = fc.oneof(
  record({ id: u16, seq: u16 }).map((e): IcmpHeader => ({ kind: "echo-request", ...e })),
  record({ id: u16, seq: u16 }).map((e): IcmpHeader => ({ kind: "echo-reply", ...e })),
  fc.constantFrom("net", "host", "port", "admin-prohibited" as const).map((reason): IcmpHeader => ({
    kind: "destination-unreachable",
    reason,
  })),
  u16.map((nextHopMtu): IcmpHeader => ({ kind: "fragmentation-needed", nextHopMtu })),
  fc.constant<IcmpHeader>({ kind: "time-exceeded" }),
);

const transportSpecs: fc.Arbitrary<TransportSpec> = fc.oneof(
  udpParts.map((header): TransportSpec => ({ kind: "udp", header })),
  tcpHeaders.map((header): TransportSpec => ({ kind: "tcp", header })),
  icmpHeaders.map((header): TransportSpec => ({ kind: "icmp", header })),
);

const frameSpecs: fc.Arbitrary<FrameSpec> = record({
  srcMac: macs,
  dstMac: macs,
  src: addrs,
  dst: addrs,
  transport: transportSpecs,
  payload: fc.uint8Array({ maxLength: 200 }),
  ttl: u8,
  id: u16,
  df: fc.boolean(),
  tos: u8,
});

const frames: fc.Arbitrary<Frame> = frameSpecs.map(frameOf);

const vnis = fc.integer({ min: 0, max: 0xffffff });

const encapsulations: fc.Arbitrary<VxlanEncapsulation> = fc.record({
  vni: vnis,
  outerSrcMac: macs,
  outerDstMac: macs,
  outerSrc: addrs,
  outerDst: addrs,
  srcPort: u16,
  dstPort: fc.constantFrom(4789, 8472),
  ttl: u8,
  df: fc.boolean(),
  id: u16,
  udpChecksum: fc.boolean(),
}, {
  requiredKeys: ["vni", "outerSrcMac", "outerDstMac", "outerSrc", "outerDst"],
  noNullPrototype: true,
});

/** Some bytes before `bytes`, to check decoders honour their offset. */
const prefixes = fc.uint8Array({ maxLength: 7 });

function after(prefix: Uint8Array, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix);
  out.set(bytes, prefix.length);
  return out;
}

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(/\s+/).filter((s) => s !== ""), (h) => parseInt(h, 16));
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

function errorOf<T>(result: { ok: true; value: T } | { ok: false; error: WireError }): WireError {
  if (result.ok) throw new Error("Expected a wire error, got a value");
  return result.error;
}

function valueOf<T>(result: { ok: true; value: T } | { ok: false; error: WireError }): T {
  if (!result.ok) throw new Error(formatWireError(result.error));
  return result.value;
}

const HOST_A = Addr.mustParse("192.168.0.1");
const HOST_B = Addr.mustParse("192.168.0.199");
const POD_MAC = Mac.mustParse("0a:58:0a:f4:01:02");
const GW_MAC = Mac.mustParse("0a:58:0a:f4:01:01");
const POD_A = Addr.mustParse("10.244.1.2");
const POD_B = Addr.mustParse("10.244.2.3");

function pingFrame(payloadLength: number): Frame {
  return frameOf({
    srcMac: POD_MAC,
    dstMac: GW_MAC,
    src: POD_A,
    dst: POD_B,
    transport: { kind: "icmp", header: { kind: "echo-request", id: 1, seq: 1 } },
    payload: fillPayload(payloadLength, Uint8Array.from([0xab, 0xcd])),
  });
}

const NODE_TUNNEL: VxlanEncapsulation = {
  vni: 1,
  outerSrcMac: Mac.mustParse("52:54:00:00:00:0b"),
  outerDstMac: Mac.mustParse("52:54:00:00:00:0c"),
  outerSrc: Addr.mustParse("192.168.0.11"),
  outerDst: Addr.mustParse("192.168.0.12"),
};

// ---------------------------------------------------------------------------
// Known vectors

const CLASSIC_IPV4 = "45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7";

test("wire: the classic captured IPv4 header has checksum 0xb861", () => {
  const bytes = hexBytes(CLASSIC_IPV4);
  const zeroed = Uint8Array.from(bytes);
  zeroed[10] = 0;
  zeroed[11] = 0;
  assert.is(internetChecksum(zeroed), 0xb861);
  assert.is(internetChecksum(bytes), 0, "a header with a correct checksum sums to 0");
});

test("wire: the classic IPv4 header decodes to its fields and re-encodes byte for byte", () => {
  const decoded = valueOf(decodeIpv4(hexBytes(CLASSIC_IPV4), 0));
  const expected: Ipv4Header = {
    tos: 0,
    length: 0x73,
    id: 0,
    df: true,
    mf: false,
    fragOffset: 0,
    ttl: 64,
    protocol: IP_PROTOCOL.udp,
    src: HOST_A,
    dst: HOST_B,
  };
  assert.equal(decoded, { header: expected, next: 20 });
  assert.equal(encodeIpv4(expected), hexBytes(CLASSIC_IPV4));
});

test("wire: RFC 1071 section 3 example sums to 0xddf2, checksum 0x220d", () => {
  assert.is(internetChecksum(hexBytes("00 01 f2 03 f4 f5 f6 f7")), 0x220d);
  assert.is(internetChecksum(hexBytes("00 01 f2 03 f4 f5 f6")), ~(0xddf2 - 0xf7) & 0xffff);
});

test("wire: ICMP echo request id 1 seq 1 without data has checksum 0xf7fd", () => {
  const bytes = encodeIcmp({ kind: "echo-request", id: 1, seq: 1 });
  assert.equal(bytes, hexBytes("08 00 f7 fd 00 01 00 01"));
});

test("wire: ICMP fragmentation needed carries the next-hop MTU in bytes 6-7", () => {
  const bytes = encodeIcmp({ kind: "fragmentation-needed", nextHopMtu: 1450 });
  assert.equal(Array.from(bytes.subarray(0, 2)), [3, 4]);
  assert.equal(Array.from(bytes.subarray(4)), [0, 0, 0x05, 0xaa]);
});

test("wire: ICMP codes follow RFC 792 (net 0, host 1, port 3, admin prohibited 13)", () => {
  const codeOf = (h: IcmpHeader) => Array.from(encodeIcmp(h).subarray(0, 2));
  assert.equal(codeOf({ kind: "destination-unreachable", reason: "net" }), [3, 0]);
  assert.equal(codeOf({ kind: "destination-unreachable", reason: "host" }), [3, 1]);
  assert.equal(codeOf({ kind: "destination-unreachable", reason: "port" }), [3, 3]);
  assert.equal(codeOf({ kind: "destination-unreachable", reason: "admin-prohibited" }), [3, 13]);
  assert.equal(codeOf({ kind: "time-exceeded" }), [11, 0]);
  assert.equal(codeOf({ kind: "echo-reply", id: 0, seq: 0 }), [0, 0]);
});

test("wire: UDP checksum of a hand-summed datagram is 0x78be", () => {
  // Pseudo-header c0a8 0001 c0a8 00c7 0011 0008, header 04d2 0035 0008 0000:
  // sum 0x18740, folded 0x8741, complemented 0x78be.
  const header: UdpHeader = { srcPort: 1234, dstPort: 53, length: 8, checksummed: true };
  const bytes = encodeUdp(header, { src: HOST_A, dst: HOST_B });
  assert.equal(bytes, hexBytes("04 d2 00 35 00 08 78 be"));
});

test("wire: a UDP checksum that computes to 0 is sent as 0xffff and verifies", () => {
  // Raising the source port by 0x78be makes the sum 0x1fffe, folded 0xffff.
  const header: UdpHeader = { srcPort: 0x04d2 + 0x78be, dstPort: 53, length: 8, checksummed: true };
  const bytes = encodeUdp(header, { src: HOST_A, dst: HOST_B });
  assert.is(word(bytes, 6), 0xffff);
  assert.equal(valueOf(decodeUdp(bytes, 0, { src: HOST_A, dst: HOST_B })).header, header);
});

test("wire: UDP checksum 0 means none and is not verified (Linux VXLAN's default)", () => {
  const bytes = hexBytes("9c 40 21 18 00 0a 00 00 ff ff");
  const decoded = valueOf(decodeUdp(bytes, 0, { src: HOST_A, dst: HOST_B }));
  assert.equal(decoded.header, { srcPort: 40000, dstPort: 8472, length: 10, checksummed: false });
});

test("wire: VXLAN header for VNI 1 is 08 00 00 00 00 00 01 00", () => {
  assert.equal(encodeVxlan({ vni: 1 }), hexBytes("08 00 00 00 00 00 01 00"));
  assert.equal(valueOf(decodeVxlan(hexBytes("08 00 00 00 ab cd ef 00"), 0)).header, {
    vni: 0xabcdef,
  });
});

test("wire: TCP flags sit in byte 13, CWR high to FIN low", () => {
  const h: TcpHeader = {
    srcPort: 43512,
    dstPort: 80,
    seq: 0xdeadbeef,
    ack: 0,
    flags: tcpFlags("syn", "ece", "cwr"),
    window: 64240,
    urgent: 0,
  };
  const bytes = encodeTcp(h, { src: POD_A, dst: POD_B });
  assert.is(bytes[12], 0x50, "data offset 5 words");
  assert.is(bytes[13], 0xc2);
  assert.equal(Array.from(bytes.subarray(4, 8)), [0xde, 0xad, 0xbe, 0xef]);
});

test("wire: a 56-byte ping is a 98-byte frame and a 148-byte VXLAN packet", () => {
  const inner = encodeFrame(pingFrame(56));
  assert.is(inner.length, 98);
  assert.is(word(inner, 16), 84, "inner IPv4 total length");
  const outer = vxlanEncapsulate(inner, NODE_TUNNEL);
  assert.is(outer.length, 148);
  assert.is(word(outer, 16), 134, "outer IPv4 total length = 84 + 50");
  assert.is(word(outer, 14 + 20 + 2), VXLAN_PORT_LINUX, "default destination port 8472");
  assert.is(word(outer, 14 + 20 + 6), 0, "no UDP checksum by default");
  assert.is(outer[14 + 6] & 0x40, 0, "DF clear by default");
  assert.is(outer[14 + 8], 64, "TTL 64 by default");
});

test("wire: icmpErrorQuote keeps what fits in a 576-byte reply", () => {
  assert.is(icmpErrorQuote(new Uint8Array(1500)).length, 548);
  assert.is(icmpErrorQuote(new Uint8Array(28)).length, 28);
});

// ---------------------------------------------------------------------------
// Round trips: decode(encode(h)) is h, at any offset

test("wire: every Ethernet header survives encode then decode", () => {
  holds(fc.property(ethernetHeaders, prefixes, (h, prefix) => {
    const decoded = valueOf(decodeEthernet(after(prefix, encodeEthernet(h)), prefix.length));
    assert.equal(decoded, { header: h, next: prefix.length + 14 });
  }));
});

test("wire: every IPv4 header survives encode then decode", () => {
  holds(fc.property(ipv4Headers, prefixes, (h, prefix) => {
    const decoded = valueOf(decodeIpv4(after(prefix, encodeIpv4(h)), prefix.length));
    assert.equal(decoded, { header: h, next: prefix.length + 20 });
  }));
});

test("wire: every UDP header survives encode then decode, checksum verified", () => {
  holds(fc.property(udpParts, smallPayloads, pseudoHeaders, prefixes, (parts, payload, ip, p) => {
    const h: UdpHeader = { ...parts, length: 8 + payload.length };
    const bytes = after(p, after(encodeUdp(h, { ...ip, payload }), payload));
    assert.equal(valueOf(decodeUdp(bytes, p.length, ip)), { header: h, next: p.length + 8 });
  }));
});

test("wire: every TCP header survives encode then decode, checksum verified", () => {
  holds(fc.property(tcpHeaders, smallPayloads, pseudoHeaders, prefixes, (h, payload, ip, p) => {
    const bytes = after(p, after(encodeTcp(h, { ...ip, payload }), payload));
    assert.equal(valueOf(decodeTcp(bytes, p.length, ip)), { header: h, next: p.length + 20 });
  }));
});

test("wire: every ICMP header survives encode then decode, checksum verified", () => {
  holds(fc.property(icmpHeaders, smallPayloads, prefixes, (h, payload, p) => {
    const bytes = after(p, after(encodeIcmp(h, { payload }), payload));
    assert.equal(valueOf(decodeIcmp(bytes, p.length)), { header: h, next: p.length + 8 });
  }));
});

test("wire: every VXLAN header survives encode then decode", () => {
  holds(fc.property(vnis, prefixes, (vni, p) => {
    const decoded = valueOf(decodeVxlan(after(p, encodeVxlan({ vni })), p.length));
    assert.equal(decoded, { header: { vni }, next: p.length + 8 });
  }));
});

test("wire: every frame built by frameOf survives encode then decode", () => {
  holds(fc.property(frames, (frame) => {
    assert.equal(valueOf(decodeFrame(encodeFrame(frame))), frame);
  }));
});

test("wire: whatever decodeFrame accepts re-encodes to the same bytes", () => {
  const mutated = fc.tuple(frames, fc.array(fc.tuple(fc.nat(), u8), { maxLength: 3 }));
  holds(fc.property(mutated, ([frame, edits]) => {
    const bytes = encodeFrame(frame);
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    const decoded = decodeFrame(bytes);
    if (decoded.ok) assert.equal(encodeFrame(decoded.value), bytes);
  }));
});

/** Stores the Internet checksum of `bytes` (field zeroed first) at `at`. */
function withChecksum(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = 0;
  out[at + 1] = 0;
  const sum = internetChecksum(out);
  out[at] = sum >> 8;
  out[at + 1] = sum & 0xff;
  return out;
}

/** Random bytes with the given leading bytes. */
function bytesStartingWith(head: fc.Arbitrary<number>[], length: number): fc.Arbitrary<Uint8Array> {
  const tail = fc.uint8Array({ minLength: length - head.length, maxLength: length - head.length });
  return fc.tuple(fc.tuple(...head), tail).map(([h, t]) => after(Uint8Array.from(h), t));
}

test("wire: whatever a header decoder accepts re-encodes to the same bytes", () => {
  const icmpTypes = fc.oneof(fc.constantFrom(0, 3, 8, 11), u8);
  const icmpCodes = fc.oneof(fc.constantFrom(0, 1, 3, 4, 13), u8);
  const icmp = bytesStartingWith([icmpTypes, icmpCodes], 8).map((b) => withChecksum(b, 2));
  const ipv4 = bytesStartingWith([fc.constant(0x45)], 20).map((b) => withChecksum(b, 10));
  const vxlan = bytesStartingWith([fc.constantFrom(0x08, 0x0c), fc.constantFrom(0, 1)], 8);
  // TCP from 0.0.0.0 to 0.0.0.0: checksummed behind its 12-byte pseudo-header.
  const pseudo = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 20]);
  const offsetAndReserved = fc.oneof(fc.constantFrom(0x50, 0x51, 0x58), u8);
  const tcp = fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), offsetAndReserved, u8)
    .map(([head, byte12, byte13]) =>
      after(head, Uint8Array.from([byte12, byte13, 0, 0, 0, 0, 0, 0]))
    )
    .map((b) => withChecksum(after(pseudo, b), 12 + 16).subarray(12));
  const zeros = { src: Addr.fromUint32(0), dst: Addr.fromUint32(0) };
  const headers = fc.tuple(icmp, ipv4, vxlan, tcp);
  holds(
    fc.property(headers, ([icmpBytes, ipv4Bytes, vxlanBytes, tcpBytes]) => {
      const t = decodeTcp(tcpBytes, 0, zeros);
      if (t.ok) assert.equal(encodeTcp(t.value.header, zeros), tcpBytes);
      const i = decodeIcmp(icmpBytes, 0);
      if (i.ok) assert.equal(encodeIcmp(i.value.header), icmpBytes);
      const p = decodeIpv4(ipv4Bytes, 0);
      if (p.ok) assert.equal(encodeIpv4(p.value.header), ipv4Bytes);
      const v = decodeVxlan(vxlanBytes, 0);
      if (v.ok) assert.equal(encodeVxlan(v.value.header), vxlanBytes);
    }),
    1000,
  );
});

test("wire: a lossy codec breaks the round trip, and the failure names its seed", () => {
  // The round-trip property must be able to fail: an encoder that forgets MF.
  const lossy = (h: Ipv4Header) => encodeIpv4({ ...h, mf: false });
  const property = fc.property(ipv4Headers, (h) => {
    const r = decodeIpv4(lossy(h), 0);
    return r.ok && r.value.header.mf === h.mf;
  });
  const details = fc.check(property);
  assert.ok(details.failed, "the lossy codec must be caught");
  assert.is(details.counterexample?.[0].mf, true);
  assert.throws(() => fc.assert(property), /seed/);
});

// ---------------------------------------------------------------------------
// Checksums

test("wire: encoded IPv4 and ICMP checksums verify (sum to 0)", () => {
  holds(fc.property(ipv4Headers, icmpHeaders, smallPayloads, (ip, icmp, payload) => {
    assert.is(internetChecksum(encodeIpv4(ip)), 0);
    assert.is(internetChecksum(after(encodeIcmp(icmp, { payload }), payload)), 0);
  }));
});

test("wire: a flipped byte in an IPv4 header is detected, by the checksum after byte 0", () => {
  const flips = record({
    at: fc.integer({ min: 0, max: 19 }),
    mask: fc.integer({ min: 1, max: 255 }),
  });
  holds(fc.property(ipv4Headers, flips, (h, { at, mask }) => {
    const bytes = encodeIpv4(h);
    bytes[at] ^= mask;
    const error = errorOf(decodeIpv4(bytes, 0));
    assert.is(error.layer, "ipv4");
    if (at === 0) {
      assert.ok(["bad-version", "bad-header-length", "unsupported"].includes(error.problem));
      return;
    }
    assert.is(error.problem, "bad-checksum");
    assert.match(error.message, /checksum/);
    assert.is(error.at, 10, "the error points at the checksum field");
  }));
});

test("wire: a flipped byte in the IP packet of a TCP or ICMP frame is detected", () => {
  const checked = frames.filter((f) => f.transport.kind !== "udp");
  const flips = record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) });
  holds(fc.property(checked, flips, (frame, { at, mask }) => {
    const bytes = encodeFrame(frame);
    bytes[14 + (at % (bytes.length - 14))] ^= mask;
    assert.not.ok(decodeFrame(bytes).ok);
  }));
});

test("wire: a bad IPv4 checksum reads as one line naming the field and both values", () => {
  const bytes = hexBytes(CLASSIC_IPV4);
  bytes[11] = 0x62;
  const error = errorOf(decodeIpv4(bytes, 0));
  assert.is(
    formatWireError(error),
    "ipv4 at byte 10: bad-checksum: Header checksum is 0xb862, expected 0xb861",
  );
});

// ---------------------------------------------------------------------------
// VXLAN

test("wire: decapsulating an encapsulated frame gives back the inner bytes and the VNI", () => {
  holds(fc.property(frames, encapsulations, (frame, options) => {
    const inner = encodeFrame(frame);
    const d = valueOf(vxlanDecapsulate(vxlanEncapsulate(inner, options)));
    assert.equal(d.inner, inner);
    assert.is(d.vni, options.vni);
    assert.is(d.outer.ipv4.src, options.outerSrc);
    assert.is(d.outer.udp.dstPort, options.dstPort ?? VXLAN_PORT_LINUX);
  }));
});

test("wire: the outer IP packet is exactly 50 bytes longer than the inner IP packet", () => {
  holds(fc.property(frames, encapsulations, (frame, options) => {
    const inner = encodeFrame(frame);
    const outer = vxlanEncapsulate(inner, options);
    const d = valueOf(vxlanDecapsulate(outer));
    assert.is(d.outer.ipv4.length, frame.ipv4.length + VXLAN_OVERHEAD);
    assert.is(outer.length, inner.length + 14 + 20 + 8 + 8);
    assert.is(d.outer.udp.length, inner.length + 16);
  }));
});

test("wire: the default outer source port is the inner flow's ephemeral port", () => {
  holds(fc.property(frames, (frame) => {
    const outer = vxlanEncapsulate(encodeFrame(frame), NODE_TUNNEL);
    const port = valueOf(vxlanDecapsulate(outer)).outer.udp.srcPort;
    assert.is(port, udpSourcePortFor(flowKeyOf(frame)));
  }));
});

test("wire: udpSourcePortFor stays in 32768-60999 and spreads flows over it", () => {
  const flows = record({ src: addrs, dst: addrs, protocol: u8, srcPort: u16, dstPort: u16 });
  holds(fc.property(flows, (flow) => {
    const port = udpSourcePortFor(flow);
    assert.ok(port >= EPHEMERAL_PORT_RANGE.min && port < EPHEMERAL_PORT_RANGE.max, String(port));
    assert.is(udpSourcePortFor({ ...flow }), port, "deterministic");
  }));
  const ports = new Set<number>();
  for (let srcPort = 40000; srcPort < 40100; srcPort++) {
    ports.add(udpSourcePortFor({ src: POD_A, dst: POD_B, protocol: 6, srcPort, dstPort: 80 }));
  }
  assert.ok(ports.size >= 95, `100 flows share ${100 - ports.size} ports too many`);
});

test("wire: vxlanDecapsulate checks the VXLAN flags, the lengths and the inner frame", () => {
  const outer = vxlanEncapsulate(encodeFrame(pingFrame(8)), NODE_TUNNEL);
  const badFlags = Uint8Array.from(outer);
  badFlags[42] = 0x0c;
  assert.equal(errorOf(vxlanDecapsulate(badFlags)), {
    kind: "wire",
    layer: "vxlan",
    at: 42,
    problem: "bad-flags",
    message: "Flags are 0x0c, expected 0x08",
  });
  const reserved = Uint8Array.from(outer);
  reserved[49] = 1;
  assert.is(errorOf(vxlanDecapsulate(reserved)).problem, "reserved-not-zero");
  const tooLong = after(outer, new Uint8Array(4));
  assert.is(errorOf(vxlanDecapsulate(tooLong)).problem, "bad-length");
  const short = vxlanEncapsulate(new Uint8Array(14), NODE_TUNNEL).subarray(0, 60);
  const shortIp = Uint8Array.from(short);
  assert.is(errorOf(vxlanDecapsulate(shortIp)).problem, "truncated");
});

test("wire: a UDP length that disagrees with the IP length is an error", () => {
  const frame = frameOf({
    srcMac: POD_MAC,
    dstMac: GW_MAC,
    src: POD_A,
    dst: POD_B,
    transport: { kind: "udp", header: { srcPort: 1, dstPort: 2, checksummed: false } },
    payload: fillPayload(10),
  });
  const udp = frame.transport.kind === "udp" ? frame.transport.header : undefined;
  const lying: Frame = { ...frame, transport: { kind: "udp", header: { ...udp!, length: 12 } } };
  const error = errorOf(decodeFrame(encodeFrame(lying)));
  assert.is(error.layer, "udp");
  assert.is(error.problem, "bad-length");
  assert.is(error.at, 38);
});

test("wire: an IPv4 length that lies about the frame is an error", () => {
  const frame = pingFrame(8);
  const longer = { ...frame, ipv4: { ...frame.ipv4, length: frame.ipv4.length + 1 } };
  assert.is(errorOf(decodeFrame(encodeFrame(longer))).problem, "truncated");
  const shorter = { ...frame, ipv4: { ...frame.ipv4, length: frame.ipv4.length - 1 } };
  assert.is(errorOf(decodeFrame(encodeFrame(shorter))).problem, "bad-length");
});

test("wire: fragments, options, other EtherTypes and protocols are unsupported, not wrong", () => {
  const frame = pingFrame(8);
  const fragment = encodeFrame({ ...frame, ipv4: { ...frame.ipv4, mf: true } });
  assert.equal(errorOf(decodeFrame(fragment)).problem, "unsupported");
  const arp = encodeFrame({ ...frame, ethernet: { ...frame.ethernet, ethertype: 0x0806 } });
  assert.is(errorOf(decodeFrame(arp)).at, 12);
  const gre = encodeFrame({ ...frame, ipv4: { ...frame.ipv4, protocol: 47 } });
  assert.match(errorOf(decodeFrame(gre)).message, /Protocol 47/);
  const options = hexBytes(CLASSIC_IPV4);
  options[0] = 0x46;
  assert.is(errorOf(decodeIpv4(options, 0)).problem, "unsupported");
  options[0] = 0x65;
  assert.is(errorOf(decodeIpv4(options, 0)).problem, "bad-version");
});

test("wire: an ICMP type the model does not know is unsupported", () => {
  const redirect = withChecksum(Uint8Array.from([5, 1, 0, 0, 0, 0, 0, 0]), 2);
  const error = errorOf(decodeIcmp(redirect, 0));
  assert.is(error.problem, "unsupported");
  assert.is(error.message, "Type 5 code 1 is not modelled");
  const oddEcho = withChecksum(Uint8Array.from([8, 1, 0, 0, 0, 1, 0, 1]), 2);
  assert.is(errorOf(decodeIcmp(oddEcho, 0)).at, 1, "an echo request has code 0");
});

test("wire: encoders refuse fields that do not fit their width", () => {
  const frame = pingFrame(8);
  assert.throws(() => encodeIpv4({ ...frame.ipv4, ttl: 256 }), /ttl/);
  assert.throws(() => encodeVxlan({ vni: 0x1000000 }), /vni/);
  assert.throws(() => encodeIcmp({ kind: "echo-request", id: -1, seq: 0 }), /id/);
  assert.throws(() => vxlanEncapsulate(new Uint8Array(13), NODE_TUNNEL), /Ethernet/);
  assert.throws(() => encodeFrame(pingFrame(0xffff)), /length/);
});

// ---------------------------------------------------------------------------
// Hostile input: errors as values, never exceptions

const decoders: readonly [string, (bytes: Uint8Array) => { ok: boolean }][] = [
  ["decodeEthernet", (b) => decodeEthernet(b, 0)],
  ["decodeIpv4", (b) => decodeIpv4(b, 0)],
  ["decodeUdp", (b) => decodeUdp(b, 0, { src: POD_A, dst: POD_B })],
  ["decodeTcp", (b) => decodeTcp(b, 0, { src: POD_A, dst: POD_B })],
  ["decodeIcmp", (b) => decodeIcmp(b, 0)],
  ["decodeVxlan", (b) => decodeVxlan(b, 0)],
  ["decodeFrame", decodeFrame],
  ["vxlanDecapsulate", vxlanDecapsulate],
];

test("wire: every truncation of a frame is an error value", () => {
  holds(
    fc.property(frames, (frame) => {
      const bytes = encodeFrame(frame);
      for (let length = 0; length < bytes.length; length++) {
        const cut = bytes.slice(0, length);
        assert.not.ok(decodeFrame(cut).ok, `decodeFrame accepted ${length} bytes`);
        layerSpans(cut);
      }
    }),
    50,
  );
});

test("wire: every truncation of a VXLAN packet is an error value", () => {
  holds(
    fc.property(frames, encapsulations, (frame, options) => {
      const bytes = vxlanEncapsulate(encodeFrame(frame), options);
      for (let length = 0; length < bytes.length; length++) {
        assert.not.ok(vxlanDecapsulate(bytes.slice(0, length)).ok, `${length} bytes accepted`);
      }
    }),
    50,
  );
});

test("wire: every truncated header is a truncated error at its offset", () => {
  const headers = fc.tuple(ethernetHeaders, ipv4Headers, tcpHeaders, icmpHeaders, vnis);
  holds(fc.property(headers, ([eth, ip, tcp, icmp, vni]) => {
    const cases: [Uint8Array, (b: Uint8Array) => { ok: boolean }][] = [
      [encodeEthernet(eth), decoders[0][1]],
      [encodeIpv4(ip), decoders[1][1]],
      [encodeUdp({ srcPort: 1, dstPort: 2, length: 8, checksummed: true }, ip), decoders[2][1]],
      [encodeTcp(tcp, ip), (b) => decodeTcp(b, 0, ip)],
      [encodeIcmp(icmp), decoders[4][1]],
      [encodeVxlan({ vni }), decoders[5][1]],
    ];
    for (const [bytes, decode] of cases) {
      for (let length = 0; length < bytes.length; length++) {
        const r = decode(bytes.slice(0, length)) as { ok: false; error: WireError };
        assert.is(r.ok, false);
        assert.is(r.error.problem, "truncated");
        assert.is(r.error.at, 0);
      }
    }
  }));
});

test("wire: decoders return error values for offsets past the end", () => {
  const bytes = encodeFrame(pingFrame(8));
  for (const offset of [bytes.length, bytes.length + 5, -1, 1.5]) {
    assert.is(decodeEthernet(bytes, offset).ok, false);
    assert.is(decodeIpv4(bytes, offset).ok, false);
    assert.is(decodeIcmp(bytes, offset).ok, false);
  }
});

test("wire: random bytes never make a decoder, layerSpans or hexdump throw", () => {
  const noise = fc.uint8Array({ maxLength: 120 });
  holds(
    fc.property(noise, (bytes) => {
      for (const [, decode] of decoders) decode(bytes);
      hexdump(bytes, { annotate: true });
    }),
    500,
  );
});

test("wire: random bytes behind a valid Ethernet and IPv4 prefix never throw", () => {
  const noisyPackets = fc.tuple(frames, fc.uint8Array({ maxLength: 80 })).map(([f, tail]) => {
    const head = encodeFrame(f).subarray(0, 34);
    return after(head, tail);
  });
  holds(fc.property(noisyPackets, (bytes) => {
    for (const [, decode] of decoders) decode(bytes);
    hexdump(bytes, { annotate: true });
  }));
});

// ---------------------------------------------------------------------------
// Hex dumps

test("wire: an annotated VXLAN packet shows outer and inner headers as labelled rows", () => {
  const outer = vxlanEncapsulate(encodeFrame(pingFrame(8)), NODE_TUNNEL);
  const spans = layerSpans(outer);
  assert.equal(spans.map((s) => [s.start, s.end, s.label, s.depth]), [
    [0, 14, "outer Ethernet", 0],
    [14, 34, "outer IPv4", 0],
    [34, 42, "outer UDP", 0],
    [42, 50, "VXLAN", 0],
    [50, 64, "inner Ethernet", 1],
    [64, 84, "inner IPv4", 1],
    [84, 92, "inner ICMP echo-request", 1],
    [92, 100, "inner payload", 1],
  ]);
  const rows = hexdump(outer, { annotate: true });
  assert.equal([rows[1].offset, rows[1].label, rows[1].layer], [14, "outer IPv4", "ipv4"]);
  assert.is(rows[1].hex.slice(0, 29), "45 00 00 56 00 00 00 00 40 11", "length 86 = 36 + 50");
  assert.ok(rows.filter((r) => r.depth === 1).every((r) => r.label.startsWith("inner ")));
});

test("wire: hexdump rows cover every byte once, in order, never crossing a span", () => {
  const inputs = fc.oneof(
    frames.map(encodeFrame),
    fc.tuple(frames, encapsulations).map(([f, o]) => vxlanEncapsulate(encodeFrame(f), o)),
    fc.uint8Array({ maxLength: 80 }),
  );
  const widths = fc.integer({ min: 1, max: 32 });
  holds(fc.property(inputs, widths, fc.boolean(), (bytes, width, annotate) => {
    const rows = hexdump(bytes, { annotate, width });
    const spans = annotate ? layerSpans(bytes) : [];
    let next = 0;
    for (const row of rows) {
      assert.is(row.offset, next);
      const count = row.hex.split(" ").length;
      assert.ok(count <= width);
      const span = spans.find((s) => s.start <= row.offset && row.offset < s.end);
      if (span) assert.ok(row.offset + count <= span.end, "row crosses a span boundary");
      next += count;
    }
    assert.is(next, bytes.length);
    assert.is(rows.map((r) => r.hex).join(" "), hexdump(bytes, { width: 1e6 })[0]?.hex ?? "");
  }));
});

test("wire: hexdump honours hand-written spans and labels the gaps raw", () => {
  const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const rows = hexdump(bytes, {
    annotate: [{ start: 2, end: 4, label: "field", layer: "payload", depth: 0 }],
  });
  assert.equal(rows.map((r) => [r.offset, r.hex, r.label]), [
    [0, "01 02", ""],
    [2, "03 04", "field"],
    [4, "05 06", ""],
  ]);
  assert.throws(() => hexdump(bytes, { width: 0 }), /width/);
});

test("wire: layerSpans of a plain frame labels its layers without a prefix", () => {
  const spans = layerSpans(encodeFrame(pingFrame(0)));
  assert.equal(spans.map((s) => s.label), ["Ethernet", "IPv4", "ICMP echo-request"]);
  assert.equal(layerSpans(new Uint8Array(20)).map((s) => s.label), ["Ethernet", "undecoded"]);
  assert.equal(layerSpans(new Uint8Array(0)), []);
  assert.is(ETHERTYPE_IPV4, 0x0800);
});

test.run();
