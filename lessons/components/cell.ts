/**
 * Experiment cells: the code a reader is meant to change. A cell is a
 * function of `{ kernel, world }` — the public kernel API and the lesson's
 * base world — that returns `{ world, probe }` (and anything else it wants
 * to show). It uses nothing from the page, so the same source can later run
 * in a Web Worker from an in-page editor. {@linkcode runCell} runs it here
 * and turns an exception or a malformed result into a message, so a broken
 * cell never takes the page down.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { Probe, World } from "../kernel/mod.js";
import { type Lang, say, UI } from "./i18n.js";

/** What a cell's function receives. */
export interface CellApi {
  /** The kernel's public API (src/mod.ts). */
  readonly kernel: typeof kernel;
  /** The lesson's base world for this cell. */
  readonly world: World;
}

/** What a cell's function returns. */
export interface CellResult {
  readonly world: World;
  readonly probe?: Probe;
  readonly [key: string]: unknown;
}

/** A cell that ran: its world and probe, or what went wrong. */
export type CellOutcome =
  | {
    readonly name: string;
    readonly ok: true;
    readonly world: World;
    readonly probe?: Probe;
    readonly value: CellResult;
  }
  | { readonly name: string; readonly ok: false; readonly error: string };

function isWorld(x: unknown): x is World {
  const w = x as World | undefined;
  return typeof w === "object" && w !== null && Array.isArray(w.namespaces) &&
    Array.isArray(w.nodes) && Array.isArray(w.pods) && Array.isArray(w.segments);
}

function problemWith(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) {
    return `It returned ${value === null ? "null" : typeof value}; return { world, probe }`;
  }
  const r = value as Partial<CellResult>;
  if (!isWorld(r.world)) {
    return "Its result has no world: return { world, probe } where world comes from the kernel";
  }
  if (r.probe !== undefined) {
    const p = r.probe as Partial<Probe>;
    if (typeof p !== "object" || typeof p.from !== "string" || typeof p.to !== "string") {
      return 'Its probe must look like { from: "a", to: "c" }';
    }
  }
  return undefined;
}

/**
 * Runs an experiment cell against a base world.
 *
 * @param name The cell's name, used in messages and test ids.
 * @param world The lesson's base world.
 * @param fn The cell: `({ kernel, world }) => ({ world, probe })`.
 * @returns The outcome; never throws.
 */
export function runCell(
  name: string,
  world: World,
  fn: (api: CellApi) => CellResult,
): CellOutcome {
  try {
    if (!isWorld(world)) return { name, ok: false, error: "The base world did not load" };
    const value = fn({ kernel, world });
    const problem = problemWith(value);
    if (problem) return { name, ok: false, error: problem };
    return { name, ok: true, world: value.world, probe: value.probe, value };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : `Threw ${String(e)}`;
    return { name, ok: false, error };
  }
}

/**
 * The message for a failed cell, naming the cell.
 *
 * @param outcome A failed outcome.
 * @param lang The page's language.
 * @returns A `<div role="alert">`.
 */
export function cellError(
  outcome: { name: string; error: string },
  lang: Lang,
  id?: string,
): HTMLElement {
  return html`<div class="pn-error" role="alert" data-testid=${id ? `${id}-error` : null}>
    <strong>${say(lang, UI.cellFailed)} (<code>${outcome.name}</code>)</strong>: ${outcome.error}
  </div>` as HTMLElement;
}

/**
 * The note beside an editable cell: how to change it and watch the page.
 *
 * @param lang The page's language.
 * @param file The Markdown file, e.g. `lessons/en/hosts.md`.
 * @returns A small aside.
 */
export function editNote(lang: Lang, file: string): HTMLElement {
  const how = say(lang, UI.cellHow).split("`deno task dev`");
  return html`
    <p
      class="pn-edit-note">✎ ${how[0]}<code>deno task dev</code>${how[1]}<code>${file}</code>${say(
        lang,
        UI.cellHowEnd,
      )}</p>
  ` as HTMLElement;
}

/** The world a cell produced, or `fallback` when it failed. */
export function worldOf(outcome: CellOutcome, fallback: World): World {
  return outcome.ok ? outcome.world : fallback;
}

/**
 * The world an exercise judges, taken from a cell: the cell's world when
 * it ran; when it failed (a syntax error, a throw, still running), the world
 * of its last good run on this page, and never the lesson's unbroken world.
 * `judged` is false only when the cell has not produced a world yet; the
 * exercise then stays open and says why.
 */
export interface HeldWorld {
  /** What the page shows and edits: the cell's world, its last good one, or `fallback`. */
  readonly world: World;
  /** Whether `world` came from the reader's cell (now or in an earlier run). */
  readonly judged: boolean;
  /** Why the latest run gave no world, when it did not. */
  readonly error?: string;
}

const lastGood = new Map<string, World>();

/**
 * Holds on to the last world a cell made, so a failing run leaves an
 * exercise as it was.
 *
 * @param outcome The cell's latest outcome.
 * @param fallback What to show (not judge) before the cell has ever run.
 * @returns The world to edit and judge, and whether it may be judged.
 */
export function heldWorld(outcome: CellOutcome, fallback: World): HeldWorld {
  const key = `${globalThis.location?.pathname ?? ""}:${outcome.name}`;
  if (outcome.ok) {
    lastGood.set(key, outcome.world);
    return { world: outcome.world, judged: true };
  }
  const held = lastGood.get(key);
  return held
    ? { world: held, judged: true, error: outcome.error }
    : { world: fallback, judged: false, error: outcome.error };
}

/**
 * Loads a scenario document (from `FileAttachment(...).json()`) into a world.
 *
 * @param doc The parsed JSON.
 * @returns The world.
 * @throws When the document is not a valid scenario, with every problem listed.
 */
export function loadWorld(doc: unknown): World {
  return kernel.unwrap(
    kernel.loadScenario(doc),
    (errors) => errors.map(kernel.formatLoadError).join("; "),
  );
}
