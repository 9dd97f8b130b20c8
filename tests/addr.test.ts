/**
 * Addresses as values: parsing round-trips, the nasty inputs a careless
 * parser accepts are rejected at the right offset, and equal values are the
 * same object.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr, formatParseError, Mac, maskOf, Prefix } from "../src/addr/mod.js";
import { holds } from "./support/property.ts";

const u32 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
  .map(([hi, lo]) => hi * 0x10000 + lo);
const addrs = u32.map(Addr.fromUint32);
const prefixes = fc.tuple(addrs, fc.integer({ min: 0, max: 32 })).map(([a, bits]) =>
  Prefix.of(a, bits)
);

test("addr: every address prints and parses back to the same value", () => {
  holds(fc.property(addrs, (a) => Addr.mustParse(a.toString()) === a), 500);
});

test("addr: every prefix prints and parses back to the same value", () => {
  holds(fc.property(prefixes, (p) => Prefix.mustParse(p.toString()) === p), 500);
});

test("addr: equal addresses are the same object and work as map keys", () => {
  const m = new Map([[Addr.mustParse("10.244.1.2"), "a"]]);
  assert.is(m.get(Addr.mustParse("10.244.1.2")), "a");
  assert.is(Addr.fromUint32(0x0af40102), Addr.mustParse("10.244.1.2"));
  assert.ok(Object.isFrozen(Addr.mustParse("1.2.3.4")));
});

const NASTY: [string, number, RegExp][] = [
  ["1..2.3", 2, /empty field/],
  ["0x1.1.1.1", 1, /unexpected character "x"/],
  [" 1.1.1.1", 0, /unexpected character " "/],
  ["1.1.1.1 ", 7, /unexpected character " "/],
  ["1e2.1.1.1", 1, /unexpected character "e"/],
  ["10.244.1.300", 9, /larger than 255/],
  ["010.1.1.1", 0, /leading zero/],
  ["1.2.3", 5, /fewer than four fields/],
  ["1.2.3.4.5", 7, /more than four fields/],
  ["1.2.3.", 6, /missing field/],
  ["", 0, /missing field/],
  ["-1.2.3.4", 0, /unexpected character "-"/],
  ["１.2.3.4", 0, /unexpected character/],
];

for (const [input, at, message] of NASTY) {
  test(`addr: rejects ${JSON.stringify(input)} at offset ${at}`, () => {
    const r = Addr.parse(input);
    assert.not.ok(r.ok, `${input} must be rejected`);
    if (r.ok) return;
    assert.is(r.error.input, input);
    assert.is(r.error.at, at);
    assert.match(r.error.message, message);
    assert.match(formatParseError(r.error), /^Invalid IPv4 address /);
  });
}

test("addr: prefixes reject bad lengths and bad addresses, naming where", () => {
  const cases: [string, number, RegExp][] = [
    ["10.0.0.0/33", 9, /larger than 32/],
    ["10.0.0.0/", 9, /not a number/],
    ["10.0.0.0/08", 9, /not a number/],
    ["10.0.0.0", 8, /missing "\/"/],
    ["10.244.1.300/24", 9, /larger than 255/],
    ["10.0.0.0/-1", 9, /not a number/],
  ];
  for (const [input, at, message] of cases) {
    const r = Prefix.parse(input);
    assert.not.ok(r.ok, input);
    if (!r.ok) {
      assert.is(r.error.at, at, input);
      assert.match(r.error.message, message, input);
    }
  }
});

test("addr: a random string parses only if it prints back identically", () => {
  holds(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      const r = Addr.parse(s);
      return !r.ok || r.value.toString() === s;
    }),
    2000,
  );
  holds(
    fc.property(fc.stringMatching(/^[0-9.]{1,16}$/), (s) => {
      const r = Addr.parse(s);
      return !r.ok || r.value.toString() === s;
    }),
    2000,
  );
});

test("addr: contains agrees with the mask arithmetic, and masked() clears host bits", () => {
  holds(
    fc.property(prefixes, addrs, (p, a) => {
      const same = ((a.value & maskOf(p.bits)) >>> 0) === ((p.addr.value & maskOf(p.bits)) >>> 0);
      return p.contains(a) === same && p.masked().isMasked && p.masked().contains(p.addr);
    }),
    1000,
  );
});

test("addr: two prefixes overlap exactly when one contains the other's first address", () => {
  holds(
    fc.property(prefixes, prefixes, (p, q) => {
      const expected = p.contains(q.first) || q.contains(p.first);
      return p.overlaps(q) === expected && q.overlaps(p) === expected;
    }),
    1000,
  );
});

test("addr: first, last and size of a prefix", () => {
  const p = Prefix.mustParse("10.244.1.7/24");
  assert.is(p.first.toString(), "10.244.1.0");
  assert.is(p.last.toString(), "10.244.1.255");
  assert.is(p.size, 256);
  assert.is(Prefix.mustParse("0.0.0.0/0").size, 2 ** 32);
});

test("addr: MACs parse case-insensitively, print lower-case, and reject bad groups", () => {
  const m = Mac.mustParse("02:42:AC:11:00:02");
  assert.is(m.toString(), "02:42:ac:11:00:02");
  assert.is(m, Mac.mustParse("02:42:ac:11:00:02"));
  assert.ok(Mac.broadcast.isMulticast());
  assert.not.ok(m.isMulticast());
  for (
    const bad of [
      "02:42:ac:11:00",
      "02:42:ac:11:00:02:03",
      "2:42:ac:11:00:02",
      "02-42-ac-11-00-02",
      "0g:42:ac:11:00:02",
      "",
    ]
  ) {
    assert.not.ok(Mac.parse(bad).ok, bad);
  }
  holds(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      (n) => Mac.mustParse(Mac.fromNumber(n).toString()).value === n,
    ),
  );
});

test.run();
