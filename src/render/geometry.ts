/**
 * The diagram's vocabulary, shared by the modules that lay it out: the
 * placed shapes a renderer reads (`Layout` and its parts), the sizes the
 * measurements assume, the ids of boxes and buses, and the internal
 * pieces (`Piece`, `Out`, `Ctx`) that `boxes.ts` measures and `layout.ts`
 * places.
 *
 * @module
 */
import type { Lang } from "./describe.js";
import type { DeviceKind, DeviceRef, World } from "../model/world.js";

/** A point in diagram units (about one CSS pixel at width 1:1). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned rectangle: top-left corner, width and height. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** What a box stands for. */
export type BoxKind = "node" | "router" | "namespace" | "pod" | "container";

/** A box: a node or other namespace, a pod, or a container chip. */
export interface BoxPlace extends Rect {
  /** `ns:NAME` for namespaces, `pod:NAME` for pods, `ctr:POD/NAME` for containers. */
  readonly id: string;
  readonly kind: BoxKind;
  /** The first line, in the page's language. */
  readonly title: string;
  /** A second phrase (pod range, pod IP, ports), if any. */
  readonly detail?: string;
  /** Short notes beside the title: `ip_forward=0` and `FORWARD DROP` warn, `nat ×2` informs. */
  readonly badges: readonly Badge[];
  /** True when the badges go on a second title line (one line would be too wide). */
  readonly badgesBelow?: boolean;
  /** The namespace the box shows, if it shows one. */
  readonly namespace?: string;
  /** For pods and containers: the pod. */
  readonly pod?: string;
  /** For containers: the container's name. */
  readonly container?: string;
  /** For containers: whether it is the pause container. */
  readonly pause?: boolean;
  /** For containers: whether it runs. For pods: whether the pod has a sandbox. */
  readonly live?: boolean;
}

/** A note on a box; `warn` marks a state that stops forwarding. */
export interface Badge {
  readonly text: string;
  readonly warn: boolean;
}

/** A device chip. */
export interface DevicePlace extends Rect {
  /** `namespace/device`, the way traces name devices. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: DeviceKind;
  readonly up: boolean;
  /** The text lines of the chip: name, addresses, and the MTU when asked for. */
  readonly lines: readonly string[];
  /** Longer text for hovering: kind, MTU, MAC, peer, master. */
  readonly tooltip: string;
}

/** How two things are joined. */
export type LinkKind = "veth" | "port" | "uplink" | "tunnel";

/** A drawn connection. Taps (`port`, `uplink`) join a device to a bus. */
export interface LinkPlace {
  /** `veth:A|B`, `port:DEV`, `uplink:DEV` or `tunnel:A|B`. */
  readonly id: string;
  readonly kind: LinkKind;
  /** A device id. */
  readonly from: string;
  /** A device id, or a bus id for taps. */
  readonly to: string;
  /** A polyline from `from` to `to`. */
  readonly points: readonly Point[];
  /** Words to show along the link (tunnels: VNI and port). */
  readonly label?: string;
}

/** One horizontal run of a bus. */
export interface BusRow {
  readonly y: number;
  readonly x0: number;
  readonly x1: number;
}

/** A layer-2 domain drawn as a bus: a bridge's ports or an underlay segment. */
export interface BusPlace {
  /** `bus:NAMESPACE/BRIDGE` or `bus:SEGMENT`. */
  readonly id: string;
  readonly kind: "bridge" | "segment";
  /** The bridge device id, or the segment's name. */
  readonly name: string;
  /** For segments: name, subnet and MTU, in the page's language. */
  readonly label?: string;
  /** Where the label goes (its baseline start). */
  readonly labelAt?: Point;
  /** The runs, top to bottom; a vertical line at `joinX` joins them. */
  readonly rows: readonly BusRow[];
  readonly joinX: number;
}

/** A whole diagram. */
export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly lang: Lang;
  readonly boxes: readonly BoxPlace[];
  readonly devices: readonly DevicePlace[];
  readonly links: readonly LinkPlace[];
  readonly buses: readonly BusPlace[];
}

/** Options of {@linkcode layoutWorld}. */
export interface LayoutOptions {
  /** Language of the labels (default English). */
  readonly lang?: Lang;
  /** The width to fit; nodes and pods wrap into rows below it (default: no limit). */
  readonly width?: number;
  /** Add each device's MTU to its chip (default false). */
  readonly showMtu?: boolean;
}

/** Font size the measurements assume; renderers should use a monospace font this size. */
export const FONT_SIZE = 11;
/** Line height inside chips. */
export const LINE_HEIGHT = 13;

export const CHAR = FONT_SIZE * 0.62;
export const WIDE = FONT_SIZE * 1.02;
export const CHIP_PAD = 6;
export const GAP = 8;
export const BOX_PAD = 12;
export const TITLE_H = 20;
export const MARGIN = 12;
export const JOIN_STRIP = 10;
export const BUS_GAP = 14;

export const WORDS = {
  pod: { en: "pod", ko: "파드" },
  pods: { en: "pods", ko: "파드 대역" },
  router: { en: "router", ko: "라우터" },
  client: { en: "external client", ko: "외부 클라이언트" },
  namespace: { en: "namespace", ko: "네임스페이스" },
  noSandbox: { en: "no sandbox", ko: "샌드박스 없음" },
  exited: { en: "exited", ko: "종료됨" },
  down: { en: "DOWN", ko: "DOWN" },
  restarts: { en: "restarts", ko: "재시작" },
  peer: { en: "peer", ko: "상대" },
  master: { en: "bridge", ko: "브리지" },
  kind: {
    loopback: { en: "loopback", ko: "루프백" },
    veth: { en: "veth end", ko: "veth 한쪽 끝" },
    bridge: { en: "bridge", ko: "브리지" },
    nic: { en: "underlay NIC", ko: "언더레이 NIC" },
    vxlan: { en: "VXLAN device", ko: "VXLAN 장치" },
    ipip: { en: "IP-in-IP tunnel", ko: "IP-in-IP 터널" },
  },
} as const;

/**
 * The width a label takes in the diagram's monospace font: Hangul and other
 * wide characters count about twice a Latin letter.
 *
 * @param text The label.
 * @returns Its width in diagram units.
 * @example
 * ```ts
 * import { textWidth } from "./layout.js";
 * textWidth("cni0") < textWidth("파드 a"); // true
 * ```
 */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) >= 0x1100 ? WIDE : CHAR;
  return w;
}

/** Device id: `namespace/device`. */
export function deviceId(ref: DeviceRef): string {
  return `${ref.namespace}/${ref.device}`;
}

/** The id of a pod's box: `pod:NAME`. */
export function podBoxId(pod: string): `pod:${string}` {
  return `pod:${pod}`;
}

/** The id of a namespace's box: `ns:NAME`. */
export function namespaceBoxId(namespace: string): `ns:${string}` {
  return `ns:${namespace}`;
}

/** The id of a container's box: `ctr:POD/NAME`. */
export function containerBoxId(pod: string, container: string): `ctr:${string}` {
  return `ctr:${pod}/${container}`;
}

/**
 * The id of a bus: `bus:` and the bridge's device id, or the segment's name.
 * Ids are made only by these functions, never taken apart: a bus keeps its
 * name beside its id.
 *
 * @param name The bridge's device id (`node-1/cni0`) or the segment's name.
 * @returns The bus's id.
 * @example
 * ```ts
 * import { busId, deviceId } from "./layout.js";
 * busId(deviceId({ namespace: "node-1", device: "cni0" })); // "bus:node-1/cni0"
 * ```
 */
export function busId(name: string): `bus:${string}` {
  return `bus:${name}`;
}

/** A thing measured but not yet placed; `place` puts it at (x, y) and returns it. */
export interface Piece {
  readonly w: number;
  readonly h: number;
  place(x: number, y: number, out: Out): void;
}

/** Everything placed so far. */
export interface Out {
  readonly boxes: BoxPlace[];
  readonly devices: DevicePlace[];
  readonly taps: Tap[];
  readonly buses: BusPlace[];
}

/** A device that hangs on a bus: a bridge port or an underlay NIC. */
export interface Tap {
  readonly device: string;
  readonly bus: string;
  /** Where the tap leaves the device (bottom centre) and where it meets the bus. */
  readonly from: Point;
  readonly at: Point;
  readonly kind: "port" | "uplink";
}

export interface Ctx {
  readonly world: World;
  readonly lang: Lang;
  readonly showMtu: boolean;
}

/** A phrase in the diagram's language. */
export const word = (ctx: Ctx, w: { en: string; ko: string }) => w[ctx.lang];

// --- small shapes --------------------------------------------------------------

/** The first of a list with this id. */
export function byId<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  return list.find((x) => x.id === id);
}

/** A rectangle's centre. */
export const center = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** The middle of a rectangle's bottom edge. */
export const bottom = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h });

/** The route along a bus from one tap point to another. */
export function alongBus(bus: BusPlace, a: Point, b: Point): Point[] {
  const rowOf = (p: Point) =>
    bus.rows.reduce(
      (best, r, i) => Math.abs(r.y - p.y) < Math.abs(bus.rows[best].y - p.y) ? i : best,
      0,
    );
  const ra = bus.rows[rowOf(a)];
  const rb = bus.rows[rowOf(b)];
  if (ra === rb) return [{ x: a.x, y: ra.y }, { x: b.x, y: rb.y }];
  return [{ x: a.x, y: ra.y }, { x: bus.joinX, y: ra.y }, { x: bus.joinX, y: rb.y }, {
    x: b.x,
    y: rb.y,
  }];
}
