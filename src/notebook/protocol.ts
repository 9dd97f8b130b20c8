/**
 * The messages between a lesson page and the sandboxed worker that runs one
 * reader's cell, and the two functions that guard them: {@linkcode writeAnswer}
 * (in the worker: plain JSON text within {@linkcode CELL_LIMITS}, or a
 * refusal that says which limit) and {@linkcode readAnswer} (in the page:
 * the text is measured, parsed and shape-checked before anything of it is
 * used — the page never trusts the sandbox).
 *
 * Everything crosses as plain data: the base world goes in as scenario JSON
 * text, the cell's world comes back as a scenario document inside the
 * answer's JSON text.
 *
 * @module
 */
import type { Probe } from "../trace/probe.js";
import type { ScenarioDoc } from "../scenario/schema.js";
import type { Result } from "../result.js";
import { boundMessage, CELL_LIMITS, dataProblem, formatSize, worldTooBig } from "./limits.js";

/** Run one cell: its code (a function body), on a base world. Sent once per worker. */
export interface RunRequest {
  readonly type: "run";
  readonly code: string;
  /** The base world as scenario JSON text. */
  readonly base: string;
}

/**
 * What the worker sends on its port: that it is ready; that it has loaded
 * the base world (the cell's time limit starts now); then its one answer.
 */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "loaded" }
  | {
    readonly type: "answer";
    /** A {@linkcode CellAnswer} as JSON text, at most `CELL_LIMITS.answerChars` long. */
    readonly text: string;
  };

/** The kinds of cell error, each with its own heading in the page. */
export const CELL_ERROR_KINDS = [
  "syntax",
  "runtime",
  "result",
  "base",
  "timeout",
  "limit",
  "sandbox",
] as const;

/** What can go wrong with a cell, and where in its code. */
export interface CellError {
  readonly kind: (typeof CELL_ERROR_KINDS)[number];
  readonly message: string;
  /** 1-based line in the cell's code. */
  readonly line?: number;
  /** 1-based column in the cell's code. */
  readonly column?: number;
}

/** A cell that ran: its world as a document, its probe, anything else it returned. */
export interface CellValue {
  readonly scenario: ScenarioDoc;
  readonly probe?: Probe;
  /** Other fields of the cell's result, as JSON. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** The worker's answer: the cell's value or its error, and how long the cell ran. */
export type CellAnswer =
  | { readonly ok: true; readonly value: CellValue; readonly ms: number }
  | { readonly ok: false; readonly error: CellError; readonly ms: number };

function refusal(problem: string, ms: number): string {
  const error: CellError = { kind: "limit", message: boundMessage(problem) };
  return JSON.stringify({ ok: false, error, ms } satisfies CellAnswer);
}

/**
 * The worker's answer as JSON text within {@linkcode CELL_LIMITS}: an error's
 * message is cut to `messageChars`; a value whose world or data is too big,
 * or whose text is longer than `answerChars`, becomes a `limit` error that
 * says so.
 *
 * @param result The cell's value or error.
 * @param ms How long the cell ran.
 * @returns JSON text of a {@linkcode CellAnswer}.
 * @example
 * ```ts
 * import { writeAnswer } from "./protocol.js";
 * writeAnswer({ ok: false, error: { kind: "runtime", message: "x".repeat(5000) } }, 1).length; // about 2050
 * ```
 */
export function writeAnswer(result: Result<CellValue, CellError>, ms: number): string {
  if (!result.ok) {
    const { kind, line, column } = result.error;
    const error: CellError = { kind, message: boundMessage(result.error.message), line, column };
    return JSON.stringify({ ok: false, error, ms } satisfies CellAnswer);
  }
  const problem = worldTooBig(result.value.scenario) ?? dataProblem(result.value, "");
  if (problem) return refusal(problem, ms);
  const text = JSON.stringify({ ok: true, value: result.value, ms } satisfies CellAnswer);
  if (text.length > CELL_LIMITS.answerChars) {
    return refusal(
      `The answer is ${formatSize(text.length)} of JSON; a cell may return at most ${
        formatSize(CELL_LIMITS.answerChars)
      }`,
      ms,
    );
  }
  return text;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

const isPosition = (x: unknown) =>
  x === undefined || (Number.isSafeInteger(x) && (x as number) >= 1);

function readError(e: unknown): CellError | undefined {
  if (!isObject(e) || typeof e.message !== "string") return undefined;
  const kind = CELL_ERROR_KINDS.find((k) => k === e.kind);
  if (kind === undefined || !isPosition(e.line) || !isPosition(e.column)) return undefined;
  const error: CellError = { kind, message: boundMessage(e.message) };
  return e.line === undefined
    ? error
    : { ...error, line: e.line as number, column: e.column as number | undefined };
}

function readProbe(p: unknown): Probe | undefined | false {
  if (p === undefined) return undefined;
  if (!isObject(p) || typeof p.from !== "string" || typeof p.to !== "string") return false;
  return p as unknown as Probe;
}

/**
 * Reads what the sandbox sent as an answer, trusting nothing: the text's
 * length is checked before it is parsed, then the shape of every field, the
 * size of every string and of the world (the scenario itself is checked by
 * the loader the page runs next).
 *
 * @param text What arrived (anything).
 * @returns The answer, or a `limit` or `sandbox` error that says what was wrong.
 * @example
 * ```ts
 * import { readAnswer } from "./protocol.js";
 * readAnswer('{"ok":false,"error":{"kind":"runtime","message":"Boom"},"ms":1}');
 * // { ok: true, value: { ok: false, error: { kind: "runtime", message: "Boom" }, ms: 1 } }
 * readAnswer("x".repeat(9 * 1024 * 1024)).ok; // false
 * ```
 */
export function readAnswer(text: unknown): Result<CellAnswer, CellError> {
  const fail = (kind: "limit" | "sandbox", message: string) => ({
    ok: false as const,
    error: { kind, message: boundMessage(message) },
  });
  if (typeof text !== "string") {
    return fail("sandbox", "The sandbox sent something other than text");
  }
  if (text.length > CELL_LIMITS.answerChars) {
    return fail(
      "limit",
      `The answer is ${formatSize(text.length)} of JSON; a cell may return at most ${
        formatSize(CELL_LIMITS.answerChars)
      }`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail("sandbox", "The sandbox's answer is not JSON");
  }
  if (!isObject(data) || typeof data.ok !== "boolean") {
    return fail("sandbox", "The sandbox's answer has no outcome");
  }
  const ms = typeof data.ms === "number" && Number.isFinite(data.ms) && data.ms >= 0 ? data.ms : 0;
  if (!data.ok) {
    const error = readError(data.error);
    return error
      ? { ok: true, value: { ok: false, error, ms } }
      : fail("sandbox", "The sandbox's answer has a malformed error");
  }
  const problem = dataProblem(data.value, "") ??
    worldTooBig((data.value as { scenario?: unknown })?.scenario);
  if (problem) return fail("limit", problem);
  const v = data.value;
  const probe = isObject(v) ? readProbe(v.probe) : false;
  if (!isObject(v) || !isObject(v.scenario) || !isObject(v.extra) || probe === false) {
    return fail("sandbox", "The sandbox's answer has a malformed value");
  }
  const scenario = v.scenario as unknown as ScenarioDoc;
  const value: CellValue = probe === undefined
    ? { scenario, extra: v.extra }
    : { scenario, probe, extra: v.extra };
  return { ok: true, value: { ok: true, value, ms } };
}
