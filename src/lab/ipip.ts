/**
 * IP in IP in the lab. A kernel without the `ipip` module loaded cannot
 * build `tunl0`, and the lab loads no kernel modules (that would change the
 * machine, not a namespace). For such a kernel the lab builds the world
 * without its IP-in-IP devices and the routes through them, runs only the
 * probes whose trace does not cross a tunnel, and says so; BIRD's sessions
 * and routes are still checked, with next hops over `eth0` instead of
 * `tunl0` (BGP does not depend on the tunnel). IP-in-IP's bytes are
 * checked against RFC 2003 in `tests/ipip.test.ts`.
 *
 * @module
 */
import type { World } from "../model/world.js";
import type { Trace } from "../trace/types.js";
import { withNamespace } from "../world/edit.js";

/** Whether a world has an IP-in-IP device anywhere. */
export function hasIpip(world: World): boolean {
  return world.namespaces.some((ns) => ns.devices.some((d) => d.kind === "ipip"));
}

/**
 * Whether this kernel can build IP-in-IP devices now: the `ipip` module is
 * loaded (`/sys/module/ipip`).
 *
 * @returns True when it is.
 */
export async function ipipAvailable(): Promise<boolean> {
  try {
    await Deno.stat("/sys/module/ipip");
    return true;
  } catch {
    return false;
  }
}

/**
 * The world without IP-in-IP devices and the routes through them.
 *
 * @param world The world.
 * @returns What the lab can build on a kernel without `ipip`.
 */
export function withoutIpip(world: World): World {
  let w = world;
  for (const ns of world.namespaces) {
    const tunnels = new Set(ns.devices.filter((d) => d.kind === "ipip").map((d) => d.name));
    if (tunnels.size === 0) continue;
    w = withNamespace(w, {
      ...ns,
      devices: ns.devices.filter((d) => !tunnels.has(d.name)),
      routes: ns.routes.filter((r) => r.dev === undefined || !tunnels.has(r.dev)),
    });
  }
  return w;
}

/**
 * Whether a trace crosses an IP-in-IP tunnel (encapsulates or decapsulates).
 *
 * @param t A trace.
 * @returns True when it does.
 */
export function crossesIpip(t: Trace): boolean {
  return t.hops.some((h) =>
    h.steps.some((s) => s.kind === "ipip-encap" || s.kind === "ipip-decap")
  );
}

/**
 * The note a report carries when the kernel could not build the tunnels.
 *
 * @param skipped Probes not run.
 * @param ran Probes run.
 * @returns One paragraph.
 */
export function ipipNote(skipped: number, ran: number): string {
  return `This kernel cannot build IP-in-IP: the ipip module is not loaded, and the lab loads no kernel modules. ` +
    `Not run: the ${skipped} probe(s) whose trace crosses tunl0. Checked instead: the ${ran} probe(s) that do not cross it, ` +
    `built without tunl0 and the routes through it; BIRD's sessions and routes with next hops over eth0 instead of tunl0 ` +
    `(BGP does not depend on the tunnel); IP-in-IP's bytes against RFC 2003 in tests/ipip.test.ts.`;
}
