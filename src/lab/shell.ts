/**
 * Shell commands built from argv arrays, written with one quoting
 * function. A command is made with the {@linkcode sh} tag: the template's
 * own text is podnet's (program names, keywords, options) and is split
 * into bare words; every interpolated value — a name, an address, a
 * number, a route's words — becomes one argv word written by
 * {@linkcode quote}, always single-quoted. So no byte of a scenario's text
 * can reach the script outside a single-quoted word, and the argv a shell
 * runs is exactly {@linkcode argvOf} the command.
 *
 * Pure: no Deno APIs.
 *
 * @module
 */

/** One word of a command: podnet's own keyword, or a value (always quoted). */
export interface Word {
  readonly text: string;
  readonly value: boolean;
}

/**
 * A command: its words, and what the script does after it. `ignore`: its
 * failure and output do not matter (`2>/dev/null || true`); `kill-pids`:
 * the process ids it prints are killed (`| xargs -r kill -9`).
 */
export interface Command {
  readonly kind: "command";
  readonly words: readonly Word[];
  readonly then?: "ignore" | "kill-pids";
}

/** A comment line: podnet's own text only, never a scenario's. */
export interface Comment {
  readonly kind: "comment";
  readonly text: string;
}

/** A line of a script. */
export type ScriptLine = Command | Comment;

type Value = string | number | readonly (string | number)[];

/**
 * Builds a command: the template's text gives bare keywords, each
 * interpolated value one quoted word (an array, one word per element).
 *
 * @example
 * ```ts
 * import { argvOf, render, sh } from "./shell.js";
 * const c = sh`ip -n ${"lab-a"} link set ${"eth0"} up`;
 * argvOf(c); // ["ip", "-n", "lab-a", "link", "set", "eth0", "up"]
 * render(c); // "ip -n 'lab-a' link set 'eth0' up"
 * ```
 */
export function sh(strings: TemplateStringsArray, ...values: Value[]): Command {
  const words: Word[] = [];
  strings.forEach((part, i) => {
    for (const w of part.split(/\s+/)) {
      if (w === "") continue;
      if (!/^[A-Za-z0-9_.,:/=+@%-]+$/.test(w)) throw new Error(`Not a plain keyword: ${w}`);
      words.push({ text: w, value: false });
    }
    if (i < values.length) {
      const v = values[i];
      for (const x of Array.isArray(v) ? v : [v]) words.push({ text: String(x), value: true });
    }
  });
  return { kind: "command", words };
}

/**
 * Words of podnet's own (constants in its code, never a scenario's text),
 * written bare.
 *
 * @param texts Keywords; each must be a plain word.
 * @returns A command of just those words.
 */
export function keywords(texts: readonly string[]): Command {
  const strings = Object.assign([texts.join(" ")], { raw: [texts.join(" ")] });
  return sh(strings);
}

/** Commands joined into one, word after word. */
export function concat(...parts: readonly Command[]): Command {
  return { kind: "command", words: parts.flatMap((p) => p.words) };
}

/** The same command, its failure ignored. */
export function ignoringFailure(c: Command): Command {
  return { ...c, then: "ignore" };
}

/** The same command, the process ids it prints killed. */
export function killingPids(c: Command): Command {
  return { ...c, then: "kill-pids" };
}

/** A comment line. */
export function comment(text: string): Comment {
  return { kind: "comment", text };
}

/**
 * THE quoting function: a word in single quotes, each `'` in it written
 * as `'\''`. Inside single quotes the shell gives no character a meaning,
 * so the word reaches the program exactly as it is.
 *
 * @param word Any text.
 * @returns The quoted word.
 * @example
 * ```ts
 * import { quote } from "./shell.js";
 * quote("a'b$(id)"); // "'a'\\''b$(id)'"
 * ```
 */
export function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The argv a shell runs for a command. */
export function argvOf(c: Command): string[] {
  return c.words.map((w) => w.text);
}

/**
 * A script line as text: keywords bare, values quoted.
 *
 * @param line A command or comment.
 * @returns One line of shell.
 */
export function render(line: ScriptLine): string {
  if (line.kind === "comment") return `# ${line.text}`.replaceAll("\n", " ");
  const text = line.words.map((w) => (w.value ? quote(w.text) : w.text)).join(" ");
  if (line.then === "ignore") return `${text} 2>/dev/null || true`;
  if (line.then === "kill-pids") {
    return `${text} 2>/dev/null | xargs -r kill -9 2>/dev/null || true`;
  }
  return text;
}
