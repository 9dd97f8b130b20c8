/**
 * One identity for the kernel's values wherever the kernel is imported
 * from: the lessons import it through the `lessons/kernel` symlink, the
 * tests through `src/`, and Deno loads those as two module copies. An
 * address, prefix or MAC made by one copy is the same object as the one the
 * other copy makes, so `===`, `Map` keys and a world built through one copy
 * work through the other.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import * as viaSrc from "../src/mod.ts";
import * as viaLessons from "../lessons/kernel/mod.js";
import { holds } from "./support/property.ts";

test("identity: the two import paths are two module copies", () => {
  // What makes the rest of this file mean something: were Deno to load one
  // copy, every identity below would hold trivially.
  assert.is.not(viaSrc.Addr as unknown, viaLessons.Addr as unknown);
});

test("identity: an address, a prefix and a MAC are one object through either copy", () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  holds(
    fc.property(u32, fc.integer({ min: 0, max: 32 }), (n, bits) => {
      const a = viaSrc.Addr.fromUint32(n);
      const b = viaLessons.Addr.mustParse(a.toString());
      const p = viaSrc.Prefix.of(a, bits);
      return a === (b as unknown) &&
        p === (viaLessons.Prefix.mustParse(p.toString()) as unknown);
    }),
    300,
  );
  holds(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => {
      const m = viaLessons.Mac.fromNumber(n);
      return viaSrc.Mac.mustParse(m.toString()) === (m as unknown);
    }),
    300,
  );
});

test("identity: a world built through the lessons' copy is traced and edited through src/", () => {
  const built = viaLessons.buildWorld({ mode: "host-gw" });
  assert.ok(built.ok);
  if (!built.ok) return;
  const world = built.value as unknown as viaSrc.World;
  const before = viaSrc.trace(world, { from: "a", to: "c" });
  assert.ok(before.ok);
  if (!before.ok) return;
  assert.is(before.value.verdict.kind, "delivered");
  const c = viaSrc.podIp(world, viaSrc.podNamed(world, "c")!)!;
  assert.is(c as unknown, viaLessons.Addr.mustParse(c.toString()));
  const node = world.nodes.find((n) => n.name === viaSrc.podNamed(world, "a")!.node)!;
  const broken = viaSrc.unwrap(
    viaSrc.addRoute(world, node.namespace, `blackhole ${c.toString()}/32`),
    viaSrc.formatEditError,
  );
  const after = viaLessons.trace(broken as unknown as viaLessons.World, { from: "a", to: "c" });
  assert.ok(after.ok && after.value.verdict.kind === "dropped");
});

test.run();
