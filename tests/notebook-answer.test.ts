/**
 * What a cell may hand back to the page: the worker writes its answer as
 * JSON text within the limits (or a refusal that names the limit), and the
 * page reads any text at all without throwing, refusing what is too long,
 * malformed, too deep or too big before it uses any of it. Also: a kernel
 * error a cell unwraps reads as its message, never `[object Object]`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { runCellCode } from "../src/notebook/compile.js";
import { CELL_LIMITS, dataProblem, worldTooBig } from "../src/notebook/limits.js";
import { CELL_ERROR_KINDS, readAnswer, writeAnswer } from "../src/notebook/protocol.js";
import type { ScenarioDoc } from "../src/scenario/schema.js";
import { describeError, err, unwrap } from "../src/result.js";
import { buildScenario } from "../src/scenario/build.js";
import { holds } from "./support/property.ts";

const base = JSON.parse(
  Deno.readTextFileSync(new URL("../lessons/scenarios/host-gw.json", import.meta.url)),
) as ScenarioDoc;

test("answer: what a cell returns crosses to the page unchanged when it is within the limits", async () => {
  const cells = [
    'return { world, probe: { from: "a", to: "c" }, note: "ok", rows: [{ n: 1 }] };',
    'return { world: kernel.unwrap(kernel.setIpForward(world, "node-1", false)) };',
    "const x = ; return { world };",
    "throw new TypeError('nope');",
    "return 42;",
  ];
  for (const code of cells) {
    const result = await runCellCode(code, base);
    const text = writeAnswer(result, 3.5);
    const back = readAnswer(text);
    assert.ok(back.ok, code);
    if (!back.ok) continue;
    assert.is(back.value.ok, result.ok, code);
    assert.equal(
      back.value.ok ? back.value.value : back.value.error,
      JSON.parse(JSON.stringify(result.ok ? result.value : result.error)),
      code,
    );
    assert.is(back.value.ms, 3.5);
  }
});

test("answer: the page reads any text without throwing, and every message it shows is bounded", () => {
  const json = fc.jsonValue({ maxDepth: 6 });
  const shaped = fc.record({
    ok: fc.oneof(fc.boolean(), json),
    ms: fc.oneof(fc.double(), json),
    error: fc.oneof(
      fc.record({
        kind: fc.oneof(fc.constantFrom(...CELL_ERROR_KINDS), fc.string()),
        message: fc.oneof(fc.string({ maxLength: 5000 }), json),
        line: fc.oneof(fc.integer({ min: -3, max: 50 }), json),
        column: fc.oneof(fc.integer({ min: -3, max: 50 }), json),
      }, { requiredKeys: [] }),
      json,
    ),
    value: fc.oneof(
      fc.record({
        scenario: fc.oneof(fc.constant(base), json),
        probe: fc.oneof(fc.record({ from: fc.string(), to: fc.string() }), json),
        extra: json,
      }, { requiredKeys: [] }),
      json,
    ),
  }, { requiredKeys: [] });
  holds(
    fc.property(fc.oneof(shaped.map((x) => JSON.stringify(x)), fc.string(), json), (input) => {
      const r = readAnswer(input);
      if (!r.ok) {
        return ["sandbox", "limit"].includes(r.error.kind) &&
          r.error.message.length <= CELL_LIMITS.messageChars;
      }
      const a = r.value;
      if (typeof a.ms !== "number" || !Number.isFinite(a.ms)) return false;
      if (!a.ok) {
        return CELL_ERROR_KINDS.includes(a.error.kind) &&
          a.error.message.length <= CELL_LIMITS.messageChars &&
          (a.error.line === undefined || a.error.line >= 1);
      }
      return typeof a.value.scenario === "object" && typeof a.value.extra === "object" &&
        (a.value.probe === undefined || typeof a.value.probe.from === "string");
    }),
    500,
  );
});

test("answer: too long, too deep, a long string, or too big a world is refused with the limit it broke", () => {
  const long = readAnswer("x".repeat(CELL_LIMITS.answerChars + 1));
  assert.ok(!long.ok && long.error.kind === "limit");
  if (!long.ok) assert.match(long.error.message, /9 MB|8\.\d MB/);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  const value = (extra: unknown, scenario: unknown = base) =>
    JSON.stringify({ ok: true, value: { scenario, extra }, ms: 1 });
  const cases: [string, RegExp][] = [
    [value({ d: deep }), /nests deeper than 32/],
    [value({ s: "y".repeat(CELL_LIMITS.stringChars + 1) }), /\/extra\/s is a string of 10001/],
    [
      value({}, { ...base, namespaces: Array(CELL_LIMITS.namespaces + 1).fill({}) }),
      /2001 namespaces/,
    ],
  ];
  for (const [text, message] of cases) {
    const r = readAnswer(text);
    assert.ok(!r.ok && r.error.kind === "limit", text.slice(0, 80));
    if (!r.ok) assert.match(r.error.message, message);
  }
  const nested = Array.from({ length: 100_000 }, () => "[").join("");
  const r = readAnswer(nested);
  assert.ok(!r.ok && r.error.kind === "sandbox", "a deep, broken JSON text is not a crash");
});

test("answer: the worker refuses a huge answer where it is made, in a short message", async () => {
  const cases: [string, RegExp][] = [
    ['return { world, big: "x".repeat(20 * 1024 * 1024) };', /\/big is a string of 20971520/],
    [
      'return { world, many: Array.from({ length: 40000 }, (_, i) => "y".repeat(256) + i) };',
      /(answer is|other fields are) \d+ MB of JSON; a cell may return at most 8\.0 MB/,
    ],
    ['throw new Error("z".repeat(500_000));', /^Error: z+…$/],
    ['throw new Error("z".repeat(5_000_000));', /^Error: \(a message of 5000000 characters\)$/],
    ["return { world, f: () => 1, d: new Date(0) };", /^$/],
  ];
  for (const [code, message] of cases) {
    const text = writeAnswer(await runCellCode(code, base), 1);
    assert.ok(text.length < 100_000 || message.source === "^$", `${code}: ${text.length}`);
    const back = readAnswer(text);
    assert.ok(back.ok, code);
    if (!back.ok) continue;
    if (message.source === "^$") {
      assert.ok(back.value.ok, "functions are dropped and dates become text, as JSON does");
      continue;
    }
    assert.ok(!back.value.ok, code);
    if (!back.value.ok) {
      assert.match(back.value.error.message, message);
      assert.ok(back.value.error.message.length <= CELL_LIMITS.messageChars);
    }
  }
});

test("answer: a world larger than a cell may return is refused by its counts, whatever its shape", () => {
  const big = buildScenario({ mode: "host-gw", nodes: 100, pods: 4 });
  assert.ok(big.ok);
  if (!big.ok) return;
  assert.is(worldTooBig(big.value), undefined, "the scale lesson's world fits");
  holds(
    fc.property(
      fc.nat({ max: 3 * CELL_LIMITS.namespaces }),
      fc.nat({ max: 40 }),
      fc.nat({ max: 40 }),
      (namespaces, devices, routes) => {
        const ns = { devices: Array(devices).fill({}), routes: Array(routes).fill("x") };
        const doc = { namespaces: Array(namespaces).fill(ns), pods: "not a list" };
        const problem = worldTooBig(doc);
        const over = namespaces > CELL_LIMITS.namespaces ||
          namespaces * devices > CELL_LIMITS.devices ||
          namespaces * routes > CELL_LIMITS.lines;
        return over === (problem !== undefined);
      },
    ),
    300,
  );
  assert.is(worldTooBig(null), undefined, "not a document: the loader says what is wrong");
  assert.is(dataProblem({ a: [1, "b", { c: null }] }, ""), undefined);
});

test("unwrap: a kernel error thrown from a cell reads as its message, never [object Object]", async () => {
  const errors: unknown[] = [
    { subject: "gateway", message: "No such process" },
    { field: "from", value: "z", message: 'No pod called "z"' },
    [{ path: "/nodes/0", value: 1, message: "Expected an object" }, { path: "", message: "Bad" }],
    { kind: "line", syntax: "ip route", line: "x", token: "x", at: 0, message: "Unknown" },
    "plain words",
  ];
  for (const e of errors) {
    let thrown: Error | undefined;
    try {
      unwrap(err(e));
    } catch (x) {
      thrown = x as Error;
    }
    assert.ok(thrown && !thrown.message.includes("[object Object]"), describeError(e));
    assert.is(thrown?.cause, e);
  }
  holds(
    fc.property(fc.jsonValue(), fc.string({ minLength: 1 }), (extra, message) => {
      const text = describeError({ extra, message });
      return text === message && !describeError(extra).includes("[object Object]");
    }),
    300,
  );
  const r = await runCellCode(
    'return { world: kernel.unwrap(kernel.deleteRoute(world, "node-1", "10.9.9.0/24")) };',
    base,
  );
  assert.ok(!r.ok && r.error.kind === "runtime");
  if (!r.ok) assert.match(r.error.message, /^Error: node-1: .*route/i);
});

test.run();
