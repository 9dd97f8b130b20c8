/**
 * Naming rules shared by the loader and the builders: deterministic MACs
 * and host-side veth names.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";

/** 32-bit FNV-1a hash of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
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
 * defaultMac("node-1", "cbr0").toString(); // "02:..:..:..:..:.."
 * ```
 */
export function defaultMac(namespace: string, device: string): Mac {
  const a = fnv1a(`${namespace}/${device}`);
  const b = fnv1a(`${device}@${namespace}`) & 0xff;
  return Mac.fromNumber(0x02 * 2 ** 40 + a * 256 + b);
}

/**
 * The host-side veth name of a pod's interface, like CNI's `vethXXXXXXXX`.
 *
 * @param podNamespace The pod's namespace name.
 * @param salt Bumped to avoid a name already in use.
 * @returns A 12-character interface name.
 */
export function hostVethName(podNamespace: string, salt = 0): string {
  const h = fnv1a(salt === 0 ? podNamespace : `${podNamespace}#${salt}`);
  return `veth${h.toString(16).padStart(8, "0")}`;
}
