/**
 * Tests of the lesson-facing renderers: a traced packet encoded as the bytes
 * it would have on the wire (src/render/frames.ts) — VXLAN outer headers in
 * front of the inner frame, exactly 50 bytes more than the inner IP packet —
 * and words for pod lifecycle events (src/render/events.ts).
 *
 * Run alone with `deno run -A tests/render.test.ts`, or inside the project's
 * single uvu run.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildWorld,
  createPod,
  deletePod,
  describePodEvent,
  ETHERNET_HEADER_LEN,
  hexdump,
  killPause,
  MODES,
  packetBytes,
  restartContainer,
  trace,
  unwrap,
  VXLAN_OVERHEAD,
} from "../src/mod.js";
import { decodeFrame, ipipDecapsulate, vxlanDecapsulate } from "../src/wire/mod.js";

const world = (mode: (typeof MODES)[number]) => unwrap(buildWorld({ mode }), (e) => e.message);

test("packetBytes: every framed packet of every trace decodes back to its headers", () => {
  for (const mode of MODES) {
    const w = world(mode);
    const names = w.pods.map((p) => p.name);
    for (const from of names) {
      for (const to of names) {
        for (const probe of [{ from, to }, { from, to, proto: "tcp" as const, port: 8080 }]) {
          const t = unwrap(trace(w, probe), (e) => e.message);
          for (const hop of t.hops) {
            const p = hop.after;
            const bytes = packetBytes(p);
            if (p.eth === undefined || p.ip.fragment !== undefined) {
              assert.not.ok(bytes.ok);
              continue;
            }
            assert.ok(bytes.ok, `${mode} ${from} → ${to}: ${!bytes.ok && bytes.error}`);
            if (!bytes.ok) continue;
            assert.is(bytes.value.length, ETHERNET_HEADER_LEN + p.ip.length);
            if (p.ipip) {
              // IP in IP: an outer IPv4 header (protocol 4), then the inner packet as it was.
              const un = unwrap(
                ipipDecapsulate(bytes.value.subarray(ETHERNET_HEADER_LEN)),
                (e) => e.message,
              );
              assert.equal(
                [un.outer.src, un.outer.dst, un.outer.ttl, un.outer.df],
                [p.ip.src, p.ip.dst, p.ip.ttl, p.ip.df],
              );
              assert.is(un.inner.length, p.ipip.inner.ip.length);
              continue;
            }
            const frame = unwrap(decodeFrame(bytes.value), (e) => e.message);
            assert.is(frame.ipv4.src, p.ip.src);
            assert.is(frame.ipv4.dst, p.ip.dst);
            assert.is(frame.ipv4.ttl, p.ip.ttl);
            assert.is(frame.ipv4.df, p.ip.df);
            assert.is(frame.ethernet.src, p.eth.src);
            if (p.vxlan) {
              const inner = unwrap(vxlanDecapsulate(bytes.value), (e) => e.message);
              assert.is(inner.vni, p.vxlan.vni);
              assert.is(p.ip.length - p.vxlan.inner.ip.length, VXLAN_OVERHEAD);
            }
          }
        }
      }
    }
  }
});

test("packetBytes: a VXLAN hexdump shows outer headers, then the inner frame at depth 1", () => {
  const t = unwrap(trace(world("vxlan"), { from: "a", to: "c" }), (e) => e.message);
  const outer = t.hops.find((h) => h.after.vxlan && h.after.eth)!.after;
  const rows = hexdump(unwrap(packetBytes(outer), String), { annotate: true });
  const labels = [...new Set(rows.map((r) => r.label))];
  assert.equal(labels.slice(0, 5), [
    "outer Ethernet",
    "outer IPv4",
    "outer UDP",
    "VXLAN",
    "inner Ethernet",
  ]);
  const innerStart = rows.find((r) => r.depth === 1)!.offset;
  assert.is(innerStart, 50, "outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8");
});

test("packetBytes: no Ethernet header yet is an error value, not an exception", () => {
  const t = unwrap(trace(world("host-gw"), { from: "a", to: "c" }), (e) => e.message);
  const r = packetBytes(t.hops[0].before);
  assert.not.ok(r.ok);
});

test("describePodEvent: every event of create, restart, kill pause and delete has words", () => {
  let w = world("single-host");
  const events = [
    ...unwrap(createPod(w, { name: "x", node: "node-1" }), (e) => e.message).events,
  ];
  w = unwrap(createPod(w, { name: "x", node: "node-1" }), (e) => e.message).world;
  for (
    const step of [
      (v: typeof w) => restartContainer(v, "x/app"),
      (v: typeof w) => killPause(v, "x"),
      (v: typeof w) => deletePod(v, "x"),
    ]
  ) {
    const r = unwrap(step(w), (e) => e.message);
    events.push(...r.events);
    w = r.world;
  }
  const kinds = new Set(events.map((e) => e.kind));
  for (
    const k of [
      "ip-allocated",
      "namespace-created",
      "veth-created",
      "container-restarted",
      "namespace-destroyed",
      "ip-freed",
      "pod-deleted",
    ]
  ) {
    assert.ok(kinds.has(k as never), `no ${k} event`);
  }
  for (const e of events) {
    const en = describePodEvent(e, "en");
    const ko = describePodEvent(e, "ko");
    assert.ok(en.length > 0 && ko.length > 0);
    assert.is.not(en, ko);
    assert.ok(/[가-힣]/.test(ko), ko);
  }
});

test.run();
