/**
 * Tests of whole-table netfilter edits (src/world/edit.ts): `iptablesLines`
 * prints what `setIptables` reads back, a bad line is reported with its line
 * number, token and column and leaves nothing changed, and rule order
 * decides (a RETURN before a MASQUERADE keeps pod traffic un-NATed).
 *
 * Run alone with `deno run -A tests/edit.test.ts`, or inside the project's
 * single uvu run.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildWorld,
  formatEditError,
  iptablesLines,
  MODES,
  namespaceNamed,
  setIptables,
  trace,
  unwrap,
} from "../src/mod.js";

test("iptablesLines: setIptables reads back exactly what it prints, in every mode", () => {
  for (const mode of MODES) {
    const world = unwrap(buildWorld({ mode }), (e) => e.message);
    for (const ns of world.namespaces) {
      const lines = iptablesLines(ns);
      const again = unwrap(
        setIptables(world, ns.name, lines),
        (e) => e.map(formatEditError).join(),
      );
      assert.equal(namespaceNamed(again, ns.name)!.netfilter, ns.netfilter, `${mode} ${ns.name}`);
    }
  }
});

test("setIptables: a bad line names its line, token and column; blank lines and comments are skipped", () => {
  const world = unwrap(buildWorld({ mode: "nat" }), (e) => e.message);
  const r = setIptables(world, "node-1", [
    "# Docker's rules",
    "",
    "-P FORWARD DROP",
    "-t nat -A POSTROUTNG -j MASQUERADE",
  ]);
  assert.not.ok(r.ok);
  if (r.ok) return;
  assert.is(r.error.length, 1);
  assert.is(r.error[0].line, 3);
  assert.is(r.error[0].token, "POSTROUTNG");
  assert.is(r.error[0].column, 11);
  assert.match(formatEditError(r.error[0]), /^node-1, line 4: /);
  const unknown = setIptables(world, "node-9", []);
  assert.not.ok(unknown.ok);
});

test("setIptables: a RETURN before the MASQUERADE keeps pod-to-pod traffic un-NATed", () => {
  const world = unwrap(buildWorld({ mode: "nat" }), (e) => e.message);
  const before = unwrap(trace(world, { from: "a", to: "c" }), (e) => e.message).verdict;
  assert.ok(before.kind === "delivered" && before.natted);
  const ns = namespaceNamed(world, "node-1")!;
  const fixed = unwrap(
    setIptables(world, "node-1", [
      "-t nat -A POSTROUTING -s 172.17.0.0/16 -d 172.17.0.0/16 -j RETURN",
      ...iptablesLines(ns),
    ]),
    (e) => e.map(formatEditError).join(),
  );
  const after = unwrap(trace(fixed, { from: "a", to: "c" }), (e) => e.message).verdict;
  assert.ok(after.kind === "delivered" && !after.natted);
  assert.is(after.kind === "delivered" && after.src.toString(), "172.17.1.2");
  const policyGone = unwrap(setIptables(world, "node-1", []), String);
  assert.is(namespaceNamed(policyGone, "node-1")!.netfilter.forwardPolicy, "ACCEPT");
});

test.run();
