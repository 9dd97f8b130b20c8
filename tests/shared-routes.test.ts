/**
 * Shared route tables (`src/scenario/shared-routes.ts`): a namespace whose
 * route lines are mostly another's gets that namespace's checked routes
 * instead of checking each line again. The property: loading any document
 * with sharing gives exactly what checking every line of every namespace
 * gives — the same world, or the same problems at the same paths — on
 * generated clusters large enough to share (each node holds more than 64
 * lines) and broken at random nodes in the ways that change what a line's
 * check reads: lines added, removed or reordered (gateways that are local,
 * off-link, through a scope-link route, duplicate keys, `src`), devices
 * down, addresses added, connected routes removed.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { buildScenario } from "../src/scenario/build.js";
import { loadScenario } from "../src/scenario/load.js";
import { CLUSTER_LIMITS } from "../src/scenario/screen.js";
import type { NamespaceDoc, ScenarioDoc } from "../src/scenario/schema.js";
import { holds } from "./support/property.ts";

/** 66–70 nodes: every node holds 65 or more routes, enough to share. */
const NODES = { min: 66, max: 70 };

type Routed = NamespaceDoc & { routes: string[] };

/** A change to one node's namespace document; prints as what it does. */
interface Mutation {
  readonly what: string;
  readonly apply: (ns: Routed) => void;
}

const mutate = (what: string, apply: (ns: Routed) => void): Mutation => ({
  what,
  apply,
  [fc.toStringMethod]: () => what,
} as Mutation);

const ip = (n: number) => `192.168.0.${10 + n}`;

/** A route line a node may be given, chosen so that each way a line's check can change is met. */
const extraLine = (self: number, nodes: number) =>
  fc.oneof(
    fc.integer({ min: 1, max: nodes }).map((j) => `10.99.${j}.0/24 via ${ip(j)} dev eth0`),
    fc.constant(`10.99.200.0/24 via ${ip(self)} dev eth0`), // own address: invalid gateway
    fc.constant("10.99.201.0/24 via 172.16.0.1 dev eth0"), // off-link unless a scope-link route
    fc.constant("172.16.0.0/16 dev eth0 scope link"),
    fc.integer({ min: 1, max: nodes }).map((j) => `10.244.${j}.0/24 via ${ip(j)} dev eth0`), // a key in use
    fc.integer({ min: 1, max: nodes }).map((j) =>
      `10.99.${j}.0/24 via ${ip(j)} dev eth0 src 10.244.${self}.1`
    ),
    fc.constant("blackhole 10.98.0.0/16"),
    fc.constant("172.16.0.0/24 dev cni0 scope link"), // a longer way to the shared lines' gateway
    fc.constant("10.99.202.0/24 via 172.16.0.1"), // through the shared scope-link route, if before it
    fc.integer({ min: 1, max: nodes }).map((j) => `10.99.${j}.0/24 via ${ip(j)} dev cni0`),
    fc.integer({ min: 1, max: nodes }).map((j) =>
      `10.244.${j}.0/24 via ${ip(j)} dev eth0 metric 5`
    ),
  );

const eth0Of = (ns: NamespaceDoc) =>
  ns.devices.find((x) => x.name === "eth0") as { addresses?: string[] } | undefined;

const addAddress = (address: string) =>
  mutate(`eth0 gets ${address}`, (ns) => {
    const eth0 = eth0Of(ns);
    if (eth0 && !(eth0.addresses ?? []).includes(address)) {
      eth0.addresses = [...(eth0.addresses ?? []), address];
    }
  });

/** Lines every node may get, so that a scope-link route and a line through it are shared. */
const LINK_LINE = "172.16.0.0/16 dev eth0 scope link";
const THROUGH_LINK = "10.97.0.0/24 via 172.16.0.1";

/** The ways to break a node, by what of a line's check each one changes. */
const MUTATIONS: Record<string, (self: number, nodes: number) => fc.Arbitrary<Mutation>> = {
  "line removed": () =>
    fc.nat().map((k) =>
      mutate(`routes[${k} mod n] removed`, (ns) => {
        ns.routes.splice(k % Math.max(1, ns.routes.length), 1);
      })
    ),
  "scope-link line removed": () =>
    fc.constant(mutate(`"${LINK_LINE}" removed`, (ns) => {
      const at = ns.routes.indexOf(LINK_LINE);
      if (at >= 0) ns.routes.splice(at, 1);
    })),
  "line added": (self, nodes) =>
    fc.tuple(fc.nat(), extraLine(self, nodes)).map(([k, line]) =>
      mutate(`"${line}" added at ${k} mod (n+1)`, (ns) => {
        ns.routes.splice(k % (ns.routes.length + 1), 0, line);
      })
    ),
  "scope-link line added": () =>
    fc.integer({ min: 0, max: 80 }).map((k) =>
      mutate(`"172.16.0.0/24 dev cni0" added at ${k} mod (n+1)`, (ns) => {
        ns.routes.splice(k % (ns.routes.length + 1), 0, "172.16.0.0/24 dev cni0");
      })
    ),
  "line through a scope-link route added": () =>
    fc.integer({ min: 0, max: 80 }).map((k) =>
      mutate(`"10.99.202.0/24 via 172.16.0.1" added at ${k} mod (n+1)`, (ns) => {
        ns.routes.splice(k % (ns.routes.length + 1), 0, "10.99.202.0/24 via 172.16.0.1");
      })
    ),
  "lines swapped": () =>
    fc.tuple(fc.nat(), fc.nat()).map(([a, b]) =>
      mutate(`routes[${a} mod n] and [${b} mod n] swapped`, (ns) => {
        const n = ns.routes.length;
        if (n < 2) return;
        [ns.routes[a % n], ns.routes[b % n]] = [ns.routes[b % n], ns.routes[a % n]];
      })
    ),
  "device down": () =>
    fc.constantFrom("eth0", "cni0", "lo").map((name) =>
      mutate(`${name} down`, (ns) => {
        const d = ns.devices.find((x) => x.name === name);
        if (d) (d as { up?: boolean }).up = false;
      })
    ),
  "gateway made local": (_, nodes) =>
    fc.integer({ min: 1, max: nodes }).map((j) => addAddress(`${ip(j)}/32`)),
  "connected route with a line's key": (_, nodes) =>
    fc.integer({ min: 1, max: nodes }).map((j) => addAddress(`10.244.${j}.1/24`)),
  "connected route added": () =>
    fc.constantFrom("172.16.5.1/16", "192.168.0.1/26").map((a) => addAddress(a)),
  "underlay address moved": () =>
    fc.constantFrom("172.17.0.5/16", "192.168.0.9/26").map((a) =>
      mutate(`eth0's address replaced by ${a}`, (ns) => {
        const eth0 = eth0Of(ns);
        if (eth0) eth0.addresses = [a];
      })
    ),
  "connected route removed": () =>
    fc.constant(mutate("eth0's connected route removed", (ns) => {
      const a = eth0Of(ns)?.addresses?.[0];
      if (a) {
        (ns as { removedKernelRoutes?: string[] }).removedKernelRoutes = [
          `192.168.0.0/24 dev eth0 proto kernel scope link src ${a.split("/")[0]}`,
        ];
      }
    })),
};

const mutation = (kinds: readonly string[], self: number, nodes: number) =>
  fc.oneof(...kinds.map((k) => MUTATIONS[k](self, nodes)));

/** A broken cluster, as a short description: size, shared scope-link lines, what each node got. */
interface Broken {
  readonly nodes: number;
  readonly link?: number;
  readonly hits: readonly [number, readonly Mutation[]][];
}

/** Kinds whose breakage shows only when every node holds the scope-link lines. */
const NEEDS_LINK = [
  "scope-link line added",
  "line through a scope-link route added",
  "scope-link line removed",
];

const brokenClusters = (kinds: readonly string[] = Object.keys(MUTATIONS)): fc.Arbitrary<Broken> =>
  fc.tuple(
    fc.integer(NODES),
    kinds.every((k) => NEEDS_LINK.includes(k))
      ? fc.integer({ min: 0, max: 80 })
      : fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  ).chain(([nodes, link]) =>
    fc.array(
      fc.integer({ min: 1, max: nodes }).chain((self) =>
        fc.tuple(
          fc.constant(self),
          fc.array(mutation(kinds, self, nodes), { minLength: 1, maxLength: 3 }),
        )
      ),
      { minLength: 1, maxLength: 6 },
    ).map((hits) => ({ nodes, link, hits }))
  );

const built = new Map<number, string>();

/** The document a description stands for: a host-gw cluster, changed as it says. */
function documentOf(b: Broken): ScenarioDoc {
  let text = built.get(b.nodes);
  if (text === undefined) {
    const doc = buildScenario({ mode: "host-gw", nodes: b.nodes, pods: 0 });
    if (!doc.ok) throw new Error(doc.error.message);
    built.set(b.nodes, text = JSON.stringify(doc.value));
  }
  const doc = JSON.parse(text) as ScenarioDoc;
  for (const ns of doc.namespaces) {
    if (ns.role !== "node" || b.link === undefined) continue;
    const routes = [...(ns.routes ?? [])];
    routes.splice(b.link % (routes.length + 1), 0, LINK_LINE, THROUGH_LINK);
    (ns as { routes?: string[] }).routes = routes;
  }
  for (const [self, mutations] of b.hits) {
    const ns = doc.namespaces.find((n) => n.name === `node-${self}`)! as Routed;
    ns.routes = [...(ns.routes ?? [])];
    for (const m of mutations) m.apply(ns);
  }
  return doc;
}

/** Where two plain values first differ, as a path and the two values there. */
function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}/${k}`,
      );
      if (d !== undefined) return d;
    }
  }
  return `${path}: shared ${JSON.stringify(a)?.slice(0, 300)} / line by line ${
    JSON.stringify(b)?.slice(0, 300)
  }`;
}

/** A load result as plain data: the world, or its problems. */
function plain(r: ReturnType<typeof loadScenario>): unknown {
  return JSON.parse(JSON.stringify(r.ok ? { world: r.value } : { problems: r.error }));
}

/** Loads with and without sharing, asserts the same result; counts namespaces that shared. */
function sameEitherWay(b: Broken, count: { shared: number; namespaces: number }) {
  const doc = documentOf(b);
  const fast = loadScenario(doc, { limits: CLUSTER_LIMITS, onShared: () => count.shared++ });
  const slow = loadScenario(doc, { limits: CLUSTER_LIMITS, shareTables: false });
  count.namespaces += doc.namespaces.length;
  const [x, y] = [plain(fast), plain(slow)];
  if (JSON.stringify(x) !== JSON.stringify(y)) {
    assert.equal(firstDifference(x, y), undefined, "shared and line-by-line loads differ");
  }
  return true;
}

for (const kind of Object.keys(MUTATIONS)) {
  test(`shared routes: ${kind} at random nodes loads to exactly what checking every line gives`, () => {
    const count = { shared: 0, namespaces: 0 };
    holds(
      fc.property(brokenClusters([kind]), (b) => sameEitherWay(b, count)),
      kind === "line added" ? 20 : 12,
    );
    // The property is about the fast path: most namespaces must have taken it.
    assert.ok(
      count.shared > count.namespaces / 2,
      `only ${count.shared} of ${count.namespaces} namespaces shared a table`,
    );
  });
}

test("shared routes: any mix of breakages loads to exactly what checking every line gives", () => {
  const count = { shared: 0, namespaces: 0 };
  holds(fc.property(brokenClusters(), (b) => sameEitherWay(b, count)), 30);
});

test("shared routes: an untouched cluster shares every node's table but the first, and a broken node is checked line by line", () => {
  const built = buildScenario({ mode: "host-gw", nodes: 70, pods: 0 });
  if (!built.ok) throw new Error(built.error.message);
  const names: string[] = [];
  const whole = loadScenario(built.value, {
    limits: CLUSTER_LIMITS,
    onShared: (n) => names.push(n),
  });
  assert.ok(whole.ok);
  assert.equal(names.length, 69);
  assert.not.ok(names.includes("node-1"));
  const doc = JSON.parse(JSON.stringify(built.value)) as ScenarioDoc;
  const node7 = doc.namespaces.find((n) => n.name === "node-7")!;
  (node7.devices.find((d) => d.name === "eth0")!.addresses as string[]).push("192.168.0.30/32");
  const sharedNow: string[] = [];
  const broken = loadScenario(doc, { limits: CLUSTER_LIMITS, onShared: (n) => sharedNow.push(n) });
  assert.not.ok(sharedNow.includes("node-7"), "node-7 owns node-20's gateway now");
  assert.not.ok(broken.ok);
  if (!broken.ok) {
    assert.equal(
      broken.error.map((e) => `${e.path}: ${e.message}`),
      [`/namespaces/${doc.namespaces.indexOf(node7)}/routes/18: Nexthop has invalid gateway`],
    );
  }
});

test.run();
