/** What a parser was reading when it failed. */
export type ParseTarget =
  | "IPv4 address"
  | "IPv4 prefix"
  | "MAC address";

/**
 * A parse failure: the input, the offset where reading failed and why.
 * Formatted with {@linkcode formatParseError}.
 */
export interface ParseError {
  readonly kind: "parse";
  readonly target: ParseTarget;
  readonly input: string;
  /** Zero-based character offset of the first bad character. */
  readonly at: number;
  readonly message: string;
}

/** Builds a {@linkcode ParseError}. */
export function parseError(
  target: ParseTarget,
  input: string,
  at: number,
  message: string,
): ParseError {
  return { kind: "parse", target, input, at, message };
}

/**
 * Renders a parse error as one line.
 *
 * @param error The error to render.
 * @returns For example `Invalid IPv4 address "1..2.3" at offset 2: empty field`.
 * @example
 * ```ts
 * import { Addr, formatParseError } from "./mod.js";
 * const r = Addr.parse("1..2.3");
 * if (!r.ok) console.log(formatParseError(r.error));
 * ```
 */
export function formatParseError(error: ParseError): string {
  return `Invalid ${error.target} ${
    JSON.stringify(error.input)
  } at offset ${error.at}: ${error.message}`;
}
