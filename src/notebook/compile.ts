/**
 * Compiling and running a reader's cell: a JavaScript function body with
 * `kernel` (the public kernel API) and `world` (the lesson's base world) in
 * scope, returning `{ world, probe }`. Syntax errors are found with acorn,
 * which knows their line and column; runtime errors are placed from the
 * stack. This module runs inside the notebook worker, never in the page.
 *
 * @module
 */
import { parse, parseExpressionAt } from "acorn";
import * as kernel from "../mod.js";
import { loadScenario } from "../scenario/load.js";
import { formatLoadError } from "../scenario/reader.js";
import { toScenario } from "../scenario/save.js";
import type { ScenarioDoc } from "../scenario/schema.js";
import type { Probe } from "../trace/probe.js";
import { err, ok, type Result } from "../result.js";
import type { World } from "../model/world.js";
import type { CellError, CellValue } from "./protocol.js";
import { CELL_LIMITS, dataProblem, formatSize, worldTooBig } from "./limits.js";

/** The name cells' code is compiled under, so stacks point into it. */
export const CELL_SOURCE = "podnet-cell.js";

/** Messages longer than this are described by their length, not shown. */
const UNREAD_MESSAGE = 1_000_000;

/** Lines the function constructor puts before the body (`async function anonymous(kernel,world\n) {\n`). */
const HEADER_LINES = 2;

type CellFunction = (kernel: unknown, world: World) => Promise<unknown>;

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  ...args: string[]
) => CellFunction;

/**
 * Finds a syntax error in a cell's code, with its position.
 *
 * @param code A function body (`return` and `await` are allowed at top level).
 * @returns The error, or `undefined` when the code parses.
 * @example
 * ```ts
 * import { syntaxError } from "./compile.js";
 * syntaxError("const x = ;"); // { kind: "syntax", message: "Unexpected token", line: 1, column: 11 }
 * ```
 */
export function syntaxError(code: string): CellError | undefined {
  try {
    parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      locations: true,
    });
    return undefined;
  } catch (e) {
    const loc = (e as { loc?: { line: number; column: number } }).loc;
    const message = String((e as Error).message).replace(/ \(\d+:\d+\)$/, "");
    return { kind: "syntax", message, line: loc?.line, column: loc ? loc.column + 1 : undefined };
  }
}

/**
 * The body of a cell written as a function `({ kernel, world }) => { ... }`,
 * as the code a reader edits: a block body loses its braces and indentation;
 * an expression body becomes `return <expression>;`.
 *
 * @param source The function's source text (`fn.toString()`).
 * @returns The body, or `undefined` when the source is not a function.
 * @example
 * ```ts
 * import { functionBody } from "./compile.js";
 * functionBody("({ kernel, world }) => ({ world })"); // "return { world };"
 * ```
 */
export function functionBody(source: string): string | undefined {
  let node: { type: string; body?: { type: string; start: number; end: number } };
  try {
    node = parseExpressionAt(`(${source})`, 0, { ecmaVersion: "latest" }) as unknown as typeof node;
  } catch {
    return undefined;
  }
  while (node.type === "ParenthesizedExpression") {
    node = (node as unknown as { expression: typeof node }).expression;
  }
  if (
    (node.type !== "ArrowFunctionExpression" && node.type !== "FunctionExpression") || !node.body
  ) return undefined;
  const text = `(${source})`.slice(node.body.start, node.body.end);
  if (node.body.type !== "BlockStatement") return `return ${text};`;
  return dedent(text.slice(1, -1));
}

function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, "").replace(/\s+$/, "").split("\n");
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length),
  );
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join("\n");
}

/**
 * Compiles a cell's code into an async function of `(kernel, world)`.
 *
 * @param code The function body.
 * @returns The function, or the syntax error with its position.
 */
export function compileCell(code: string): Result<CellFunction, CellError> {
  const problem = syntaxError(code);
  if (problem) return err(problem);
  try {
    return ok(new AsyncFunction("kernel", "world", `${code}\n//# sourceURL=${CELL_SOURCE}`));
  } catch (e) {
    return err({ kind: "syntax", message: String((e as Error).message) });
  }
}

/** A V8 call site, as `Error.prepareStackTrace` receives it. */
interface CallSite {
  getScriptNameOrSourceURL?(): string | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

/**
 * The stack as call sites, where the engine offers them (V8) and the stack
 * has not been written out yet. Reading them does not format the error's
 * message, which for a cell's 64 MB message takes seconds.
 */
function callSites(error: object): { file: string; line: number; column: number }[] | undefined {
  const E = Error as unknown as { prepareStackTrace?: unknown };
  const previous = E.prepareStackTrace;
  try {
    E.prepareStackTrace = (_: unknown, sites: CallSite[]) =>
      sites.map((s) => ({
        file: String(s.getScriptNameOrSourceURL?.() ?? ""),
        line: s.getLineNumber() ?? 0,
        column: s.getColumnNumber() ?? 0,
      }));
    const stack = (error as { stack?: unknown }).stack;
    return Array.isArray(stack) ? stack : undefined;
  } finally {
    E.prepareStackTrace = previous;
  }
}

/**
 * Where in the cell's code a runtime error was thrown, from its stack
 * (V8 and Deno name the cell's frames after {@linkcode CELL_SOURCE}).
 *
 * @param error What the cell threw.
 * @returns The 1-based line and column, if the stack says.
 */
export function errorLocation(error: unknown): { line: number; column: number } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  let found: { line: number; column: number } | undefined;
  try {
    const sites = callSites(error);
    if (sites) found = sites.find((s) => s.file === CELL_SOURCE);
    else {
      // Already written out: the frames are at the end, after the message.
      const stack = String((error as Error).stack ?? "").slice(-16_384);
      const m = new RegExp(`${CELL_SOURCE.replace(".", "\\.")}(?:, <anonymous>)?:(\\d+):(\\d+)`)
        .exec(stack);
      if (m) found = { line: Number(m[1]), column: Number(m[2]) };
    }
  } catch {
    return undefined;
  }
  if (found === undefined) return undefined;
  const line = found.line - HEADER_LINES;
  return line >= 1 ? { line, column: found.column } : undefined;
}

/**
 * What a cell threw, on one line: `TypeError: …` for an error, its message
 * for an error whose message is an error value of the kernel's, the value
 * as JSON otherwise. Never throws, whatever the cell threw (a getter that
 * throws, a revoked proxy).
 */
function describeThrown(e: unknown): string {
  // A message too long to show is not read at all: reading a 64 MB string
  // a cell built piece by piece copies all of it.
  const shown = (text: string) =>
    text.length > UNREAD_MESSAGE ? `(a message of ${text.length} characters)` : text;
  try {
    if (e instanceof Error) return `${shown(String(e.name))}: ${shown(String(e.message))}`;
    return `Uncaught ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    try {
      return `Uncaught ${String(e)}`;
    } catch {
      return "Uncaught value that cannot be shown";
    }
  }
}

function isWorld(x: unknown): x is World {
  const w = x as World | undefined;
  return typeof w === "object" && w !== null && Array.isArray(w.namespaces) &&
    Array.isArray(w.nodes) &&
    Array.isArray(w.pods) && Array.isArray(w.segments);
}

function checkProbe(p: unknown): Probe | CellError | undefined {
  if (p === undefined) return undefined;
  const probe = p as Partial<Probe>;
  if (
    typeof probe !== "object" || probe === null || typeof probe.from !== "string" ||
    typeof probe.to !== "string"
  ) {
    return { kind: "result", message: 'The probe must look like { from: "a", to: "c" }' };
  }
  return JSON.parse(JSON.stringify(probe)) as Probe;
}

/**
 * Turns what a cell returned into plain data that can leave the worker.
 *
 * @param value The cell's return value.
 * @returns The world as a scenario document, the probe, the other fields as JSON; or what is wrong.
 */
export function cellValue(value: unknown): Result<CellValue, CellError> {
  if (typeof value !== "object" || value === null) {
    return err({
      kind: "result",
      message: `The cell returned ${
        value === null ? "null" : typeof value
      }; return { world, probe }`,
    });
  }
  const { world, probe, ...rest } = value as Record<string, unknown>;
  if (!isWorld(world)) {
    return err({
      kind: "result",
      message: "The result has no world: return { world, probe } with a world from the kernel",
    });
  }
  const p = checkProbe(probe);
  if (p && "kind" in p) return err(p);
  // Checked before anything is copied: a 256 MB string is refused, not cloned.
  const tooMuch = dataProblem(rest, "");
  if (tooMuch) return err({ kind: "limit", message: `The result's field ${tooMuch}` });
  let extra: Record<string, unknown>;
  try {
    const text = JSON.stringify(rest) ?? "{}";
    if (text.length > CELL_LIMITS.answerChars) {
      return err({
        kind: "limit",
        message: `The result's other fields are ${
          formatSize(text.length)
        } of JSON; a cell may return at most ${formatSize(CELL_LIMITS.answerChars)}`,
      });
    }
    extra = JSON.parse(text);
  } catch (e) {
    return err({
      kind: "result",
      message: `Other fields of the result must be plain data: ${describeThrown(e)}`,
    });
  }
  // A first count on the world itself, so that writing out a huge world
  // does not eat the cell's time; the document is counted exactly below.
  const huge = worldTooBig(world);
  if (huge) return err({ kind: "limit", message: huge });
  let scenario: ScenarioDoc;
  try {
    scenario = toScenario(world);
  } catch (e) {
    return err({
      kind: "result",
      message: `The world cannot be written out: ${describeThrown(e)}`,
    });
  }
  const tooBig = worldTooBig(scenario);
  if (tooBig) return err({ kind: "limit", message: tooBig });
  // Loaded here, in the worker, so that a world the page cannot load is
  // refused with the loader's message before it ever reaches the page.
  const loaded = loadScenario(scenario);
  if (!loaded.ok) {
    const first = loaded.error.slice(0, 5).map(formatLoadError).join("; ");
    const more = loaded.error.length > 5 ? ` (and ${loaded.error.length - 5} more)` : "";
    return err({ kind: "result", message: `The world does not load: ${first}${more}` });
  }
  return ok({ scenario, probe: p, extra });
}

/**
 * Runs a cell on a base world: load the world, compile, call, and turn the
 * result into plain data. Never throws; an endless loop is the caller's to
 * stop (the page terminates the worker).
 *
 * @param code The function body.
 * @param base The lesson's base world as a scenario document.
 * @param options `loaded` is called once the base world is loaded, just
 *   before the cell's code is compiled: what follows is the cell's time.
 * @returns The cell's value or what went wrong, with a position when known.
 * @example
 * ```ts
 * import { runCellCode } from "./compile.js";
 * declare const base: import("../scenario/schema.js").ScenarioDoc;
 * await runCellCode('return { world, probe: { from: "a", to: "c" } };', base);
 * ```
 */
export async function runCellCode(
  code: string,
  base: ScenarioDoc,
  options: { loaded?: () => void } = {},
): Promise<Result<CellValue, CellError>> {
  const world = loadScenario(base);
  if (!world.ok) return err({ kind: "base", message: world.error.map(formatLoadError).join("; ") });
  options.loaded?.();
  const fn = compileCell(code);
  if (!fn.ok) return fn;
  let value: unknown;
  try {
    value = await fn.value(kernel, world.value);
  } catch (e) {
    return err({ kind: "runtime", message: describeThrown(e), ...errorLocation(e) });
  }
  try {
    return cellValue(value);
  } catch (e) {
    // a result whose getters or proxy traps throw
    return err({ kind: "result", message: `Reading the result failed: ${describeThrown(e)}` });
  }
}
