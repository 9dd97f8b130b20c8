/**
 * Breakages: named edits that a lesson offers to break its world with, each
 * built on one of the kernel's edit functions (`deleteRoute`, `setIpForward`,
 * `addIptables`, `setIptables`, `setLinkUp`, `setMtu`, `stopContainer`...).
 * Applying one returns the new world or the kernel's own error message.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import { ko, type Result, type World } from "../kernel/mod.js";
import type { Phrase } from "./i18n.js";

/** A way to break a world. */
export interface Breakage {
  /** Stable id: the `value` of its option, used by tests. */
  readonly id: string;
  readonly label: Phrase;
  apply(world: World): Result<World, string>;
}

type EditResult = Result<World, { subject: string; message: string; line?: number }>;

function fromEdit(r: EditResult): Result<World, string> {
  return r.ok ? r : { ok: false, error: kernel.formatEditError(r.error) };
}

/** Leaves the world as it is. */
export const nothing: Breakage = {
  id: "none",
  label: { en: "nothing: leave it working", ko: "없음: 그대로 두기" },
  apply: (world) => ({ ok: true, value: world }),
};

/** `ip route del DST` in a namespace. */
export function deleteRoute(namespace: string, dst: string): Breakage {
  return {
    id: `del-route:${namespace}:${dst}`,
    label: {
      en: `delete ${namespace}'s route to ${dst}`,
      ko: `${namespace}의 ${dst} 경로 삭제`,
    },
    apply: (world) => fromEdit(kernel.deleteRoute(world, namespace, dst)),
  };
}

/** `ip route replace`: deletes the route to `dst` and adds `line` instead. */
export function replaceRoute(namespace: string, dst: string, line: string): Breakage {
  return {
    id: `replace-route:${namespace}:${dst}`,
    label: {
      en: `change ${namespace}'s route to "${line}"`,
      ko: ko`${namespace}의 경로를 ${`"${line}"`}로 바꾸기`,
    },
    apply: (world) => {
      const gone = fromEdit(kernel.deleteRoute(world, namespace, dst));
      return gone.ok ? fromEdit(kernel.addRoute(gone.value, namespace, line)) : gone;
    },
  };
}

/** `sysctl -w net.ipv4.ip_forward=0`. */
export function ipForwardOff(namespace: string): Breakage {
  return {
    id: `ip-forward-off:${namespace}`,
    label: { en: `ip_forward off on ${namespace}`, ko: `${namespace}의 ip_forward 끄기` },
    apply: (world) => fromEdit(kernel.setIpForward(world, namespace, false)),
  };
}

/** `iptables -P FORWARD DROP`. */
export function forwardDrop(namespace: string): Breakage {
  return {
    id: `forward-drop:${namespace}`,
    label: {
      en: `FORWARD policy DROP on ${namespace}`,
      ko: `${namespace}의 FORWARD 정책을 DROP으로`,
    },
    apply: (world) => fromEdit(kernel.addIptables(world, namespace, "-P FORWARD DROP")),
  };
}

/** Puts an iptables rule first in a namespace's rules (`iptables -I`). */
export function firstRule(namespace: string, rule: string, label?: Phrase): Breakage {
  return {
    id: `rule:${namespace}:${rule}`,
    label: label ??
      { en: `on ${namespace}: iptables ${rule}`, ko: `${namespace}에 iptables ${rule}` },
    apply: (world) => {
      const ns = kernel.namespaceNamed(world, namespace);
      if (!ns) return { ok: false, error: `${namespace}: No namespace called "${namespace}"` };
      const r = kernel.setIptables(world, namespace, [rule, ...kernel.iptablesLines(ns)]);
      return r.ok ? r : { ok: false, error: r.error.map(kernel.formatEditError).join("; ") };
    },
  };
}

/** `ip link set DEV down`. */
export function linkDown(namespace: string, device: string): Breakage {
  return {
    id: `link-down:${namespace}/${device}`,
    label: { en: `${namespace}/${device} down`, ko: `${namespace}/${device} 내리기(down)` },
    apply: (world) => fromEdit(kernel.setLinkUp(world, { namespace, device }, false)),
  };
}

/** `ip link set DEV mtu N`, on one or more devices. */
export function setMtu(devices: readonly string[], mtu: number, label?: Phrase): Breakage {
  return {
    id: `mtu:${devices.join(",")}:${mtu}`,
    label: label ??
      { en: `MTU ${mtu} on ${devices.join(", ")}`, ko: ko`${devices.join(", ")}의 MTU를 ${mtu}로` },
    apply: (world) => {
      let w = world;
      for (const ref of devices) {
        const [namespace, device] = ref.split("/");
        const r = fromEdit(kernel.setMtu(w, { namespace, device }, mtu));
        if (!r.ok) return r;
        w = r.value;
      }
      return { ok: true, value: w };
    },
  };
}

/**
 * `ip link set ... mtu N` on every device a pod's packets cross inside its
 * node up to the tunnel: the pod's eth0, its host-side veth and the node's
 * bridge — what a CNI configured with the wrong MTU would set up. (The VXLAN
 * device keeps its MTU: Linux refuses one above the underlay's less 50.)
 */
export function podSideMtu(pod: string, mtu: number, label?: Phrase): Breakage {
  return {
    id: `pod-mtu:${pod}:${mtu}`,
    label: label ??
      { en: `MTU ${mtu} on pod ${pod}'s side`, ko: ko`파드 ${pod} 쪽 MTU를 ${mtu}로` },
    apply: (world) => {
      const p = kernel.podNamed(world, pod);
      const ns = p?.namespace ? kernel.namespaceNamed(world, p.namespace) : undefined;
      const node = p ? kernel.nodeNamed(world, p.node) : undefined;
      const nodeNs = node ? kernel.namespaceNamed(world, node.namespace) : undefined;
      if (!ns || !node || !nodeNs) {
        return { ok: false, error: `${pod}: No pod with a sandbox called "${pod}"` };
      }
      const refs = ns.devices.flatMap((d) =>
        d.kind === "veth" ? [`${ns.name}/${d.name}`, `${d.peer.namespace}/${d.peer.device}`] : []
      );
      refs.push(`${nodeNs.name}/${node.bridge}`);
      return setMtu(refs, mtu).apply(world);
    },
  };
}

/** Stops a container (`pod/container`) for good. */
export function stopContainer(ref: string): Breakage {
  return {
    id: `stop:${ref}`,
    label: { en: `stop container ${ref}`, ko: `컨테이너 ${ref} 멈추기` },
    apply: (world) => {
      const r = kernel.stopContainer(world, ref);
      return r.ok
        ? { ok: true, value: r.value.world }
        : { ok: false, error: `${r.error.subject}: ${r.error.message}` };
    },
  };
}

/** Several breakages at once, in order. */
export function together(id: string, label: Phrase, parts: readonly Breakage[]): Breakage {
  return {
    id,
    label,
    apply: (world) => {
      let w = world;
      for (const b of parts) {
        const r = b.apply(w);
        if (!r.ok) return r;
        w = r.value;
      }
      return { ok: true, value: w };
    },
  };
}

/**
 * Applies breakages in order; one that the kernel refuses is skipped and
 * its message collected, so the others still apply.
 *
 * @param world The world.
 * @param list The breakages.
 * @returns The broken world and the refusals.
 */
export function applyBreakages(
  world: World,
  list: readonly Breakage[],
): { world: World; errors: string[] } {
  let w = world;
  const errors: string[] = [];
  for (const b of list) {
    try {
      const r = b.apply(w);
      if (r.ok) w = r.value;
      else errors.push(r.error);
    } catch (e) {
      errors.push(`${b.id}: ${(e as Error).message}`);
    }
  }
  return { world: w, errors };
}
