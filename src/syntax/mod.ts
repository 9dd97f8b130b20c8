/**
 * The command syntaxes a learner reads and writes: `ip route`, `ip neigh`,
 * `bridge fdb` and iptables arguments. Each parser reads one line and returns
 * a value or a {@linkcode LineError} naming the token at fault; each
 * formatter prints what the Linux tool would print.
 *
 * @module
 */
export { formatRoute, parseRoute, type RouteSpec } from "./iproute.js";
export { formatNeighbour, parseNeighbour } from "./ipneigh.js";
export { type FdbSpec, formatFdb, parseFdb } from "./bridgefdb.js";
export { formatRule, type IptablesLine, parseIptables, type PolicySpec } from "./iptables.js";
export { formatLineError, isInterfaceName, type LineError } from "./tokens.js";
