/**
 * IP in IP on the wire (RFC 2003, Linux's `ipip`/`tunl0`): one outer IPv4
 * header of 20 bytes, protocol 4, TTL and DF copied from the inner header,
 * TOS 0 but for the ECN bits (CE becomes ECT(0)); decapsulation gives the
 * inner packet back byte for byte and refuses what Linux drops. The
 * expected bytes were summed by hand (a separate one's-complement sum), not
 * by podnet's checksum.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr } from "../src/addr/mod.ts";
import {
  decodeIpv4,
  encodeIpv4,
  IPIP_OVERHEAD,
  ipipDecapsulate,
  ipipEncapsulate,
} from "../src/wire/mod.ts";
import { VXLAN_OVERHEAD } from "../src/wire/vxlan.ts";
import { holds } from "./support/property.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const from = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));

const LOCAL = Addr.mustParse("192.168.0.11");
const REMOTE = Addr.mustParse("192.168.0.12");

test("ipip: 20 bytes of overhead, 30 fewer than VXLAN's 50", () => {
  assert.is(IPIP_OVERHEAD, 20);
  assert.is(VXLAN_OVERHEAD - IPIP_OVERHEAD, 30);
});

test("ipip: a ping's outer header, summed by hand: protocol 4, TTL 63 and DF copied, ECN kept, DSCP dropped", () => {
  // Inner: 10.244.0.1 → 10.244.0.65, ICMP, TTL 63, DF, TOS 0xb9 (DSCP 46, ECN 01).
  const inner = from("45b90014000140003f0125060af400010af40041");
  const outer = ipipEncapsulate(inner, { local: LOCAL, remote: REMOTE, id: 0x1234 });
  assert.ok(outer.ok);
  if (!outer.ok) return;
  assert.is(hex(outer.value.subarray(0, 20)), "45010028123440003f04a835c0a8000bc0a8000c");
  assert.is(hex(outer.value.subarray(20)), hex(inner));
});

test("ipip: a congestion mark (CE) inside becomes ECT(0) outside", () => {
  const inner = encodeIpv4({
    tos: 0x03,
    length: 20,
    id: 9,
    df: false,
    mf: false,
    fragOffset: 0,
    ttl: 5,
    protocol: 17,
    src: Addr.mustParse("10.0.0.1"),
    dst: Addr.mustParse("10.0.0.2"),
  });
  const outer = ipipEncapsulate(inner, { local: LOCAL, remote: REMOTE, id: 1 });
  assert.ok(outer.ok && outer.value[1] === 0x02 && (outer.value[6] & 0x40) === 0);
});

const innerPackets = fc.record({
  tos: fc.integer({ min: 0, max: 255 }),
  payload: fc.integer({ min: 0, max: 64 }),
  id: fc.integer({ min: 0, max: 0xffff }),
  df: fc.boolean(),
  ttl: fc.integer({ min: 1, max: 255 }),
  protocol: fc.constantFrom(1, 6, 17),
  src: fc.integer({ min: 0x0a000001, max: 0x0affffff }),
  dst: fc.integer({ min: 0x0a000001, max: 0x0affffff }),
}).map((p) => {
  const header = encodeIpv4({
    tos: p.tos,
    length: 20 + p.payload,
    id: p.id,
    df: p.df,
    mf: false,
    fragOffset: 0,
    ttl: p.ttl,
    protocol: p.protocol,
    src: Addr.fromUint32(p.src),
    dst: Addr.fromUint32(p.dst),
  });
  const bytes = new Uint8Array(20 + p.payload);
  bytes.set(header);
  for (let i = 20; i < bytes.length; i++) bytes[i] = i * 7;
  return bytes;
});

test("ipip: every inner packet comes back byte for byte, under a valid outer header that copies TTL and DF", () => {
  holds(fc.property(innerPackets, fc.integer({ min: 0, max: 0xffff }), (inner, id) => {
    const outer = ipipEncapsulate(inner, { local: LOCAL, remote: REMOTE, id });
    assert.ok(outer.ok);
    if (!outer.ok) return;
    assert.is(outer.value.length, inner.length + IPIP_OVERHEAD);
    const o = decodeIpv4(outer.value, 0);
    const i = decodeIpv4(inner, 0);
    assert.ok(o.ok && i.ok);
    if (!o.ok || !i.ok) return;
    assert.is(o.value.header.protocol, 4);
    assert.is(o.value.header.ttl, i.value.header.ttl);
    assert.is(o.value.header.df, i.value.header.df);
    assert.is(o.value.header.tos & 0xfc, 0);
    const back = ipipDecapsulate(outer.value);
    assert.ok(back.ok);
    if (back.ok) assert.is(hex(back.value.inner), hex(inner));
  }));
});

test("ipip: decapsulation refuses another protocol and a broken inner header, naming where", () => {
  const inner = from("45b90014000140003f0125060af400010af40041");
  const outer = ipipEncapsulate(inner, { local: LOCAL, remote: REMOTE, id: 1 });
  if (!outer.ok) throw new Error("encapsulation failed");
  const udp = encodeIpv4({
    tos: 0,
    length: 40,
    id: 1,
    df: false,
    mf: false,
    fragOffset: 0,
    ttl: 64,
    protocol: 17,
    src: LOCAL,
    dst: REMOTE,
  });
  const notIpip = ipipDecapsulate(Uint8Array.from([...udp, ...inner]));
  assert.ok(!notIpip.ok && notIpip.error.problem === "unsupported" && notIpip.error.at === 9);
  const broken = outer.value.slice();
  broken[20] = 0x65; // inner version 6
  const r = ipipDecapsulate(broken);
  assert.ok(!r.ok && r.error.at === 20 && r.error.problem === "bad-version");
  assert.not.ok(ipipEncapsulate(new Uint8Array(5), { local: LOCAL, remote: REMOTE, id: 1 }).ok);
});

test.run();
