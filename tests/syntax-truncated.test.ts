/**
 * Every line a reader types passes through truncated forms on the way
 * (`-A FORWARD -m` before `-m tcp`): each parser, given any prefix of any
 * valid line, returns a parse or an error value that names a token of the
 * line and its column — never a throw.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { parseFdb } from "../src/syntax/bridgefdb.js";
import { parseNeighbour } from "../src/syntax/ipneigh.js";
import { parseRoute } from "../src/syntax/iproute.js";
import { parseIptables } from "../src/syntax/iptables.js";
import { formatLineError, type LineError } from "../src/syntax/tokens.js";
import type { Result } from "../src/result.js";
import { holds } from "./support/property.ts";

type Parser = (line: string) => Result<unknown, LineError>;

const PARSERS: Record<string, [Parser, string]> = {
  routes: [parseRoute, "ip route"],
  removedKernelRoutes: [parseRoute, "ip route"],
  neighbours: [parseNeighbour, "ip neigh"],
  fdb: [parseFdb, "bridge fdb"],
  iptables: [parseIptables, "iptables"],
};

/** Lines besides the examples', using every keyword the parsers know. */
const EXTRA: [string, string][] = [
  ["iptables", "-A FORWARD -m tcp -p tcp --dport 80 -j ACCEPT"],
  [
    "iptables",
    "-t nat -A PREROUTING -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.0.1:53",
  ],
  ["iptables", "-t nat -A POSTROUTING ! -o cni0 -s 10.244.0.0/16 -j MASQUERADE --random-fully"],
  ["iptables", "-t nat -A POSTROUTING -s 10.0.0.0/8 -j SNAT --to-source 192.168.0.1"],
  ["iptables", '-A FORWARD -i cali+ -m comment --comment "a comment" -j DROP'],
  ["iptables", "-P FORWARD DROP"],
  ["routes", "10.244.2.0/24 via 192.168.0.12 dev eth0 metric 10 onlink src 10.0.0.1"],
  ["routes", "blackhole 10.0.0.0/8 metric 5"],
  ["routes", "default via 169.254.1.1 dev eth0 onlink"],
  ["neighbours", "10.0.0.2 dev eth0 lladdr 02:00:00:00:00:01 nud permanent"],
  ["fdb", "02:00:00:00:00:01 dev flannel.1 dst 192.168.0.12 self permanent"],
  ["fdb", "02:00:00:00:00:01 dev veth1 master cni0 static"],
];

function exampleLines(): [string, string][] {
  const out: [string, string][] = [...EXTRA];
  const dir = new URL("../lessons/scenarios/", import.meta.url);
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".json")) continue;
    const doc = JSON.parse(Deno.readTextFileSync(new URL(e.name, dir)));
    for (const ns of doc.namespaces) {
      for (const key of Object.keys(PARSERS)) {
        for (const line of ns[key] ?? []) out.push([key, line]);
      }
    }
  }
  return out;
}

/** The error names a token of the line at its column, or the end of the line. */
function assertNamesToken(line: string, e: LineError, syntax: string) {
  assert.is(e.syntax, syntax);
  assert.is(e.line, line);
  if (e.token === "") assert.is(e.at, line.length, formatLineError(e));
  else {
    const at = line.slice(e.at);
    assert.ok(
      at.startsWith(e.token) || at.startsWith(`"${e.token}`),
      `${formatLineError(e)}: no token ${JSON.stringify(e.token)} at column ${e.at + 1}`,
    );
  }
  assert.match(formatLineError(e), syntax);
}

function check(key: string, line: string) {
  const [parse, syntax] = PARSERS[key];
  let r: Result<unknown, LineError>;
  try {
    r = parse(line);
  } catch (x) {
    assert.unreachable(`${syntax} threw on ${JSON.stringify(line)}: ${x}`);
    return;
  }
  if (!r.ok) assertNamesToken(line, r.error, syntax);
}

test("syntax: every valid line cut at every token boundary parses or names a token, never throws", () => {
  const lines = exampleLines();
  assert.ok(lines.length > 50, `${lines.length} lines`);
  for (const [key, line] of lines) {
    const r = PARSERS[key][0](line);
    assert.ok(r.ok, `not a valid line: ${r.ok ? "" : formatLineError(r.error)}`);
  }
  let cuts = 0;
  for (const [key, line] of lines) {
    const ends = [...line.matchAll(/\s+/g)].flatMap((m) => [m.index!, m.index! + m[0].length]);
    for (const end of [0, ...ends, line.length]) {
      check(key, line.slice(0, end));
      cuts++;
    }
  }
  assert.ok(cuts > 400, `${cuts} cuts`);
});

test("syntax: any prefix of a valid line, with or without junk after it, never throws", () => {
  const lines = exampleLines();
  holds(
    fc.property(
      fc.nat(lines.length - 1),
      fc.nat(),
      fc.oneof(fc.constant(""), fc.string(), fc.constantFrom(" -m", " !", ' "', " --", " dev")),
      (i, cut, tail) => {
        const [key, line] = lines[i];
        check(key, line.slice(0, cut % (line.length + 1)) + tail);
      },
    ),
    2000,
  );
});

test("iptables: a line ending in -m names -m and its column", () => {
  const r = parseIptables("-A FORWARD -m");
  assert.ok(!r.ok);
  if (!r.ok) {
    assert.is(r.error.token, "-m");
    assert.is(r.error.at, 11);
    assert.is(
      formatLineError(r.error),
      'iptables: Value is missing after "-m" (the line ends there) at "-m" (column 12) in "-A FORWARD -m"',
    );
  }
});

test.run();
