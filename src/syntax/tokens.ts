import type { ParseError } from "../addr/mod.js";

/** A word of a command line and where it starts. */
export interface Token {
  readonly text: string;
  /** Zero-based character offset in the line. */
  readonly at: number;
}

/**
 * A line of `ip route`, `ip neigh`, `bridge fdb` or `iptables` syntax that
 * could not be read: the line, the token at fault and why.
 */
export interface LineError {
  readonly kind: "line";
  /** Which syntax was being read, e.g. `ip route`. */
  readonly syntax: string;
  readonly line: string;
  /** The offending token (empty when the line ended too early). */
  readonly token: string;
  /** Zero-based character offset of the token. */
  readonly at: number;
  readonly message: string;
}

/**
 * Splits a line into whitespace-separated words; double quotes group words.
 *
 * @param line The command line.
 * @returns The tokens with their offsets, or an error for an open quote.
 * @example
 * ```ts
 * import { tokenize } from "./tokens.js";
 * tokenize("-m comment --comment \"flannel masq\"");
 * ```
 */
export function tokenize(line: string): Token[] | { unclosedQuoteAt: number } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i])) {
      i++;
      continue;
    }
    const at = i;
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return { unclosedQuoteAt: i };
      tokens.push({ text: line.slice(i + 1, end), at });
      i = end + 1;
      continue;
    }
    while (i < line.length && !/\s/.test(line[i])) i++;
    tokens.push({ text: line.slice(at, i), at });
  }
  return tokens;
}

/**
 * A cursor over the tokens of one line that builds {@linkcode LineError}s.
 * Parsers read with {@linkcode Cursor.next} and fail with
 * {@linkcode Cursor.fail}.
 */
export class Cursor {
  readonly syntax: string;
  readonly line: string;
  readonly tokens: readonly Token[];
  #index = 0;

  constructor(syntax: string, line: string, tokens: readonly Token[]) {
    this.syntax = syntax;
    this.line = line;
    this.tokens = tokens;
  }

  /** True when every token has been read. */
  get done(): boolean {
    return this.#index >= this.tokens.length;
  }

  /** The next token without consuming it. */
  peek(): Token | undefined {
    return this.tokens[this.#index];
  }

  /** Consumes and returns the next token. */
  next(): Token | undefined {
    return this.tokens[this.#index++];
  }

  /** The token read last. */
  get previous(): Token | undefined {
    return this.tokens[this.#index - 1];
  }

  /**
   * An error at `token`, or at the end of the line when `token` is missing.
   */
  fail(token: Token | undefined, message: string): LineError {
    return {
      kind: "line",
      syntax: this.syntax,
      line: this.line,
      token: token?.text ?? "",
      at: token?.at ?? this.line.length,
      message,
    };
  }

  /** An error about a value token, folding in a parser's message. */
  failValue(token: Token, error: ParseError): LineError {
    return this.fail(token, `${error.message} in ${error.target} ${JSON.stringify(token.text)}`);
  }
}

/**
 * Tokenizes a line into a {@linkcode Cursor}, or fails on an open quote or an
 * empty line.
 */
export function cursorFor(syntax: string, line: string): Cursor | LineError {
  const tokens = tokenize(line);
  const cursor = new Cursor(syntax, line, Array.isArray(tokens) ? tokens : []);
  if (!Array.isArray(tokens)) {
    return cursor.fail({ text: '"', at: tokens.unclosedQuoteAt }, "Quote is not closed");
  }
  if (tokens.length === 0) return cursor.fail(undefined, "Line is empty");
  return cursor;
}

/**
 * Renders a line error on one line, pointing at the token.
 *
 * @param error The error.
 * @returns e.g. `ip route: "10.244.2.0/24 vai 1.2.3.4": unknown keyword "vai" at column 15`.
 */
export function formatLineError(error: LineError): string {
  const where = error.token === ""
    ? "at the end of the line"
    : `at ${JSON.stringify(error.token)} (column ${error.at + 1})`;
  return `${error.syntax}: ${error.message} ${where} in ${JSON.stringify(error.line)}`;
}

/** Tells a {@linkcode LineError} from a {@linkcode Cursor}. */
export function isLineError(x: Cursor | LineError): x is LineError {
  return !(x instanceof Cursor);
}

/**
 * Whether a string is an interface name podnet accepts: 1-15 letters,
 * digits, `_`, `.` or `-` (ASCII, so 1-15 bytes, as Linux allows), not
 * starting with `-` (an option to every command) or `.` (so never `.` or
 * `..`).
 *
 * @param name The name.
 * @returns Whether it is valid.
 * @example
 * ```ts
 * import { isInterfaceName } from "./tokens.js";
 * isInterfaceName("veth1a2b3c4d"); // true
 * isInterfaceName("a||id>x;#"); // false
 * ```
 */
export function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(name);
}
