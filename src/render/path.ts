/**
 * A trace on the diagram: the things a traced packet touched, in order,
 * and the polyline between each two, along veths, bridge and underlay
 * buses and VXLAN tunnels, with the hop in which the packet got there.
 *
 * @module
 */
import type { Trace } from "../trace/types.js";
import {
  alongBus,
  byId,
  center,
  containerBoxId,
  deviceId,
  type Layout,
  type LinkPlace,
  namespaceBoxId,
  podBoxId,
  type Point,
  type Rect,
} from "./geometry.js";

/** One stretch of the traced path, between two things the packet touched. */
export interface PathPiece {
  /** The hop (index into `trace.hops`) in which the packet reached `to`. */
  readonly hop: number;
  readonly from: string;
  readonly to: string;
  readonly points: readonly Point[];
  /** True while the packet travels inside a VXLAN tunnel (as an inner frame). */
  readonly tunnel: boolean;
}

/** Where a trace went, in diagram terms. */
export interface TracePath {
  /** The things the packet touched (device, container, pod or namespace ids), in order. */
  readonly visits: readonly { readonly id: string; readonly hop: number }[];
  readonly pieces: readonly PathPiece[];
  /** Tunnel links the packet crossed. */
  readonly tunnels: readonly { readonly link: string; readonly hop: number }[];
  /** The last thing touched: where it was delivered or dropped. */
  readonly end?: {
    readonly id: string;
    readonly at: Point;
    readonly delivered: boolean;
    readonly hop: number;
  };
  /** The pod the sender meant to reach, when the trace names one, and whether it got there. */
  readonly target?: { readonly id: string; readonly rect: Rect; readonly reached: boolean };
  /** Ids the trace names that the layout does not have (empty for a layout of the same world). */
  readonly missing: readonly string[];
}

/** The ids a trace touches, in order, with the hop of each. */
function visitsOf(trace: Trace, layout: Layout): { id: string; hop: number; tunnel: boolean }[] {
  const out: { id: string; hop: number; tunnel: boolean }[] = [];
  let tunnel = false;
  const add = (id: string, hop: number) => {
    if (out[out.length - 1]?.id !== id) out.push({ id, hop, tunnel });
  };
  const podBox = (ns: string) =>
    layout.boxes.find((b) => b.kind === "pod" && b.namespace === ns)?.id ?? namespaceBoxId(ns);
  const from = trace.probe.from;
  trace.hops.forEach((hop, h) => {
    const ns = hop.at.name;
    const dev = (name: string) => `${ns}/${name}`;
    for (const s of hop.steps) {
      switch (s.kind) {
        case "send":
          add(
            from.pod
              ? from.container ? containerBoxId(from.pod, from.container) : podBoxId(from.pod)
              : namespaceBoxId(from.namespace),
            h,
          );
          break;
        case "xmit":
        case "receive":
        case "loopback":
          add(dev(s.dev), h);
          break;
        case "veth":
        case "segment":
          add(deviceId(s.from), h);
          add(deviceId(s.to), h);
          break;
        case "bridge":
          if (s.inPort) add(dev(s.inPort), h);
          add(dev(s.bridge), h);
          if (s.decision.kind === "fdb") add(dev(s.decision.port), h);
          if (s.decision.kind === "flood") add(dev(s.decision.followed), h);
          break;
        case "vxlan-encap":
          add(dev(s.dev), h);
          tunnel = true;
          break;
        case "vxlan-decap":
          tunnel = false;
          add(dev(s.dev), h);
          break;
        case "deliver": {
          const pod = layout.boxes.find((b) => b.id === podBox(ns))?.pod;
          add(s.container && pod ? containerBoxId(pod, s.container) : podBox(ns), h);
          break;
        }
        default:
          break;
      }
    }
  });
  return out;
}

function rectOf(layout: Layout, id: string): Rect | undefined {
  return byId(layout.devices, id) ?? byId(layout.boxes, id);
}

function tapOf(layout: Layout, device: string): LinkPlace | undefined {
  return layout.links.find((l) => (l.kind === "port" || l.kind === "uplink") && l.from === device);
}

/** The polyline between two consecutive things the packet touched. */
function pieceBetween(layout: Layout, a: string, b: string): Point[] {
  const ra = rectOf(layout, a);
  const rb = rectOf(layout, b);
  if (!ra || !rb) return [];
  const veth = layout.links.find((l) =>
    l.kind === "veth" && ((l.from === a && l.to === b) || (l.from === b && l.to === a))
  );
  if (veth) return veth.from === a ? [...veth.points] : [...veth.points].reverse();
  const busOf = (id: string) => {
    const tap = tapOf(layout, id);
    if (tap) return { bus: tap.to, from: tap.points[0], at: tap.points[1] };
    const bridge = layout.buses.find((x) => x.kind === "bridge" && x.name === id);
    if (!bridge) return undefined;
    const last = bridge.rows[bridge.rows.length - 1];
    const p = { x: last.x1, y: last.y };
    return { bus: bridge.id, from: p, at: p };
  };
  const ta = busOf(a);
  const tb = busOf(b);
  if (ta && tb && ta.bus === tb.bus) {
    const bus = layout.buses.find((x) => x.id === ta.bus)!;
    return [ta.from, ...alongBus(bus, ta.at, tb.at), tb.from];
  }
  return [center(ra), center(rb)];
}

/**
 * Puts a trace on a layout: the things the packet touched, in order, and
 * the polylines between them, each tagged with its hop so that a stepper
 * can show the path hop by hop; tunnel crossings; where it ended; and the
 * pod it was meant for.
 *
 * @param layout A layout of the world the trace ran in.
 * @param trace The trace.
 * @returns The path.
 * @example
 * ```ts
 * import { buildWorld, trace, unwrap } from "../mod.js";
 * import { layoutWorld, tracePath } from "./layout.js";
 * const world = unwrap(buildWorld({ mode: "vxlan" }), (e) => e.message);
 * const t = unwrap(trace(world, { from: "a", to: "c" }), (e) => e.message);
 * const path = tracePath(layoutWorld(world), t);
 * path.tunnels.length; // 1
 * ```
 */
export function tracePath(layout: Layout, trace: Trace): TracePath {
  const visits = visitsOf(trace, layout);
  const missing = [...new Set(visits.map((v) => v.id).filter((id) => !rectOf(layout, id)))];
  const known = visits.filter((v) => rectOf(layout, v.id));
  const pieces: PathPiece[] = [];
  const tunnels: { link: string; hop: number }[] = [];
  let encapAt: string | undefined;
  for (let i = 1; i < known.length; i++) {
    const a = known[i - 1];
    const b = known[i];
    pieces.push({
      hop: b.hop,
      from: a.id,
      to: b.id,
      points: pieceBetween(layout, a.id, b.id),
      tunnel: a.tunnel || b.tunnel,
    });
    if (!a.tunnel && b.tunnel) encapAt = a.id;
    if (a.tunnel && !b.tunnel && encapAt) {
      const ids = [encapAt, b.id].sort();
      const link = layout.links.find((l) => l.id === `tunnel:${ids[0]}|${ids[1]}`);
      if (link) tunnels.push({ link: link.id, hop: b.hop });
      encapAt = undefined;
    }
  }
  const last = known[known.length - 1];
  const lastRect = last ? rectOf(layout, last.id) : undefined;
  const isBox = last !== undefined && byId(layout.boxes, last.id)?.kind !== "container" &&
    byId(layout.devices, last.id) === undefined;
  const end = last && lastRect
    ? {
      id: last.id,
      at: isBox
        ? { x: lastRect.x + lastRect.w - 12, y: lastRect.y + 12 }
        : { x: lastRect.x + lastRect.w - 2, y: lastRect.y + 2 },
      delivered: trace.verdict.kind === "delivered",
      hop: trace.hops.length - 1,
    }
    : undefined;
  const targetBox = trace.probe.to.pod
    ? byId(layout.boxes, podBoxId(trace.probe.to.pod))
    : undefined;
  return {
    visits: known.map(({ id, hop }) => ({ id, hop })),
    pieces,
    tunnels,
    end,
    target: targetBox
      ? {
        id: targetBox.id,
        rect: targetBox,
        reached: trace.verdict.kind === "delivered" && trace.verdict.pod === targetBox.pod,
      }
      : undefined,
    missing,
  };
}
