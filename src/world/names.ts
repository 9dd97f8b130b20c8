/**
 * Naming rules shared by the loader, the builders and the lab: the
 * grammars every name in a scenario must follow, the closed set of `mode`
 * labels, deterministic MACs and host-side veth names.
 *
 * The grammars are strict on purpose: a name reaches `ip`, `bridge` and
 * `iptables` command lines, file names under `/run/netns`, terminals and
 * web pages, so it holds only letters, digits, `_`, `.` and `-`, and never
 * starts with `-` (which a command would read as an option) or `.`.
 * docs/scenario-schema.md lists them.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";
import { isInterfaceName } from "../syntax/tokens.js";

/** The networking modes the builders know. */
export const MODES = [
  "single-host",
  "same-range",
  "gateway",
  "host-gw",
  "vxlan",
  "nat",
  "calico-bgp",
  "calico-ipip",
  "calico-vxlan",
  "calico-vxlan-cross-subnet",
] as const;

/** A networking mode. */
export type Mode = (typeof MODES)[number];

/**
 * Every `mode` a scenario may have: a builder's mode, `imported` (from a
 * real cluster, `deno task import`) or `custom` (a world built by hand).
 */
export const MODE_LABELS: readonly string[] = [...MODES, "imported", "custom"];

/**
 * A name's grammar and how the loader describes it: scenario, namespace,
 * node and segment names (`name`), pod and container names (`pod`, a DNS
 * label as Kubernetes has it) and interface names (`interface`, as Linux
 * has them: 1-15 bytes).
 */
export const NAME_GRAMMARS = {
  name: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    what: 'name (1-63 letters, digits, "_", "." or "-", starting with a letter or digit)',
  },
  pod: {
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    what:
      'name (1-63 lower-case letters, digits or "-", starting and ending with a letter or digit)',
  },
} as const;

/**
 * Whether a string is a valid interface name: 1-15 letters, digits, `_`,
 * `.` or `-`, not starting with `-` or `.`.
 *
 * @example
 * ```ts
 * import { validInterfaceName } from "./names.js";
 * validInterfaceName("flannel.1"); // true
 * validInterfaceName("$(id)"); // false
 * ```
 */
export const validInterfaceName: (name: string) => boolean = isInterfaceName;

/** 32-bit FNV-1a hash of a string. */
export function fnv1a(text: string): number {
  return fnv1aOn(0x811c9dc5, text);
}

/** FNV-1a carried on from hash `h` over `text`: `fnv1aOn(fnv1a(a), b) === fnv1a(a + b)`. */
function fnv1aOn(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The MAC a device gets when a scenario names none: locally administered
 * (`02:`), derived from its namespace and name so that every run of a
 * scenario shows the same addresses.
 *
 * @param namespace The device's namespace.
 * @param device The device's name.
 * @returns A unicast MAC.
 * @example
 * ```ts
 * import { defaultMac } from "./names.js";
 * defaultMac("node-1", "cni0").toString(); // "02:..:..:..:..:.."
 * ```
 */
export function defaultMac(namespace: string, device: string): Mac {
  // fnv1a(`${namespace}/${device}`) and fnv1a(`${device}@${namespace}`), without the strings.
  const a = fnv1aOn(fnv1aOn(fnv1a(namespace), "/"), device);
  const b = fnv1aOn(fnv1aOn(fnv1a(device), "@"), namespace) & 0xff;
  return Mac.fromNumber(0x02 * 2 ** 40 + a * 256 + b);
}

/**
 * The host-side veth name of a pod's interface, like CNI's `vethXXXXXXXX`,
 * or Calico's `caliXXXXXXXXXXX` (`cali` and 11 hex digits, 15 characters).
 *
 * @param podNamespace The pod's namespace name.
 * @param salt Bumped to avoid a name already in use.
 * @param prefix `veth` (bridge CNI plugin) or `cali` (Calico).
 * @returns A 12- or 15-character interface name.
 * @example
 * ```ts
 * import { hostVethName } from "./names.js";
 * hostVethName("pod-a").length; // 12
 * hostVethName("pod-a", 0, "cali").length; // 15
 * ```
 */
export function hostVethName(
  podNamespace: string,
  salt = 0,
  prefix: "veth" | "cali" = "veth",
): string {
  const key = salt === 0 ? podNamespace : `${podNamespace}#${salt}`;
  const h = fnv1a(key).toString(16).padStart(8, "0");
  if (prefix === "veth") return `veth${h}`;
  return `cali${h}${fnv1a(`${key}/cali`).toString(16).padStart(8, "0").slice(0, 3)}`;
}
