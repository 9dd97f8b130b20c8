/**
 * Text from strangers, made safe to show: the characters no scenario
 * string may hold (controls, bidirectional controls, line separators, lone
 * surrogates), where the first one is, and an escaped form for messages,
 * so that no error a terminal or a page prints carries an escape sequence
 * or reorders the text around it.
 *
 * @module
 */

const UNSAFE_SOURCE =
  "[\\p{Cc}\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069\\u2028\\u2029]|\\p{Cs}";
const UNSAFE = new RegExp(UNSAFE_SOURCE, "u");
const UNSAFE_ALL = new RegExp(UNSAFE_SOURCE, "gu");

const NAMES: Readonly<Record<number, string>> = {
  0x00: "NUL",
  0x07: "BEL",
  0x08: "backspace",
  0x09: "tab",
  0x0a: "line feed",
  0x0d: "carriage return",
  0x1b: "ESC",
  0x7f: "DEL",
  0x061c: "Arabic letter mark",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x202a: "left-to-right embedding",
  0x202b: "right-to-left embedding",
  0x202c: "pop directional formatting",
  0x202d: "left-to-right override",
  0x202e: "right-to-left override",
  0x2066: "left-to-right isolate",
  0x2067: "right-to-left isolate",
  0x2068: "first strong isolate",
  0x2069: "pop directional isolate",
  0x2028: "line separator",
  0x2029: "paragraph separator",
};

/** A character no scenario string may hold, and where it is. */
export interface UnsafeChar {
  /** Zero-based offset in UTF-16 code units. */
  readonly at: number;
  /** The code point (a lone surrogate's own value). */
  readonly code: number;
  /** e.g. `U+001B (ESC)`, `U+202E (right-to-left override)`. */
  readonly name: string;
}

/**
 * The first control character, bidirectional control, line separator or
 * lone surrogate in a string.
 *
 * @param text Any string.
 * @returns The character and its offset, or `undefined` when there is none.
 * @example
 * ```ts
 * import { firstUnsafe } from "./text.js";
 * firstUnsafe("eth\u001b0")?.name; // "U+001B (ESC)"
 * firstUnsafe("노드-1"); // undefined
 * ```
 */
export function firstUnsafe(text: string): UnsafeChar | undefined {
  const m = UNSAFE.exec(text);
  if (m === null) return undefined;
  const code = m[0].codePointAt(0)!;
  return { at: m.index, code, name: charName(code) };
}

/** `U+001B (ESC)`, `U+0001 (control)`, `U+202E (right-to-left override)`. */
function charName(code: number): string {
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = NAMES[code] ??
    (code >= 0xd800 && code <= 0xdfff ? "lone surrogate" : "control character");
  return `${hex} (${name})`;
}

/**
 * The string with every character {@linkcode firstUnsafe} would find
 * written as `\u{…}`, and cut to `max` code units (with `…`), so it can be
 * printed on one line of a terminal or a page as it is.
 *
 * @param text Any string.
 * @param max The longest result before escaping, in UTF-16 code units.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeText } from "./text.js";
 * escapeText("a\nb\u202Ec"); // "a\\u{a}b\\u{202e}c"
 * ```
 */
export function escapeText(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(UNSAFE_ALL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
