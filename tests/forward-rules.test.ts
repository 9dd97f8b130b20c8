/**
 * The forwarding core: the indexed FIB lookup chooses exactly the route the
 * kernel's rule (longest prefix, then lowest metric, then the earlier
 * route) chooses on any table, with or without an output device; source
 * selection gives the same address on the tracer's values and on the
 * verifier's numbers; the indexed ARP answerers are the flood's owners;
 * and the small rules hold at their edges.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr, Prefix } from "../src/addr/mod.ts";
import { lookupRoute } from "../src/forward/fib.ts";
import {
  fragmentSize,
  frameFits,
  inPrefix,
  martianDestination,
  martianSource,
  pickSource,
  preferRoute,
} from "../src/forward/rules.ts";
import type { Namespace, Route } from "../src/model/world.ts";
import { reach } from "../src/forward/layer2.ts";
import { brokenWorlds } from "../src/fuzz/mutate.ts";
import { arpAnswerers } from "../src/trace/arp.ts";
import { namespaceNamed } from "../src/world/query.ts";
import { isLocal } from "../src/world/routes.ts";
import { holds } from "./support/property.ts";

/** The rule as written in the kernel's terms, on a plain scan of the table. */
function linearLookup(routes: readonly Route[], dst: Addr, oif?: string): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (!r.dst.contains(dst) || (oif !== undefined && r.dev !== oif)) continue;
    if (
      best === undefined || r.dst.bits > best.dst.bits ||
      (r.dst.bits === best.dst.bits && r.metric < best.metric)
    ) best = r;
  }
  return best;
}

// Addresses from a small space so that routes overlap and tie often.
const addr = fc.integer({ min: 0, max: 63 }).map((n) =>
  Addr.fromUint32(0x0a000000 + n * 0x10000 + n)
);
const route = fc.record({
  addr,
  bits: fc.constantFrom(0, 8, 12, 16, 24, 32),
  metric: fc.constantFrom(0, 0, 100, 1024),
  dev: fc.constantFrom("eth0", "eth1", "cni0"),
  type: fc.constantFrom("unicast", "unicast", "blackhole", "unreachable"),
}).map(({ addr, bits, metric, dev, type }): Route => ({
  type: type as Route["type"],
  dst: Prefix.of(addr, bits).masked(),
  dev,
  onlink: false,
  metric,
  proto: "static",
  scope: "global",
}));

test("fib: the indexed lookup picks the route the kernel's rule picks, on any table", () => {
  holds(
    fc.property(
      fc.array(route, { maxLength: 40 }),
      addr,
      fc.option(fc.constantFrom("eth0", "eth1", "cni0"), { nil: undefined }),
      (routes, dst, oif) => {
        const ns = { routes } as unknown as Namespace;
        return lookupRoute(ns, dst, oif) === linearLookup(routes, dst, oif);
      },
    ),
    1000,
  );
});

test("fib: an equal route added later does not replace the first (the tie goes to the earlier)", () => {
  const [a, b] = [0, 1].map((i): Route => ({
    type: "unicast",
    dst: Prefix.mustParse("10.244.0.0/16"),
    dev: `eth${i}`,
    onlink: false,
    metric: 0,
    proto: "static",
    scope: "global",
  }));
  const ns = { routes: [a, b] } as unknown as Namespace;
  assert.is(lookupRoute(ns, Addr.mustParse("10.244.1.2")), a);
  assert.is(lookupRoute(ns, Addr.mustParse("10.244.1.2"), "eth1"), b);
  assert.is(lookupRoute(ns, Addr.mustParse("10.245.1.2")), undefined);
});

test("source selection: the tracer's values and the verifier's numbers give the same address", () => {
  const iface = fc.record({ a: addr, bits: fc.constantFrom(8, 16, 24, 32) });
  const device = fc.record({
    kind: fc.constantFrom("loopback", "veth", "nic", "bridge"),
    up: fc.boolean(),
    addresses: fc.array(iface, { maxLength: 3 }),
  });
  holds(
    fc.property(
      fc.array(device, { minLength: 1, maxLength: 4 }),
      fc.nat(3),
      fc.option(addr, { nil: undefined }),
      fc.option(addr, { nil: undefined }),
      (devices, out, preferred, via) => {
        const asPrefixes = devices.map((d) => ({
          ...d,
          addresses: d.addresses.map(({ a, bits }) => Prefix.of(a, bits)),
        }));
        const asNumbers = devices.map((d) => ({
          ...d,
          addresses: d.addresses.map(({ a, bits }) => ({ addr: a.value, bits })),
        }));
        const i = out % devices.length;
        const fromValues = pickSource(preferred, via, asPrefixes[i].addresses, asPrefixes, {
          addrOf: (p) => p.addr,
          contains: (p, a) => p.contains(a),
          hostScope: (p) => p.addr.isLoopback(),
        });
        const fromNumbers = pickSource(
          preferred?.value,
          via?.value,
          asNumbers[i].addresses,
          asNumbers,
          {
            addrOf: (p) => p.addr,
            contains: (p, v) => inPrefix(v, p.addr, p.bits),
            hostScope: (p) => p.addr >>> 24 === 127,
          },
        );
        return fromValues?.value === fromNumbers;
      },
    ),
    1000,
  );
});

test("rules: martians, frame slack, fragments and route preference at their edges", () => {
  const v = (s: string) => Addr.mustParse(s).value;
  for (const s of ["0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.255.255.255"]) {
    assert.ok(martianSource(v(s)), `${s} is a martian source`);
  }
  assert.ok(martianSource(v("255.255.255.255")));
  for (const s of ["1.0.0.0", "10.244.1.2", "126.255.255.255", "240.0.0.1"]) {
    assert.not.ok(martianSource(v(s)), `${s} is not a martian source`);
  }
  assert.ok(martianDestination(v("0.1.2.3")) && martianDestination(v("127.0.0.53")));
  assert.not.ok(martianDestination(v("255.255.255.255")) || martianDestination(v("224.0.0.1")));
  assert.ok(frameFits(1504, 1500) && !frameFits(1505, 1500));
  assert.is(fragmentSize(1500), 1500);
  assert.is(fragmentSize(1450), 1444);
  assert.is(fragmentSize(68), 68);
  assert.ok(preferRoute({ bits: 24, metric: 100 }, { bits: 16, metric: 0 }));
  assert.ok(preferRoute({ bits: 16, metric: 0 }, { bits: 16, metric: 1 }));
  assert.not.ok(preferRoute({ bits: 16, metric: 1 }, { bits: 16, metric: 1 }));
  assert.ok(preferRoute({ bits: 0, metric: 0 }, undefined));
});

test("arp: the indexed answerers are exactly the flood's endpoints that own the address (broken worlds)", () => {
  const noTunnels = () => [];
  holds(
    fc.property(brokenWorlds({ maxNodes: 3, maxPods: 2, maxMutations: 3 }), ({ world }) => {
      const addrs = [
        ...new Set(
          world.namespaces.flatMap((ns) =>
            ns.devices.flatMap((d) => d.addresses.map((a) => a.addr))
          ),
        ),
        Addr.mustParse("127.0.0.5"),
        Addr.mustParse("10.99.99.99"),
      ];
      for (const ns of world.namespaces) {
        for (const dev of ns.devices) {
          const flood = reach(world, dev, "broadcast", noTunnels);
          for (const addr of addrs) {
            for (const sip of [undefined, dev.addresses[0]?.addr]) {
              const want = flood.filter((e) => {
                if (e.dev === dev) return false;
                const far = namespaceNamed(world, e.dev.namespace)!;
                return isLocal(far, addr) && !(sip !== undefined && isLocal(far, sip));
              });
              const got = arpAnswerers(world, dev, addr, sip, 0, noTunnels);
              if (got.length !== want.length || got.some((e, i) => e.dev !== want[i].dev)) {
                throw new Error(
                  `${ns.name}/${dev.name} asking for ${addr}: ${got.length} vs ${want.length}`,
                );
              }
            }
          }
        }
      }
      return true;
    }),
    60,
  );
});

test.run();
