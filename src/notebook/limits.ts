/**
 * How much a notebook cell may hand back to the page. A cell runs in a
 * sandbox the page does not trust, so its answer is bounded before the page
 * spends time on it: the answer's JSON text, every string in it, how deeply
 * it nests, and how big the world it describes is. The sandbox checks these
 * limits before it answers (so an oversized answer is refused where it was
 * made, with a message), and the page checks them again before it loads the
 * world (so a sandbox that misbehaves cannot make it do more).
 *
 * The world limits keep the page's own load of a cell's world short: the
 * largest lesson world (100 nodes, 500 namespaces, 1,500 devices, about
 * 11,000 routes) is well inside them, and a 200-node cluster still fits.
 *
 * @module
 */
import type { ScenarioDoc } from "../scenario/schema.js";
import { LOAD_LIMITS } from "../scenario/screen.js";

/** The limits a cell's answer must keep. */
export const CELL_LIMITS = {
  /** The answer's JSON text, in UTF-16 code units (8 MiB). */
  answerChars: 8 * 1024 * 1024,
  /** Any one string in the answer: names, lines, other fields (the loader's own bound). */
  stringChars: LOAD_LIMITS.stringChars,
  /** An error message; longer ones are cut, with `…` at the end. */
  messageChars: 2_000,
  /** Arrays and objects inside one another in the fields besides the world. */
  depth: 32,
  /** Namespaces in the cell's world. */
  namespaces: 2_000,
  /** Devices in all namespaces. */
  devices: 10_000,
  /** Routes, neighbours, FDB entries and iptables lines in all namespaces. */
  lines: 60_000,
  /** Pods, and containers in all pods. */
  containers: 10_000,
} as const;

/**
 * Cuts a message to {@linkcode CELL_LIMITS}`.messageChars`, so that no text
 * from a cell reaches the page's DOM at any length.
 *
 * @param text A message.
 * @param max The longest result, in UTF-16 code units.
 * @returns The message, or its start followed by `…`.
 * @example
 * ```ts
 * import { boundMessage } from "./limits.js";
 * boundMessage("x".repeat(10), 5); // "xxxx…"
 * ```
 */
export function boundMessage(text: string, max: number = CELL_LIMITS.messageChars): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A byte count for messages: `8 MB`, `312 kB`, `120 B`. */
export function formatSize(units: number): string {
  if (units >= 1024 * 1024) {
    return `${(units / 1024 / 1024).toFixed(units >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  }
  if (units >= 1024) return `${Math.round(units / 1024)} kB`;
  return `${units} B`;
}

const count = (x: unknown): number => (Array.isArray(x) ? x.length : 0);

/**
 * Checks the size of a world, as a scenario document, against
 * {@linkcode CELL_LIMITS}. Reads only array lengths, so it is cheap even on
 * a document that is not a valid scenario (the loader checks the rest).
 * On a `World` it counts namespaces, devices, routes, neighbours and pods,
 * the fields it shares with the document (a first, cheap check before
 * the world is written out).
 *
 * @param doc A scenario document or a world (or anything claiming to be one).
 * @returns What is too big, or `undefined`.
 * @example
 * ```ts
 * import { worldTooBig } from "./limits.js";
 * worldTooBig({ namespaces: Array(3000).fill({ devices: [] }) });
 * // "The world has 3000 namespaces; a cell may return at most 2000"
 * ```
 */
export function worldTooBig(doc: unknown): string | undefined {
  const d = (typeof doc === "object" && doc !== null ? doc : {}) as Partial<
    Record<keyof ScenarioDoc, unknown>
  >;
  const namespaces = Array.isArray(d.namespaces) ? d.namespaces : [];
  let devices = 0;
  let lines = 0;
  for (const ns of namespaces) {
    if (typeof ns !== "object" || ns === null) continue;
    const n = ns as Record<string, unknown>;
    devices += count(n.devices);
    lines += count(n.routes) + count(n.removedKernelRoutes) + count(n.neighbours) +
      count(n.fdb) + count(n.iptables);
  }
  let containers = 0;
  for (const pod of Array.isArray(d.pods) ? d.pods : []) {
    containers += 1 + count((pod as Record<string, unknown> | null)?.containers);
  }
  const sizes: [string, number, number][] = [
    ["namespaces", namespaces.length, CELL_LIMITS.namespaces],
    ["devices", devices, CELL_LIMITS.devices],
    ["routes, neighbours, FDB entries and iptables lines", lines, CELL_LIMITS.lines],
    ["pods and containers", containers, CELL_LIMITS.containers],
  ];
  for (const [what, n, max] of sizes) {
    if (n > max) return `The world has ${n} ${what}; a cell may return at most ${max}`;
  }
  return undefined;
}

/**
 * Checks that a value is plain JSON data within {@linkcode CELL_LIMITS}:
 * strings no longer than `stringChars`, nesting no deeper than `depth`.
 * Iterative, so a deeply nested value cannot overflow the stack.
 *
 * @param value Parsed JSON.
 * @param where Where the value sits in the answer, for the message (`/extra`).
 * @returns What is wrong, naming the place, or `undefined`.
 * @example
 * ```ts
 * import { dataProblem } from "./limits.js";
 * dataProblem({ note: "x".repeat(20_000) }, "/extra");
 * // "/extra/note is a string of 20000 characters; at most 10000"
 * ```
 */
export function dataProblem(value: unknown, where: string): string | undefined {
  // Each entry: the value, its depth, and how to name it (its parent entry
  // and key), so that no path is built unless there is something to report.
  type Entry = [value: unknown, depth: number, parent: Entry | undefined, key: string];
  const pathOf = (e: Entry | undefined): string =>
    e === undefined || e[2] === undefined && e[3] === "" ? where : `${pathOf(e[2])}/${e[3]}`;
  const stack: Entry[] = [[value, 0, undefined, ""]];
  const visit = (child: unknown, parent: Entry, key: string): string | undefined => {
    if (typeof child === "string") {
      if (child.length <= CELL_LIMITS.stringChars) return undefined;
      return `${
        pathOf(parent)
      }/${key} is a string of ${child.length} characters; at most ${CELL_LIMITS.stringChars}`;
    }
    if (typeof child === "object" && child !== null) {
      stack.push([child, parent[1] + 1, parent, key]);
    }
    return undefined;
  };
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const v = entry[0];
    if (typeof v === "string" && v.length > CELL_LIMITS.stringChars) {
      // only the value itself: strings inside it are checked by visit
      return `${where} is a string of ${v.length} characters; at most ${CELL_LIMITS.stringChars}`;
    }
    if (typeof v !== "object" || v === null) continue;
    if (entry[1] >= CELL_LIMITS.depth) {
      return `${pathOf(entry)} nests deeper than ${CELL_LIMITS.depth} levels`;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const problem = visit(v[i], entry, String(i));
        if (problem) return problem;
      }
      continue;
    }
    for (const k of Object.keys(v)) {
      if (k.length > CELL_LIMITS.stringChars) {
        return `${
          pathOf(entry)
        } has a key of ${k.length} characters; at most ${CELL_LIMITS.stringChars}`;
      }
      const problem = visit((v as Record<string, unknown>)[k], entry, boundMessage(k, 60));
      if (problem) return problem;
    }
  }
  return undefined;
}
