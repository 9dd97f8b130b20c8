/**
 * Share links: a cell's code in the URL fragment, `#cell=<id>&code=<base64url>`.
 * The fragment never reaches a server; opening a link shows the code in the
 * cell's editor and runs it only in the notebook worker.
 *
 * @module
 */

/** Longest code a link may carry, in characters. */
export const MAX_SHARED_CODE = 20_000;

const ID = /^[a-z0-9][a-z0-9-]{0,59}$/;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The fragment that shares a cell's code.
 *
 * @param id The cell's id (lower-case letters, digits, `-`).
 * @param code The code.
 * @returns `cell=<id>&code=<base64url>` (without `#`).
 * @example
 * ```ts
 * import { decodeShare, encodeShare } from "./share.js";
 * decodeShare(encodeShare("break-route", "return { world };")); // { id: "break-route", code: "return { world };" }
 * ```
 */
export function encodeShare(id: string, code: string): string {
  if (!ID.test(id)) throw new RangeError(`Not a cell id: ${id}`);
  return `cell=${id}&code=${toBase64Url(code)}`;
}

/**
 * Reads a share fragment. Anything malformed — a bad id, bad base64, bad
 * UTF-8, code that is too long — is ignored.
 *
 * @param fragment `location.hash`, with or without `#`.
 * @returns The cell id and code, or `undefined`.
 */
export function decodeShare(fragment: string): { id: string; code: string } | undefined {
  const params = new URLSearchParams(fragment.replace(/^#/, ""));
  const id = params.get("cell");
  const encoded = params.get("code");
  if (id === null || encoded === null || !ID.test(id)) return undefined;
  const code = fromBase64Url(encoded);
  if (code === undefined || code.length > MAX_SHARED_CODE) return undefined;
  return { id, code };
}
