/**
 * Tests of the diagram layout (src/render/layout.ts): every device of every
 * namespace is drawn exactly once, inside its namespace's box, without
 * overlapping another device; boxes nest and do not overlap; veth pairs,
 * bridge ports, uplinks and tunnels join what they should; a narrow width
 * wraps into rows that fit it; and a trace's path runs unbroken from the
 * sender to where the kernel says the packet ended.
 *
 * Property runs print fast-check's seed and path when they fail; set
 * FC_SEED (and FC_PATH) to replay one. Run alone with
 * `deno run -A tests/layout.test.ts`, or inside the project's single uvu run.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { holds } from "./support/property.ts";
import {
  buildWorld,
  deleteRoute,
  type Layout,
  layoutWorld,
  loadScenario,
  type Mode,
  MODES,
  podIp,
  type Rect,
  textWidth,
  trace,
  tracePath,
  unwrap,
  type World,
} from "../src/mod.js";

/** A cluster spec the builders accept: a mode, 1-3 nodes, 0-3 pods each. */
const specArb = fc.constantFrom(...MODES).chain((mode: Mode) =>
  (mode === "single-host" ? fc.constant(1) : fc.integer({ min: 1, max: 3 })).chain((nodes) =>
    fc.record({
      mode: fc.constant(mode),
      nodes: fc.constant(nodes),
      pods: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: nodes, maxLength: nodes }),
    })
  )
);

const widthArb = fc.option(fc.integer({ min: 320, max: 1800 }), { nil: undefined });

function build(spec: { mode: Mode; nodes: number; pods: number[] }): World {
  return unwrap(buildWorld(spec), (e) => `${e.field}: ${e.message}`);
}

function scenario(name: string): World {
  const doc = JSON.parse(Deno.readTextFileSync(`lessons/scenarios/${name}.json`));
  return unwrap(loadScenario(doc), (e) => JSON.stringify(e));
}

const EPS = 0.01;

function inside(inner: Rect, outer: Rect): boolean {
  return inner.x >= outer.x - EPS && inner.y >= outer.y - EPS &&
    inner.x + inner.w <= outer.x + outer.w + EPS && inner.y + inner.h <= outer.y + outer.h + EPS;
}

function overlap(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w - EPS && b.x < a.x + a.w - EPS && a.y < b.y + b.h - EPS &&
    b.y < a.y + a.h - EPS;
}

function onOrIn(p: { x: number; y: number }, r: Rect): boolean {
  return p.x >= r.x - 1 && p.x <= r.x + r.w + 1 && p.y >= r.y - 1 && p.y <= r.y + r.h + 1;
}

/** The box a namespace's devices belong in: its pod, or its own box. */
function homeOf(layout: Layout, namespace: string): Rect | undefined {
  return layout.boxes.find((b) => b.kind === "pod" && b.namespace === namespace) ??
    layout.boxes.find((b) => b.id === `ns:${namespace}`);
}

function deviceIds(world: World): string[] {
  return world.namespaces.flatMap((ns) => ns.devices.map((d) => `${ns.name}/${d.name}`)).sort();
}

test("layout: every device is drawn once, inside its namespace's box", () => {
  holds(
    fc.property(specArb, widthArb, fc.constantFrom("en", "ko" as const), (spec, width, lang) => {
      const world = build(spec);
      const layout = layoutWorld(world, { width, lang });
      assert.equal(layout.devices.map((d) => d.id).sort(), deviceIds(world));
      for (const d of layout.devices) {
        const home = homeOf(layout, d.namespace);
        assert.ok(home, `no box for namespace ${d.namespace}`);
        assert.ok(inside(d, home!), `${d.id} sticks out of its box`);
      }
    }),
    60,
  );
});

test("layout: no two devices overlap, and sibling boxes do not either", () => {
  holds(
    fc.property(specArb, widthArb, (spec, width) => {
      const layout = layoutWorld(build(spec), { width });
      const ds = layout.devices;
      for (let i = 0; i < ds.length; i++) {
        for (let j = i + 1; j < ds.length; j++) {
          assert.not.ok(overlap(ds[i], ds[j]), `${ds[i].id} overlaps ${ds[j].id}`);
        }
      }
      const hosts = layout.boxes.filter((b) => b.kind !== "pod" && b.kind !== "container");
      const pods = layout.boxes.filter((b) => b.kind === "pod");
      const containers = layout.boxes.filter((b) => b.kind === "container");
      for (const group of [hosts, pods, containers]) {
        for (let i = 0; i < group.length; i++) {
          for (let j = i + 1; j < group.length; j++) {
            assert.not.ok(overlap(group[i], group[j]), `${group[i].id} overlaps ${group[j].id}`);
          }
        }
      }
      for (const p of pods) {
        const node = hosts.find((h) => inside(p, h));
        assert.ok(node, `pod box ${p.id} is in no node box`);
      }
      for (const c of containers) {
        const pod = pods.find((p) => p.pod === c.pod);
        assert.ok(pod && inside(c, pod), `container ${c.id} is not inside its pod`);
      }
    }),
    60,
  );
});

test("layout: a width of 400 or more is respected; narrower widths wrap into more rows", () => {
  holds(
    fc.property(specArb, fc.integer({ min: 400, max: 1800 }), (spec, width) => {
      const layout = layoutWorld(build(spec), { width });
      assert.ok(layout.width <= width, `layout is ${layout.width} wide for ${width}`);
      for (const b of layout.boxes) {
        assert.ok(b.x + b.w <= layout.width && b.y + b.h <= layout.height);
      }
    }),
    60,
  );
  const world = build({ mode: "vxlan", nodes: 3, pods: [2, 2, 2] });
  const rows = (l: Layout) =>
    new Set(l.boxes.filter((b) => b.kind === "node").map((b) => b.y)).size;
  assert.is(rows(layoutWorld(world)), 1);
  assert.is(rows(layoutWorld(world, { width: 390 })), 3);
});

test("layout: links join veth peers, bridge ports, NICs and VXLAN peers", () => {
  holds(
    fc.property(specArb, widthArb, (spec, width) => {
      const world = build(spec);
      const layout = layoutWorld(world, { width });
      const rect = (id: string) => layout.devices.find((d) => d.id === id)!;
      for (const ns of world.namespaces) {
        for (const d of ns.devices) {
          const id = `${ns.name}/${d.name}`;
          if (d.kind === "veth") {
            const link = layout.links.find((l) =>
              l.kind === "veth" && (l.from === id || l.to === id)
            );
            assert.ok(link, `veth ${id} has no link`);
            const peer = `${d.peer.namespace}/${d.peer.device}`;
            assert.equal([link!.from, link!.to].sort(), [id, peer].sort());
            assert.ok(onOrIn(link!.points[0], rect(link!.from)), `${link!.id} starts off its chip`);
            assert.ok(
              onOrIn(link!.points.at(-1)!, rect(link!.to)),
              `${link!.id} ends off its chip`,
            );
          }
          if (d.master || d.kind === "nic") {
            const kind = d.kind === "nic" ? "uplink" : "port";
            const tap = layout.links.find((l) => l.kind === kind && l.from === id);
            assert.ok(tap, `${id} has no ${kind}`);
            const bus = layout.buses.find((b) => b.id === tap!.to)!;
            assert.ok(bus, `${tap!.id} goes to no bus`);
            const end = tap!.points.at(-1)!;
            assert.ok(
              bus.rows.some((r) =>
                Math.abs(r.y - end.y) < EPS && end.x >= r.x0 - EPS && end.x <= r.x1 + EPS
              ),
              `${tap!.id} does not end on ${bus.id}`,
            );
          }
        }
      }
      // Every VTEP has an FDB entry for every other one (flannel and Felix alike).
      const vxlanNodes = ["vxlan", "calico-vxlan", "calico-vxlan-cross-subnet"].includes(spec.mode)
        ? spec.nodes
        : 0;
      assert.is(
        layout.links.filter((l) => l.kind === "tunnel").length,
        (vxlanNodes * (vxlanNodes - 1)) / 2,
      );
    }),
    60,
  );
});

test("layout: labels follow the language", () => {
  const world = scenario("vxlan");
  const ko = layoutWorld(world, { lang: "ko" });
  const en = layoutWorld(world, { lang: "en" });
  assert.ok(ko.boxes.filter((b) => b.kind === "pod").every((b) => b.title.startsWith("파드 ")));
  assert.ok(en.boxes.filter((b) => b.kind === "pod").every((b) => b.title.startsWith("pod ")));
  assert.ok(ko.boxes.find((b) => b.id === "ns:node-1")!.detail!.includes("파드 대역"));
  assert.ok(textWidth("파드") > textWidth("ab"));
});

test("layout: pod boxes show the pod's IP, or that its sandbox is gone", () => {
  const world = scenario("single-host");
  const layout = layoutWorld(world);
  for (const pod of world.pods) {
    const box = layout.boxes.find((b) => b.id === `pod:${pod.name}`)!;
    assert.is(box.detail, podIp(world, pod)!.toString());
    assert.ok(layout.boxes.some((b) => b.id === `ctr:${pod.name}/pause` && b.pause));
  }
});

/** Ordered pairs of pods, for tracing. */
function pairs(world: World): [string, string][] {
  const names = world.pods.map((p) => p.name);
  return names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b] as [string, string]));
}

test("tracePath: an unbroken path from the sender to where the kernel ended the trace", () => {
  holds(
    fc.property(
      specArb.filter((s) => s.pods.reduce((a, b) => a + b, 0) >= 2),
      widthArb,
      (spec, width) => {
        const world = build(spec);
        const layout = layoutWorld(world, { width });
        for (const [from, to] of pairs(world)) {
          const t = unwrap(trace(world, { from, to }), (e) => e.message);
          const path = tracePath(layout, t);
          assert.equal(path.missing, [], `${from} → ${to} names things not drawn`);
          assert.is(path.visits[0].id, `pod:${from}`);
          for (let i = 1; i < path.pieces.length; i++) {
            assert.is(path.pieces[i].from, path.pieces[i - 1].to, `${from} → ${to} breaks at ${i}`);
          }
          for (const p of path.pieces) {
            const r = (id: string) =>
              layout.devices.find((d) => d.id === id) ?? layout.boxes.find((b) => b.id === id)!;
            assert.ok(onOrIn(p.points[0], r(p.from)), `piece ${p.from} → ${p.to} starts elsewhere`);
            assert.ok(
              onOrIn(p.points.at(-1)!, r(p.to)),
              `piece ${p.from} → ${p.to} ends elsewhere`,
            );
          }
          const hops = path.visits.map((v) => v.hop);
          assert.equal(hops, [...hops].sort((a, b) => a - b), "hops go backwards");
          const v = t.verdict;
          assert.is(path.end!.delivered, v.kind === "delivered");
          if (v.kind === "delivered") {
            assert.is(path.end!.id, `pod:${v.pod}`);
            assert.is(path.target?.id, `pod:${to}`);
            assert.is(path.target?.reached, v.pod === to);
          }
          const crossNode = world.pods.find((p) => p.name === from)!.node !==
            world.pods.find((p) => p.name === to)!.node;
          // flannel's VXLAN encapsulates between any two nodes; Calico's
          // CrossSubnet only between subnets (the trace's encapsulation says where).
          const encapsulated = spec.mode === "vxlan" ||
            t.hops.some((h) => h.steps.some((s) => s.kind === "vxlan-encap"));
          const expectTunnel = encapsulated && crossNode && v.kind === "delivered" ? 1 : 0;
          assert.is(path.tunnels.length, expectTunnel, `${from} → ${to} tunnels`);
          assert.is(
            path.pieces.some((p) => p.tunnel),
            expectTunnel > 0,
            `${from} → ${to}: tunnelled pieces`,
          );
        }
      },
    ),
    25,
  );
});

test("tracePath: a dropped packet ends where the kernel dropped it", () => {
  const world = unwrap(
    deleteRoute(scenario("host-gw"), "node-1", "10.244.2.0/24"),
    (e) => e.message,
  );
  const t = unwrap(trace(world, { from: "a", to: "c" }), (e) => e.message);
  assert.is(t.verdict.kind, "dropped");
  const path = tracePath(layoutWorld(world), t);
  assert.is(path.end!.delivered, false);
  assert.ok(path.end!.id.startsWith(`${t.verdict.namespace}/`), path.end!.id);
  assert.is(path.end!.hop, t.hops.length - 1);
  assert.is(path.target?.id, "pod:c");
  assert.is(path.target?.reached, false);
});

test("tracePath: localhost goes from container to container through the pod's lo", () => {
  const world = scenario("single-host");
  const t = unwrap(
    trace(world, { from: "a/sidecar", to: "127.0.0.1", proto: "tcp", port: 8080 }),
    (e) => e.message,
  );
  const path = tracePath(layoutWorld(world), t);
  assert.equal(path.visits.map((v) => v.id), ["ctr:a/sidecar", "pod-a/lo", "ctr:a/app"]);
});

test.run();
