/**
 * The notebook's worker side: a reader's cell compiles with exact syntax
 * error positions, runs against the lesson's world, places runtime errors
 * in its own code, and returns only plain data; share links round-trip and
 * ignore anything malformed.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { functionBody, runCellCode, syntaxError } from "../src/notebook/compile.js";
import { decodeShare, encodeShare, MAX_SHARED_CODE } from "../src/notebook/share.js";
import { loadScenario } from "../src/scenario/load.js";
import type { ScenarioDoc } from "../src/scenario/schema.js";
import { trace } from "../src/trace/tracer.js";
import { holds } from "./support/property.ts";

const base = JSON.parse(
  Deno.readTextFileSync(new URL("../lessons/scenarios/host-gw.json", import.meta.url)),
) as ScenarioDoc;

test("notebook: a syntax error names its line and column", () => {
  assert.equal(syntaxError("const a = 1;\nconst b = ;"), {
    kind: "syntax",
    message: "Unexpected token",
    line: 2,
    column: 11,
  });
  assert.is(syntaxError("const x = await Promise.resolve(1);\nreturn { world };"), undefined);
  const unclosed = syntaxError("return {\n  world,\n");
  assert.is(unclosed?.kind, "syntax");
  assert.is(unclosed?.line, 3);
});

test("notebook: a cell breaks a route and the result comes back as plain data", async () => {
  const r = await runCellCode(
    'const broken = kernel.unwrap(kernel.deleteRoute(world, "node-1", "10.244.2.0/24"));\nreturn { world: broken, probe: { from: "a", to: "c" }, note: "no route" };',
    base,
  );
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  assert.equal(r.value.probe, { from: "a", to: "c" });
  assert.equal(r.value.extra, { note: "no route" });
  assert.equal(JSON.parse(JSON.stringify(r.value)), r.value, "only plain data crosses to the page");
  const world = loadScenario(r.value.scenario);
  assert.ok(world.ok);
  if (!world.ok) return;
  const t = trace(world.value, r.value.probe!);
  assert.ok(
    t.ok && t.value.verdict.kind === "dropped" && t.value.verdict.drop.reason === "no-route",
  );
});

test("notebook: a runtime error is placed on its line in the cell", async () => {
  const r = await runCellCode("const w = world;\n\n  w.nothing.here;\nreturn { world };", base);
  assert.not.ok(r.ok);
  if (r.ok) return;
  assert.is(r.error.kind, "runtime");
  assert.match(r.error.message, /TypeError: Cannot read properties of undefined/);
  assert.is(r.error.line, 3);
  assert.is(r.error.column, 13);
  const thrown = await runCellCode('throw "plain string";', base);
  assert.ok(
    !thrown.ok && thrown.error.kind === "runtime" &&
      thrown.error.message === 'Uncaught "plain string"',
  );
});

test("notebook: a malformed result is a message, not a crash", async () => {
  const cases: [string, RegExp][] = [
    ["return 42;", /returned number/],
    ["return { probe: { from: 'a', to: 'c' } };", /no world/],
    ["return { world, probe: 'a to c' };", /probe must look like/],
    ["return { world, f: 1n };", /plain data/],
    ["return;", /returned undefined/],
  ];
  for (const [code, message] of cases) {
    const r = await runCellCode(code, base);
    assert.ok(!r.ok && r.error.kind === "result", code);
    if (!r.ok) assert.match(r.error.message, message, code);
  }
  const badBase = await runCellCode(
    "return { world };",
    { ...base, version: 9 } as unknown as ScenarioDoc,
  );
  assert.ok(!badBase.ok && badBase.error.kind === "base");
});

test("notebook: a lesson's function becomes the code a reader edits", () => {
  const source = `({ kernel, world }) => {
    const w = kernel.unwrap(world);
    return { world: w, probe: { from: "a", to: "c" } };
  }`;
  assert.is(
    functionBody(source),
    'const w = kernel.unwrap(world);\nreturn { world: w, probe: { from: "a", to: "c" } };',
  );
  assert.is(functionBody("({ world }) => ({ world })"), "return { world };");
  assert.is(functionBody("function ({ world }) {\n  return { world };\n}"), "return { world };");
  assert.is(functionBody("not a function"), undefined);
});

test("notebook: share links round-trip any code and ignore anything malformed", () => {
  holds(
    fc.property(
      fc.string({ maxLength: 500, unit: "binary" }),
      fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      (code, id) => {
        const back = decodeShare(`#${encodeShare(id, code)}`);
        return back !== undefined && back.id === id && back.code === code;
      },
    ),
    300,
  );
  const bad = [
    "",
    "#cell=x",
    "#cell=<script>&code=YQ",
    "#cell=ok&code=***",
    "#cell=ok&code=%E0%A4%A",
    `#cell=ok&code=${"A".repeat(MAX_SHARED_CODE * 2)}`,
    "#cell=javascript:alert(1)&code=YQ",
    "#cell=ok&code=_w",
  ];
  for (const fragment of bad) assert.is(decodeShare(fragment), undefined, fragment);
  const html = "<img src=x onerror=alert(1)><script>alert(2)</script>";
  assert.equal(
    decodeShare(encodeShare("xss", html)),
    { id: "xss", code: html },
    "HTML is carried as text",
  );
});

test.run();
