/**
 * Addresses as values: IPv4 addresses, prefixes and MAC addresses. Each is
 * immutable and interned, so equal values are the same object.
 *
 * @module
 */
export { Addr } from "./ip.js";
export { maskOf, Prefix } from "./prefix.js";
export { Mac } from "./mac.js";
export { formatParseError, type ParseError, type ParseTarget } from "./parse-error.js";
