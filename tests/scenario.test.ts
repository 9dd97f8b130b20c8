/**
 * Scenario documents: the shipped examples are their builders' output,
 * a world survives a round trip through JSON, and any document — broken,
 * random or hostile — loads to a world or to a list of problems with JSON
 * paths, without ever throwing.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { Addr, Prefix } from "../src/addr/mod.js";
import { buildScenario, buildWorld, MODES } from "../src/scenario/build.js";
import { EXAMPLES } from "../src/scenario/examples.js";
import { loadScenario, parseScenario } from "../src/scenario/load.js";
import { CLUSTER_LIMITS, LOAD_LIMITS } from "../src/scenario/screen.js";
import { parseNeighbour } from "../src/syntax/ipneigh.js";
import { setMtu } from "../src/world/edit.js";
import { formatLoadError, type LoadError } from "../src/scenario/reader.js";
import { toScenario } from "../src/scenario/save.js";
import { clusterSpecs } from "./support/clusters.ts";
import { holds } from "./support/property.ts";

const read = (name: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`../lessons/scenarios/${name}.json`, import.meta.url)));

test("scenario: each example file is exactly what its builder makes (run `deno task scenarios` after changing a builder)", () => {
  for (const spec of EXAMPLES) {
    const built = buildScenario(spec);
    assert.ok(built.ok, spec.mode);
    if (built.ok) {
      assert.equal(
        read(spec.name ?? spec.mode),
        JSON.parse(JSON.stringify(built.value)),
        spec.name ?? spec.mode,
      );
    }
  }
});

test("scenario: a world written with toScenario loads back to the same world", () => {
  holds(
    fc.property(
      clusterSpecs(["single-host", "gateway", "host-gw", "vxlan", "nat", "same-range"], 4, 4),
      (spec) => {
        const doc = JSON.parse(
          JSON.stringify(
            buildScenario(spec).ok ? (buildScenario(spec) as { value: unknown }).value : null,
          ),
        );
        const w = loadScenario(doc);
        if (!w.ok) throw new Error(w.error.map(formatLoadError).join("; "));
        const again = loadScenario(JSON.parse(JSON.stringify(toScenario(w.value))));
        if (!again.ok) throw new Error(again.error.map(formatLoadError).join("; "));
        assert.equal(JSON.parse(JSON.stringify(again.value)), JSON.parse(JSON.stringify(w.value)));
        return true;
      },
    ),
    50,
  );
});

test("scenario: the world buildWorld returns is the world its saved document loads back to, in every mode", () => {
  // buildWorld hands out the world it built without saving and reloading
  // it; the page, the CLI and the lab load the saved document. Both must be
  // the same world, field for field.
  holds(
    fc.property(clusterSpecs(MODES, 4, 4), (spec) => {
      const built = buildWorld(spec);
      if (!built.ok) return true; // the spec's error is the same either way (buildScenario calls buildWorld)
      const saved = JSON.parse(JSON.stringify(toScenario(built.value)));
      const loaded = loadScenario(saved, { limits: CLUSTER_LIMITS });
      if (!loaded.ok) throw new Error(loaded.error.map(formatLoadError).join("; "));
      assert.equal(canonical(built.value), canonical(loaded.value), spec.mode);
      return true;
    }),
    60,
  );
});

/** A world as plain data: addresses by their text, maps and sets as sorted entries. */
function canonical(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => {
    if (v instanceof Map) return { map: [...v].map(([k, x]) => [String(k), x]).sort() };
    if (v instanceof Set) return { set: [...v].map(String).sort() };
    return v;
  }));
}

test("scenario: a line the kernel refuses names itself as refused; a line that does not parse does not", () => {
  const built = buildScenario({ mode: "host-gw", nodes: 3, pods: 1 });
  if (!built.ok) throw new Error(built.error.message);
  const doc = JSON.parse(JSON.stringify(built.value));
  const at = doc.namespaces.findIndex((n: { name: string }) => n.name === "node-1");
  const node = doc.namespaces[at];
  node.routes = [
    ...node.routes,
    "10.99.0.0/16 via 172.31.0.1 dev eth0", // well formed, gateway off-link: refused
    "10.98.0.0/16 via 192.168.0.12 dev nosuch0", // well formed, no such device: refused
    "10.97.0.0/16 via", // does not parse
  ];
  node.neighbours = ["192.168.0.12 dev nosuch0 lladdr 02:00:00:00:00:01"];
  const loaded = loadScenario(doc);
  assert.not.ok(loaded.ok);
  if (loaded.ok) return;
  const n = node.routes.length;
  assert.equal(
    loaded.error.map((e) => [e.path, e.refused]),
    [
      [`/namespaces/${at}/routes/${n - 3}`, { namespace: at, list: "routes", index: n - 3 }],
      [`/namespaces/${at}/routes/${n - 2}`, { namespace: at, list: "routes", index: n - 2 }],
      [`/namespaces/${at}/routes/${n - 1}`, undefined],
      [`/namespaces/${at}/neighbours/0`, { namespace: at, list: "neighbours", index: 0 }],
    ],
  );
});

/** Resolves a JSON Pointer in a document; `undefined` when a step is missing. */
function pointer(doc: unknown, path: string): { found: boolean; value?: unknown } {
  if (path === "") return { found: true, value: doc };
  let cur: unknown = doc;
  for (const raw of path.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof cur !== "object" || cur === null || !(key in cur)) return { found: false };
    cur = (cur as Record<string, unknown>)[key];
  }
  return { found: true, value: cur };
}

/** Every error points into the document: at the bad value, or at a missing field of an object that is there. */
function pathsPointIntoDocument(doc: unknown, errors: readonly LoadError[]) {
  for (const e of errors) {
    const at = pointer(doc, e.path);
    if (at.found) continue;
    const parent = pointer(doc, e.path.slice(0, e.path.lastIndexOf("/")));
    assert.ok(parent.found, `${e.path} points nowhere (${e.message})`);
  }
}

test("scenario: random JSON never throws, and every error has a path into the document", () => {
  holds(
    fc.property(fc.jsonValue(), (doc) => {
      const r = loadScenario(doc);
      if (!r.ok) pathsPointIntoDocument(doc, r.error);
      return true;
    }),
    1000,
  );
  holds(
    fc.property(fc.string(), (text) => {
      parseScenario(text);
      return true;
    }),
    500,
  );
});

/** Every place in a JSON value, as paths of keys. */
function places(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [path];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return [path, ...entries.flatMap(([k, v]) => places(v, [...path, k]))];
}

test("scenario: a valid document with one value replaced or removed never throws and names the damage", () => {
  const base = read("vxlan");
  const all = places(base).filter((p) => p.length > 0);
  holds(
    fc.property(
      fc.constantFrom(...all),
      fc.option(fc.jsonValue(), { nil: undefined }),
      (place, replacement) => {
        const doc = structuredClone(base);
        let parent = doc;
        for (const k of place.slice(0, -1)) parent = parent[k];
        const last = place[place.length - 1];
        if (replacement === undefined) {
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
        } else parent[last] = replacement;
        const r = loadScenario(doc);
        if (!r.ok) {
          assert.ok(r.error.length > 0);
          pathsPointIntoDocument(doc, r.error);
        }
        return true;
      },
    ),
    1500,
  );
});

test("scenario: values that are hard to turn into text or names of Object's own members are plain bad values", () => {
  const base = read("single-host");
  for (
    const kind of [{ toString: "" }, "constructor", "__proto__", "toString", {
      valueOf: null,
      toString: null,
    }]
  ) {
    const doc = structuredClone(base);
    doc.namespaces[1].devices[1].kind = kind;
    const r = loadScenario(doc);
    assert.ok(
      !r.ok && r.error.some((e) => e.path === "/namespaces/1/devices/1/kind"),
      JSON.stringify(kind),
    );
  }
  const neigh = parseNeighbour("10.0.0.1 dev eth0 lladdr 02:00:00:00:00:01 constructor");
  assert.ok(!neigh.ok && neigh.error.token === "constructor");
});

test("scenario: problems are all reported, each with its path and value", () => {
  const doc = read("host-gw");
  doc.namespaces[0].routes = ["10.244.2.0/24 vai 192.168.0.12", "10.99.0.0/16 via 10.1.1.1"];
  doc.namespaces[1].devices[1].adresses = ["10.244.2.1/24"];
  doc.pods[0].node = "node-9";
  doc.nodes[1].podCidr = "10.244.2.0/33";
  const r = loadScenario(doc);
  assert.not.ok(r.ok);
  if (r.ok) return;
  const byPath = new Map(r.error.map((e) => [e.path, e]));
  assert.match(
    byPath.get("/namespaces/0/routes/0")!.message,
    /Unknown keyword at "vai" \(column 15\)/,
  );
  assert.match(byPath.get("/namespaces/0/routes/1")!.message, /Nexthop has invalid gateway/);
  assert.match(byPath.get("/namespaces/1/devices/1/adresses")!.message, /Unknown field "adresses"/);
  assert.is(byPath.get("/pods/0/node")!.value, "node-9");
  assert.match(byPath.get("/nodes/1/podCidr")!.message, /length is larger than 32/);
  assert.match(
    formatLoadError(byPath.get("/pods/0/node")!),
    /^\/pods\/0\/node: No such node \(value: "node-9"\)$/,
  );
});

test("scenario: cross-references are checked: veth peers, bridge masters, segments", () => {
  const doc = read("single-host");
  const nodeDevices = doc.namespaces[0].devices;
  const veth = nodeDevices.find((d: { kind: string }) => d.kind === "veth");
  veth.peer = "pod-a/eth9";
  nodeDevices.find((d: { kind: string }) => d.kind === "nic").segment = "nowhere";
  veth.master = "eth0";
  const r = loadScenario(doc);
  assert.not.ok(r.ok);
  if (r.ok) return;
  const messages = r.error.map(formatLoadError).join("\n");
  assert.match(messages, /peer: No such device \(value: "pod-a\/eth9"\)/);
  assert.match(messages, /segment: No such segment/);
  assert.match(messages, /master: Master is not a bridge/);
  assert.match(messages, /Peer does not point back/);
});

test("scenario: the builders never throw: any pod CIDRs, overlapping or not, give a world or a build error", () => {
  const cidr = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 16, max: 28 }))
    .map(([low, bits]) =>
      Prefix.of(Addr.fromUint32((10 << 24) + low * 256), bits).masked().toString()
    );
  holds(
    fc.property(
      fc.constantFrom(...MODES),
      fc.array(cidr, { minLength: 1, maxLength: 4 }),
      (mode, podCidrs) => {
        const cidrs = mode === "single-host" ? podCidrs.slice(0, 1) : podCidrs;
        const r = buildWorld({ mode, nodes: cidrs.length, pods: 2, podCidrs: cidrs });
        assert.ok(r.ok || r.error.message.length > 0);
        return true;
      },
    ),
    300,
  );
});

test("scenario: a cluster beyond a file's bounds builds and loads with the cluster bounds; a file's bounds refuse it, naming the count", () => {
  const nodes = 400;
  const podCidrs = Array.from({ length: nodes }, (_, i) => `10.${16 + (i >> 8)}.${i & 255}.0/24`);
  const doc = buildScenario({
    mode: "host-gw",
    nodes,
    pods: 26,
    podCidrs,
    clusterCidr: "10.0.0.0/8",
    underlay: "192.168.0.0/16",
  });
  assert.ok(doc.ok, doc.ok ? "" : doc.error.message);
  assert.ok(doc.value.pods.length > LOAD_LIMITS.pods);
  const refused = loadScenario(doc.value);
  if (refused.ok) return assert.unreachable("a file's bounds loaded a cluster beyond them");
  assert.ok(
    refused.error.some((e) =>
      e.path === "/pods" && e.message.includes(`podnet loads at most ${LOAD_LIMITS.pods}`)
    ),
  );
  const world = loadScenario(doc.value, { limits: CLUSTER_LIMITS });
  assert.ok(world.ok, world.ok ? "" : world.error.map(formatLoadError).join("; "));
  assert.is(world.value.pods.length, nodes * 26);
  // Every node has a route to every other node's pods, and the lines that are alike are one route.
  const first = world.value.namespaces.find((n) => n.name === "node-1")!;
  const second = world.value.namespaces.find((n) => n.name === "node-2")!;
  const last = Prefix.mustParse(podCidrs[nodes - 1]);
  const a = first.routes.find((r) => r.dst === last)!;
  assert.is(second.routes.find((r) => r.dst === last), a);
  assert.is(first.routes.filter((r) => r.proto === "static").length, nodes - 1);
});

test("scenario: more than 250 nodes need their pod CIDRs given; the error names the field", () => {
  const r = buildScenario({ mode: "vxlan", nodes: 251, pods: 0, underlay: "192.168.0.0/16" });
  assert.not.ok(r.ok);
  assert.is(!r.ok && r.error.field, "podCidrs");
  const over = buildScenario({ mode: "vxlan", nodes: 5001 });
  assert.is(!over.ok && over.error.field, "nodes");
});

test("scenario: a VXLAN device's MTU is bounded by its underlay when changed, as ip link enforces it", () => {
  // A file may describe the state Linux reaches when the underlay is lowered
  // after the VXLAN device was made; raising the VXLAN MTU itself is refused.
  const doc = read("vxlan");
  const flannel = doc.namespaces[0].devices.find((d: { name: string }) => d.name === "flannel.1");
  flannel.mtu = 1451;
  assert.ok(loadScenario(doc).ok);
  const w = loadScenario(read("vxlan"));
  if (!w.ok) throw new Error("example must load");
  const up = setMtu(w.value, { namespace: "node-1", device: "flannel.1" }, 1451);
  assert.ok(!up.ok && /device maximum \(1450/.test(up.error.message));
  assert.ok(setMtu(w.value, { namespace: "node-1", device: "flannel.1" }, 1400).ok);
});

test("scenario: an unsupported version and a JSON syntax error are one problem each", () => {
  const v2 = loadScenario({ ...read("single-host"), version: 2 });
  assert.ok(!v2.ok && v2.error.some((e) => e.path === "/version"));
  const bad = parseScenario('{"version": 1,');
  assert.ok(!bad.ok && bad.error.length === 1 && /Not valid JSON/.test(bad.error[0].message));
});

test.run();
