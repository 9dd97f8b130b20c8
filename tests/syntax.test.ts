/**
 * The command syntaxes: what `ip route`, `ip neigh`, `bridge fdb` and
 * `iptables -S` print reads back to the same value, and a bad line is
 * rejected with the token at fault.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr, Prefix } from "../src/addr/mod.js";
import {
  formatFdb,
  formatLineError,
  formatNeighbour,
  formatRoute,
  parseFdb,
  parseIptables,
  parseNeighbour,
  parseRoute,
} from "../src/syntax/mod.js";
import { holds } from "./support/property.ts";

const addrs = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(Addr.fromUint32);
const dsts = fc.tuple(addrs, fc.integer({ min: 0, max: 32 })).map(([a, b]) =>
  Prefix.of(a, b).masked()
);
const devs = fc.constantFrom("eth0", "cni0", "flannel.1", "veth1a2b3c4d");

test("ip route: printed routes parse back to the same route", () => {
  const routes = fc.record({
    dst: dsts,
    via: fc.option(addrs, { nil: undefined }),
    dev: devs,
    metric: fc.integer({ min: 0, max: 1000 }),
  }).map((r) =>
    `${r.dst.bits === 0 ? "default" : r.dst}${r.via ? ` via ${r.via}` : ""} dev ${r.dev}${
      r.metric ? ` metric ${r.metric}` : ""
    }`
  );
  holds(
    fc.property(routes, (line) => {
      const a = parseRoute(line);
      if (!a.ok) return false;
      const b = parseRoute(formatRoute(a.value));
      return b.ok && JSON.stringify(b.value) === JSON.stringify(a.value);
    }),
    500,
  );
});

test("ip route: reads what ip route show prints", () => {
  const shown = [
    "default via 10.244.1.1 dev eth0",
    "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1",
    "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
    "blackhole 10.244.3.0/24",
    "192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.11 metric 100",
  ];
  for (const line of shown) {
    const r = parseRoute(line);
    assert.ok(r.ok, line);
    if (r.ok) assert.is(formatRoute(r.value), line);
  }
});

test("ip route: a bad line names its token and column", () => {
  const cases: [string, string, RegExp][] = [
    ["10.244.2.0/24 vai 192.168.0.12", "vai", /Unknown keyword/],
    ["10.244.2.0/24 via 192.168.0.300", "192.168.0.300", /larger than 255/],
    ["10.244.2.7/24 via 192.168.0.12", "10.244.2.7/24", /Invalid prefix for given prefix length/],
    ["10.244.2.0/24", "", /needs "via" or "dev"/],
    ["10.244.2.0/24 dev", "", /Device name is missing/],
    ["10.244.2.0/24 dev eth0 metric x", "x", /Metric/],
    ["blackhole 10.0.0.0/8 via 1.2.3.4", "via", /no next hop/],
    ["10.0.0.0/8 dev eth0 onlink", "onlink", /needs "via"/],
    ["", "", /empty/],
  ];
  for (const [line, token, message] of cases) {
    const r = parseRoute(line);
    assert.not.ok(r.ok, line);
    if (r.ok) continue;
    assert.is(r.error.token, token, line);
    assert.match(r.error.message, message, line);
    if (token) assert.is(line.slice(r.error.at, r.error.at + token.length), token, line);
    assert.match(formatLineError(r.error), /^ip route: /);
  }
});

test("ip route: random text never throws", () => {
  holds(
    fc.property(fc.string({ maxLength: 60 }), (s) => {
      parseRoute(s);
      parseNeighbour(s);
      parseFdb(s);
      parseIptables(s);
      return true;
    }),
    2000,
  );
});

test("ip neigh and bridge fdb: printed entries parse back", () => {
  const n = parseNeighbour("10.244.2.0 dev flannel.1 lladdr 0a:58:0a:f4:02:00 nud permanent");
  assert.ok(n.ok);
  if (n.ok) {
    assert.is(
      formatNeighbour(n.value),
      "10.244.2.0 dev flannel.1 lladdr 0a:58:0a:f4:02:00 PERMANENT",
    );
    const again = parseNeighbour(formatNeighbour(n.value));
    assert.ok(again.ok && again.value.mac === n.value.mac && again.value.state === "permanent");
  }
  const f = parseFdb("0a:58:0a:f4:02:00 dev flannel.1 dst 192.168.0.12 self permanent");
  assert.ok(f.ok);
  if (f.ok) {
    assert.is(f.value.table, "self");
    assert.is(
      formatFdb(f.value),
      "0a:58:0a:f4:02:00 dev flannel.1 dst 192.168.0.12 self permanent",
    );
  }
  const port = parseFdb("02:00:00:00:00:01 dev veth1 master cni0 static");
  assert.ok(port.ok && port.value.table === "master" && port.value.state === "static");
  const bad = parseNeighbour("10.244.2.0 dev flannel.1 lladdr zz:58:0a:f4:02:00");
  assert.ok(!bad.ok && bad.error.token === "zz:58:0a:f4:02:00");
});

test("iptables: rules print as iptables -S does and read back", () => {
  const lines = [
    "-t nat -A POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN",
    "-t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully",
    "-t nat -A PREROUTING -d 192.168.0.11/32 -p tcp --dport 8080 -j DNAT --to-destination 172.17.1.2:8080",
    "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
    "-t nat -A POSTROUTING -o eth0 -j SNAT --to-source 192.168.0.11",
  ];
  for (const line of lines) {
    const r = parseIptables(line);
    assert.ok(r.ok, line);
    if (!r.ok || r.value.kind !== "rule") continue;
    const again = parseIptables(`-t ${r.value.table} ${r.value.text}`);
    assert.ok(again.ok && again.value.kind === "rule" && again.value.text === r.value.text, line);
  }
  const policy = parseIptables("-P FORWARD DROP");
  assert.ok(policy.ok && policy.value.kind === "policy" && policy.value.policy === "DROP");
});

test("iptables: refuses what iptables refuses, naming the token", () => {
  const cases: [string, string][] = [
    ["-t nat -A POSTROUTING -i eth0 -j MASQUERADE", "-i"],
    ["-t nat -A PREROUTING -o eth0 -j ACCEPT", "-o"],
    ["-A FORWARD -j MASQUERADE", "MASQUERADE"],
    ["-t nat -A POSTROUTING -j DNAT --to-destination 1.2.3.4", "DNAT"],
    ["-A FORWARD --dport 80 -j DROP", "--dport"],
    ["-t mangle -A PREROUTING -j ACCEPT", "mangle"],
    ["-t nat -A FORWARD -j ACCEPT", "FORWARD"],
    ["-A INPUT -j DNAT --to-destination 1.2.3.4", "DNAT"],
    ["-A FORWARD -s 10.0.0.0/8", ""],
    ["-P FORWARD REJECT", "REJECT"],
  ];
  for (const [line, token] of cases) {
    const r = parseIptables(line);
    assert.not.ok(r.ok, line);
    if (!r.ok) assert.is(r.error.token, token, line);
  }
});

test.run();
