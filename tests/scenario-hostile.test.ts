/**
 * Hostile scenario files stay in their box: every name follows its grammar,
 * no string anywhere holds a control or bidirectional character, the world
 * is bounded, MACs Linux refuses are refused, JSON syntax errors are one
 * escaped line — and every refusal is a value naming the path and the
 * position, never a throw, never a raw byte in the message.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { loadScenario, parseScenario } from "../src/scenario/load.js";
import { formatLoadError, type LoadError } from "../src/scenario/reader.js";
import { LOAD_LIMITS } from "../src/scenario/screen.js";
import { firstUnsafe } from "../src/text.js";
import { holds } from "./support/property.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const read = (name: string): Json =>
  JSON.parse(Deno.readTextFileSync(new URL(`../lessons/scenarios/${name}.json`, import.meta.url)));
const EXAMPLES = ["single-host", "same-range", "gateway", "host-gw", "vxlan", "nat"];

/** Every string value of a document with its JSON Pointer, and a setter. */
function stringLeaves(doc: Json): { path: string; value: string; set: (s: string) => void }[] {
  const out: { path: string; value: string; set: (s: string) => void }[] = [];
  const walk = (v: Json, path: string, set: (x: Json) => void) => {
    if (typeof v === "string") out.push({ path, value: v, set });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}/${i}`, (y) => (v[i] = y)));
    else if (v !== null && typeof v === "object") {
      for (const k of Object.keys(v)) walk(v[k], `${path}/${k}`, (y) => (v[k] = y));
    }
  };
  walk(doc, "", () => {});
  return out;
}

const clone = (x: Json): Json => JSON.parse(JSON.stringify(x));

/** A message a terminal or a page can print as it is: no control or bidi character. */
function assertPrintable(errors: readonly LoadError[]) {
  for (const e of errors) {
    const line = formatLoadError(e);
    assert.is(firstUnsafe(line), undefined, `raw character in ${JSON.stringify(line)}`);
    assert.ok(line.length < 1000, `message of ${line.length} characters`);
  }
}

function refused(doc: unknown): LoadError[] {
  const r = loadScenario(doc);
  if (r.ok) assert.unreachable("the document loaded");
  else {
    assertPrintable(r.error);
    return r.error;
  }
  return [];
}

const UNSAFE = [
  0x00,
  0x07,
  0x09,
  0x0a,
  0x0d,
  0x1b,
  0x7f,
  0x85,
  0x9b,
  0x061c,
  0x200e,
  0x200f,
  0x202a,
  0x202e,
  0x2066,
  0x2069,
  0x2028,
  0x2029,
  0xd800,
];

test("hostile: a control or bidi character in any string of any example is refused at its path and position", () => {
  holds(
    fc.property(
      fc.constantFrom(...EXAMPLES),
      fc.nat(),
      fc.nat(),
      fc.constantFrom(...UNSAFE),
      (name, leafPick, posPick, code) => {
        const doc = clone(read(name));
        const leaves = stringLeaves(doc);
        const leaf = leaves[leafPick % leaves.length];
        const pos = posPick % (leaf.value.length + 1);
        leaf.set(leaf.value.slice(0, pos) + String.fromCharCode(code) + leaf.value.slice(pos));
        const errors = refused(doc);
        assert.is(errors.length, 1, JSON.stringify(errors));
        assert.is(errors[0].path, leaf.path);
        assert.match(errors[0].message, `U+${code.toString(16).toUpperCase().padStart(4, "0")}`);
        assert.match(errors[0].message, `at character ${pos + 1} `);
      },
    ),
    300,
  );
});

test("hostile: descriptions, field names and mode are screened too", () => {
  const doc = clone(read("single-host")) as Record<string, Json>;
  doc.description = { en: "line one\nline two", ko: "설명" };
  assert.equal(refused(doc).map((e) => e.path), ["/description/en"]);
  const ko = clone(read("single-host")) as Record<string, Json>;
  ko.description = { en: "fine", ko: "한국어 \u202Egnp.exe" };
  assert.match(refused(ko)[0].message, "U+202E (right-to-left override) at character 5");
  const key = clone(read("single-host")) as Record<string, Json>;
  key["\u001b[31mred"] = 1;
  const e = refused(key);
  assert.equal(e.map((x) => x.path), ["(document)"]);
  assert.match(e[0].message, '"\\u{1b}[31mred"');
  const korean = clone(read("single-host")) as Record<string, Json>;
  korean.description = { en: "Pods on one host", ko: "한 호스트의 파드" };
  assert.ok(loadScenario(korean).ok, "Korean text is not a control character");
});

test("hostile: names follow their grammar; shell words, dots, options and long names are refused", () => {
  const bad = [
    "a||id>x;#",
    "$(id)",
    "`id`",
    "a;b",
    "a b",
    "a'b",
    'a"b',
    ".",
    "..",
    "-x",
    ".hidden",
    "a/b",
    "a:b",
    "0123456789abcdef",
    "ü",
    "",
  ];
  for (const name of bad) {
    const doc = clone(read("single-host")) as { namespaces: { devices: { name: string }[] }[] };
    doc.namespaces[0].devices[1].name = name;
    const errors = refused(doc);
    assert.ok(
      errors.some((e) => e.path === "/namespaces/0/devices/1/name"),
      `${JSON.stringify(name)}: ${errors.map(formatLoadError).join("; ")}`,
    );
  }
  for (const field of ["name", "mode"]) {
    for (const value of ["x\nid", "$(id)", "a b", "-n"]) {
      const doc = clone(read("vxlan")) as Record<string, Json>;
      doc[field] = value;
      assert.ok(refused(doc).some((e) => e.path === `/${field}`), `${field}=${value}`);
    }
  }
  const custom = clone(read("vxlan")) as Record<string, Json>;
  custom.mode = "custom";
  assert.ok(loadScenario(custom).ok, "custom is a mode label");
  const peer = clone(read("single-host")) as { namespaces: { devices: Record<string, Json>[] }[] };
  const veth = peer.namespaces.flatMap((n) => n.devices).find((d) => d.kind === "veth")!;
  veth.peer = "node-1/$(id)";
  assert.ok(refused(peer).some((e) => e.path.endsWith("/peer")));
});

test("hostile: MACs Linux refuses on a device are refused with the reason", () => {
  const cases: [string, RegExp][] = [
    ["01:00:5e:00:00:01", /multicast \(group\) address/],
    ["ff:ff:ff:ff:ff:ff", /multicast \(group\) address/],
    ["33:33:00:00:00:01", /multicast \(group\) address/],
    ["00:00:00:00:00:00", /All zeros/],
  ];
  for (const [mac, why] of cases) {
    const doc = clone(read("single-host")) as { namespaces: { devices: Record<string, Json>[] }[] };
    doc.namespaces[0].devices[1].mac = mac;
    const errors = refused(doc);
    assert.equal(errors.map((e) => e.path), ["/namespaces/0/devices/1/mac"], mac);
    assert.match(errors[0].message, why);
  }
});

test("hostile: a world over the load limits is refused before it is read, with the limit named", () => {
  const doc = clone(read("single-host")) as { namespaces: Record<string, Json>[] };
  doc.namespaces[0].routes = Array(LOAD_LIMITS.lines + 1).fill("10.0.0.0/8 dev lo");
  const e = refused(doc);
  assert.equal(e.map((x) => x.path), ["/namespaces"]);
  assert.match(e[0].message, `podnet loads at most ${LOAD_LIMITS.lines}`);
  const big = clone(read("single-host")) as { namespaces: Record<string, Json>[] };
  big.namespaces[0].devices = Array(LOAD_LIMITS.devices + 1).fill({});
  assert.match(
    refused(big)[0].message,
    new RegExp(`has \\d+ devices; podnet loads at most ${LOAD_LIMITS.devices}`),
  );
  const long = clone(read("single-host")) as Record<string, Json>;
  long.description = { en: "x".repeat(64 * 1024 * 1024), ko: "" };
  const l = refused(long);
  assert.equal(l.map((x) => x.path), ["/description/en"]);
  assert.match(l[0].message, "at most 10000");
  const text = parseScenario(" ".repeat(LOAD_LIMITS.textChars + 1));
  assert.ok(!text.ok && /reads at most/.test(text.error[0].message));
});

test("hostile: a JSON syntax error is one line naming line and column, with the bytes escaped", () => {
  holds(
    fc.property(
      fc.constantFrom(...EXAMPLES),
      fc.nat(),
      fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
      (name, posPick, junk) => {
        const text = JSON.stringify(read(name), null, 2);
        const pos = posPick % text.length;
        const broken = text.slice(0, pos) + junk + text.slice(pos);
        const r = parseScenario(broken);
        if (r.ok) return;
        assertPrintable(r.error);
        for (const e of r.error) assert.not.match(formatLoadError(e), /\n/);
        if (r.error[0].message.startsWith("Not valid JSON")) {
          assert.is(r.error.length, 1);
          assert.match(r.error[0].message, /^Not valid JSON at line \d+, column \d+: /);
        }
      },
    ),
    300,
  );
  const r = parseScenario('{"version": 1,\n "name": \u001b[31m}');
  assert.ok(!r.ok);
  if (!r.ok) {
    assert.is(
      r.error[0].message,
      'Not valid JSON at line 2, column 10: near "rsion": 1,\\u{a} "name": \\u{1b}[31m}"',
    );
  }
});

test("hostile: any mix of hostile strings in any field is a value, never a throw", () => {
  const hostile = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.constantFrom(
      "$(id)",
      "`id`",
      ";id",
      "||id",
      "\n",
      "'",
      '"',
      "\u0000",
      "\u001b[2J",
      "\u202e",
    ),
    fc.string({ unit: fc.constantFrom("a", "-", ".", "/", " ", ":", "+", "0") }),
  );
  holds(
    fc.property(
      fc.constantFrom(...EXAMPLES),
      fc.array(fc.tuple(fc.nat(), hostile), { minLength: 1, maxLength: 4 }),
      (name, edits) => {
        const doc = clone(read(name));
        const leaves = stringLeaves(doc);
        for (const [pick, s] of edits) leaves[pick % leaves.length].set(s);
        const r = loadScenario(doc);
        if (!r.ok) assertPrintable(r.error);
      },
    ),
    300,
  );
});

test.run();
