/**
 * The geometry of a topology diagram as plain data: where each node, pod,
 * container and device sits, how veth pairs, bridge ports, underlay uplinks
 * and VXLAN tunnels run, and which way a traced packet went. Drawing (SVG,
 * colours, hover text) is the page's business; this module only measures,
 * so it can be tested without a DOM.
 *
 * The picture, top to bottom inside a node: its pods (each with its
 * containers, `lo` and `eth0`), the host ends of their veth pairs, the
 * bridge drawn as a bus joining those ports, then the node's own devices
 * with the underlay NIC last. Nodes and other namespaces (a gateway router)
 * sit in a grid that wraps to the given width; each underlay segment is a
 * bus under every grid row, joined at the right edge.
 *
 * @module
 */
import type { Lang } from "./describe.js";
import type { Trace } from "../trace/types.js";
import { podIp } from "../world/query.js";
import type { Device, DeviceKind, DeviceRef, Namespace, Pod, World } from "../model/world.js";

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

const CHAR = FONT_SIZE * 0.62;
const WIDE = FONT_SIZE * 1.02;
const CHIP_PAD = 6;
const GAP = 8;
const BOX_PAD = 12;
const TITLE_H = 20;
const MARGIN = 12;
const JOIN_STRIP = 10;
const BUS_GAP = 14;

const WORDS = {
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

// --- measuring ---------------------------------------------------------------

/** A thing measured but not yet placed; `place` puts it at (x, y) and returns it. */
interface Piece {
  readonly w: number;
  readonly h: number;
  place(x: number, y: number, out: Out): void;
}

/** Everything placed so far. */
interface Out {
  readonly boxes: BoxPlace[];
  readonly devices: DevicePlace[];
  readonly taps: Tap[];
  readonly buses: BusPlace[];
}

/** A device that hangs on a bus: a bridge port or an underlay NIC. */
interface Tap {
  readonly device: string;
  readonly bus: string;
  /** Where the tap leaves the device (bottom centre) and where it meets the bus. */
  readonly from: Point;
  readonly at: Point;
  readonly kind: "port" | "uplink";
}

interface Ctx {
  readonly world: World;
  readonly lang: Lang;
  readonly showMtu: boolean;
}

const word = (ctx: Ctx, w: { en: string; ko: string }) => w[ctx.lang];

function chipLines(ctx: Ctx, d: Device): string[] {
  const lines = [d.up ? d.name : `${d.name} ${WORDS.down[ctx.lang]}`];
  for (const a of d.addresses.slice(0, 2)) lines.push(a.toString());
  if (ctx.showMtu) lines.push(`mtu ${d.mtu}`);
  return lines;
}

function tooltip(ctx: Ctx, d: Device): string {
  const parts = [`${WORDS.kind[d.kind][ctx.lang]} ${d.namespace}/${d.name}`, `mtu ${d.mtu}`];
  if (d.kind !== "loopback") parts.push(`mac ${d.mac}`);
  if (d.kind === "veth") parts.push(`${word(ctx, WORDS.peer)} ${deviceId(d.peer)}`);
  if (d.kind === "vxlan") parts.push(`VNI ${d.vni}`, `UDP ${d.dstport}`);
  if (d.master) parts.push(`${word(ctx, WORDS.master)} ${d.master}`);
  return parts.join(" · ");
}

function devicePiece(ctx: Ctx, d: Device, minWidth = 0): Piece & { id: string } {
  const lines = chipLines(ctx, d);
  const w = Math.max(minWidth, 40, ...lines.map(textWidth)) + 2 * CHIP_PAD;
  const h = lines.length * LINE_HEIGHT + 8;
  const id = deviceId({ namespace: d.namespace, device: d.name });
  return {
    id,
    w,
    h,
    place(x, y, out) {
      out.devices.push({
        id,
        namespace: d.namespace,
        name: d.name,
        kind: d.kind,
        up: d.up,
        lines,
        tooltip: tooltip(ctx, d),
        x,
        y,
        w,
        h,
      });
    },
  };
}

/** Places pieces left to right, wrapping at `maxWidth`; rows are centred when `center`. */
function flow(
  pieces: readonly Piece[],
  maxWidth: number,
  gap = GAP,
): { w: number; h: number; rows: { items: Piece[]; w: number; h: number }[] } {
  const rows: { items: Piece[]; w: number; h: number }[] = [];
  for (const p of pieces) {
    const row = rows[rows.length - 1];
    if (row && row.w + gap + p.w <= maxWidth) {
      row.items.push(p);
      row.w += gap + p.w;
      row.h = Math.max(row.h, p.h);
    } else rows.push({ items: [p], w: p.w, h: p.h });
  }
  const w = Math.max(0, ...rows.map((r) => r.w));
  const h = rows.reduce((s, r) => s + r.h, 0) + gap * Math.max(0, rows.length - 1);
  return { w, h, rows };
}

/** Places flowed rows inside a band of width `width` starting at (x, y). */
function placeFlow(
  f: ReturnType<typeof flow>,
  x: number,
  y: number,
  width: number,
  out: Out,
  center = true,
  gap = GAP,
): { x: number; y: number; piece: Piece }[] {
  const placed: { x: number; y: number; piece: Piece }[] = [];
  let cy = y;
  for (const row of f.rows) {
    let cx = center ? x + (width - row.w) / 2 : x;
    for (const p of row.items) {
      p.place(cx, cy, out);
      placed.push({ x: cx, y: cy, piece: p });
      cx += p.w + gap;
    }
    cy += row.h + gap;
  }
  return placed;
}

function portsText(ctx: Ctx, pod: Pod, name: string): string {
  const c = pod.containers.find((x) => x.name === name)!;
  const byPort = new Map<number, string[]>();
  for (const p of c.ports) byPort.set(p.port, [...(byPort.get(p.port) ?? []), p.protocol]);
  const ports = [...byPort].map(([port, protos]) => `${port}/${protos.join(",")}`).join(" ");
  const restarts = c.restarts > 0 ? ` ↻${c.restarts}` : "";
  const state = c.state === "running" ? "" : ` (${word(ctx, WORDS.exited)})`;
  return `${ports}${restarts}${state}`.trim();
}

function containerPiece(ctx: Ctx, pod: Pod, name: string, width: number): Piece {
  const c = pod.containers.find((x) => x.name === name)!;
  const detail = portsText(ctx, pod, name);
  const h = LINE_HEIGHT + 8;
  return {
    w: width,
    h,
    place(x, y, out) {
      out.boxes.push({
        id: containerBoxId(pod.name, c.name),
        kind: "container",
        title: c.name,
        detail: detail || undefined,
        badges: [],
        namespace: pod.namespace,
        pod: pod.name,
        container: c.name,
        pause: c.pause,
        live: c.state === "running",
        x,
        y,
        w: width,
        h,
      });
    },
  };
}

function containerWidth(ctx: Ctx, pod: Pod, name: string): number {
  return textWidth(name) + textWidth(portsText(ctx, pod, name)) + CHAR * 2 + 2 * CHIP_PAD;
}

function badgesOf(ns: Namespace | undefined): Badge[] {
  if (ns === undefined) return [];
  const out: Badge[] = [];
  if (ns.role !== "pod" && !ns.sysctl.ipForward) out.push({ text: "ip_forward=0", warn: true });
  if (ns.netfilter.forwardPolicy === "DROP") out.push({ text: "FORWARD DROP", warn: true });
  const nat = ns.netfilter.rules.filter((r) => r.table === "nat").length;
  if (nat > 0) out.push({ text: `nat ×${nat}`, warn: false });
  return out;
}

function titleWidth(title: string, detail: string | undefined, badges: readonly Badge[]): number {
  return textWidth([title, detail ?? "", ...badges.map((b) => b.text)].join("  ")) + 8;
}

/** A box's title line(s): badges move to a second line when one line would pass `limit`. */
function heading(
  title: string,
  detail: string | undefined,
  badges: readonly Badge[],
  limit: number,
): { w: number; h: number; badgesBelow: boolean } {
  const one = titleWidth(title, detail, badges);
  if (one <= limit || badges.length === 0) return { w: one, h: TITLE_H, badgesBelow: false };
  return {
    w: Math.max(titleWidth(title, detail, []), titleWidth("", undefined, badges)),
    h: TITLE_H + 14,
    badgesBelow: true,
  };
}

/** A pod box with its containers and devices; `eth0` ends up last, at the bottom. */
function podPiece(ctx: Ctx, pod: Pod, maxInner: number): Piece {
  const ns = pod.namespace === undefined
    ? undefined
    : ctx.world.namespaces.find((n) => n.name === pod.namespace);
  const ip = podIp(ctx.world, pod);
  const title = `${word(ctx, WORDS.pod)} ${pod.name}`;
  const detail = ip ? ip.toString() : word(ctx, WORDS.noSandbox);
  const devices = (ns?.devices ?? []).map((d) => devicePiece(ctx, d));
  const cw = Math.max(0, ...pod.containers.map((c) => containerWidth(ctx, pod, c.name)));
  const inner = Math.min(
    maxInner,
    Math.max(cw, titleWidth(title, detail, []), ...devices.map((d) => d.w), 96),
  );
  const containers = pod.containers.map((c) => containerPiece(ctx, pod, c.name, inner));
  const devFlow = flow(devices, inner);
  const contH = containers.reduce((s, c) => s + c.h + 4, 0);
  const w = inner + 2 * BOX_PAD;
  const h = TITLE_H + BOX_PAD / 2 + contH + (devices.length ? GAP + devFlow.h : 0) + BOX_PAD;
  return {
    w,
    h,
    place(x, y, out) {
      out.boxes.push({
        id: podBoxId(pod.name),
        kind: "pod",
        title,
        detail,
        badges: badgesOf(ns),
        namespace: pod.namespace,
        pod: pod.name,
        live: ns !== undefined,
        x,
        y,
        w,
        h,
      });
      let cy = y + TITLE_H + BOX_PAD / 2;
      for (const c of containers) {
        c.place(x + BOX_PAD, cy, out);
        cy += c.h + 4;
      }
      placeFlow(devFlow, x + BOX_PAD, cy + GAP - 4, inner, out);
    },
  };
}

/** A pod and the host ends of its veth pairs below it. */
function slotPiece(
  ctx: Ctx,
  pod: Pod,
  hostEnds: readonly Device[],
  maxInner: number,
  busFor: (d: Device) => string | undefined,
): Piece & { ports: { id: string; bus?: string }[] } {
  const podP = podPiece(ctx, pod, maxInner);
  const ends = hostEnds.map((d) => devicePiece(ctx, d));
  const endFlow = flow(ends, Math.max(podP.w, ...ends.map((e) => e.w)));
  const w = Math.max(podP.w, endFlow.w);
  const h = podP.h + (ends.length ? 16 + endFlow.h : 0);
  return {
    w,
    h,
    ports: hostEnds.map((d, i) => ({ id: ends[i].id, bus: busFor(d) })),
    place(x, y, out) {
      podP.place(x + (w - podP.w) / 2, y, out);
      placeFlow(endFlow, x, y + podP.h + 16, w, out);
    },
  };
}

function byId<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  return list.find((x) => x.id === id);
}

const center = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });
const bottom = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h });

/** A node: its pods with their veth host ends, the bridge bus, then its own devices. */
function nodePiece(ctx: Ctx, nodeName: string, maxWidth: number): Piece {
  const node = ctx.world.nodes.find((n) => n.name === nodeName)!;
  const ns = ctx.world.namespaces.find((n) => n.name === node.namespace)!;
  const pods = ctx.world.pods.filter((p) => p.node === node.name);
  const podNs = new Set(pods.map((p) => p.namespace).filter((n) => n !== undefined));
  const hostEndsOf = (pod: Pod) =>
    ns.devices.filter((d) => d.kind === "veth" && d.peer.namespace === pod.namespace);
  const inSlots = new Set(
    ns.devices.filter((d) => d.kind === "veth" && podNs.has(d.peer.namespace)).map((d) => d.name),
  );
  const bridge = ns.devices.find((d) => d.name === node.bridge && d.kind === "bridge");
  const busName = bridge ? deviceId({ namespace: ns.name, device: bridge.name }) : undefined;
  const bridgeBus = busName === undefined ? undefined : busId(busName);
  const inner = Math.max(160, maxWidth - 2 * BOX_PAD - JOIN_STRIP);
  const busFor = (d: Device) => (bridge && d.master === bridge.name ? bridgeBus : undefined);
  const slots = pods.map((p) => slotPiece(ctx, p, hostEndsOf(p), inner, busFor));
  const rank = (d: Device) =>
    d === bridge
      ? 0
      : d.kind === "bridge"
      ? 1
      : d.kind === "vxlan"
      ? 2
      : d.kind === "loopback"
      ? 4
      : d.kind === "nic"
      ? 5
      : 3;
  const own = ns.devices.filter((d) => !inSlots.has(d.name)).sort((a, b) => rank(a) - rank(b));
  const nics = own.filter((d) => d.kind === "nic").map((d) => devicePiece(ctx, d));
  const others = own.filter((d) => d.kind !== "nic").map((d) => devicePiece(ctx, d));
  const slotFlow = flow(slots, inner, GAP + 4);
  const otherFlow = flow(others, inner);
  const nicFlow = flow(nics, inner);
  const title = node.name;
  const detail = `${word(ctx, WORDS.pods)} ${node.podCidr}`;
  const badges = badgesOf(ns);
  const head = heading(title, detail, badges, inner);
  const contentW = Math.max(slotFlow.w, otherFlow.w, nicFlow.w, head.w);
  const w = contentW + 2 * BOX_PAD + JOIN_STRIP;
  const busRows = bridge ? slotFlow.rows.length : 0;
  const slotsH = slotFlow.rows.reduce((s, r) => s + r.h + BUS_GAP + (bridge ? 6 : 0), 0);
  const h = head.h + BOX_PAD / 2 + slotsH + otherFlow.h + (nics.length ? GAP + nicFlow.h : 0) +
    BOX_PAD;
  return {
    w,
    h,
    place(x, y, out) {
      out.boxes.push({
        id: namespaceBoxId(ns.name),
        kind: "node",
        title,
        detail,
        badges,
        badgesBelow: head.badgesBelow,
        namespace: ns.name,
        x,
        y,
        w,
        h,
      });
      const left = x + BOX_PAD + JOIN_STRIP;
      let cy = y + head.h + BOX_PAD / 2;
      const rows: BusRow[] = [];
      const joinX = x + BOX_PAD / 2 + 2;
      for (const row of slotFlow.rows) {
        let cx = left;
        const taps: Tap[] = [];
        for (const slot of row.items as (Piece & { ports: { id: string; bus?: string }[] })[]) {
          slot.place(cx, cy, out);
          for (const port of slot.ports) {
            const d = byId(out.devices, port.id)!;
            if (port.bus === undefined) continue;
            taps.push({
              device: d.id,
              bus: port.bus,
              from: bottom(d),
              at: bottom(d),
              kind: "port",
            });
          }
          cx += slot.w + GAP + 4;
        }
        cy += row.h + BUS_GAP + (bridge ? 6 : 0);
        if (bridge) {
          const busY = cy - BUS_GAP / 2 - 3;
          rows.push({ y: busY, x0: joinX, x1: Math.max(joinX, ...taps.map((t) => t.at.x)) });
          out.taps.push(...taps.map((t) => ({ ...t, at: { x: t.at.x, y: busY } })));
        }
      }
      const placed = placeFlow(otherFlow, left, cy, contentW, out, false);
      cy += otherFlow.h + (nics.length ? GAP : 0);
      placeFlow(nicFlow, left, cy, contentW, out, false);
      if (bridge && bridgeBus && busName && busRows > 0) {
        const chip = placed.find((p) => p.piece === others[0])!;
        const chipY = chip.y + others[0].h / 2;
        rows.push({ y: chipY, x0: joinX, x1: chip.x });
        out.buses.push({ id: bridgeBus, kind: "bridge", name: busName, rows, joinX });
      }
    },
  };
}

/** A namespace that is neither a node's root nor a pod of a node: a router or an external client. */
function hostPiece(ctx: Ctx, ns: Namespace, maxWidth: number): Piece {
  const inner = Math.max(120, maxWidth - 2 * BOX_PAD);
  const rank = (d: Device) => (d.kind === "nic" ? 2 : d.kind === "loopback" ? 1 : 0);
  const devices = [...ns.devices].sort((a, b) => rank(a) - rank(b)).map((d) => devicePiece(ctx, d));
  const f = flow(devices, inner);
  const pod = ctx.world.pods.find((p) => p.namespace === ns.name);
  const kind: BoxKind = ns.role === "router" ? "router" : "namespace";
  const title = pod ? `${word(ctx, WORDS.pod)} ${pod.name}` : ns.name;
  const detail = ns.role === "router"
    ? word(ctx, WORDS.router)
    : ns.role === "client"
    ? word(ctx, WORDS.client)
    : pod
    ? podIp(ctx.world, pod)?.toString()
    : word(ctx, WORDS.namespace);
  const badges = badgesOf(ns);
  const head = heading(title, detail, badges, inner);
  const contentW = Math.max(f.w, head.w);
  const w = contentW + 2 * BOX_PAD;
  const h = head.h + BOX_PAD / 2 + f.h + BOX_PAD;
  return {
    w,
    h,
    place(x, y, out) {
      out.boxes.push({
        id: namespaceBoxId(ns.name),
        kind,
        title,
        detail,
        badges,
        badgesBelow: head.badgesBelow,
        namespace: ns.name,
        x,
        y,
        w,
        h,
      });
      placeFlow(f, x + BOX_PAD, y + head.h + BOX_PAD / 2, contentW, out);
    },
  };
}

// --- the whole picture ---------------------------------------------------------

/**
 * Lays out a world as a diagram: boxes for nodes, routers, pods and
 * containers; chips for every device of every namespace; links for veth
 * pairs, bridge ports, underlay uplinks and VXLAN tunnels; buses for bridges
 * and underlay segments. Pure and deterministic.
 *
 * @param world The world to draw.
 * @param options Language, width to fit, whether to show MTUs.
 * @returns The layout.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { layoutWorld } from "./layout.js";
 * const world = unwrap(buildWorld({ mode: "vxlan" }), (e) => e.message);
 * const layout = layoutWorld(world, { lang: "ko", width: 700 });
 * layout.devices.some((d) => d.id === "node-1/flannel.1"); // true
 * ```
 */
export function layoutWorld(world: World, options: LayoutOptions = {}): Layout {
  const ctx: Ctx = { world, lang: options.lang ?? "en", showMtu: options.showMtu ?? false };
  const limit = options.width ?? Infinity;
  const avail = Math.max(220, limit - 2 * MARGIN - JOIN_STRIP);
  const nodeNs = new Set(world.nodes.map((n) => n.namespace));
  const podNs = new Set(
    world.pods.filter((p) => world.nodes.some((n) => n.name === p.node)).map((p) => p.namespace),
  );
  const cells: Piece[] = [
    ...world.nodes.map((n) => nodePiece(ctx, n.name, avail)),
    ...world.namespaces.filter((ns) => !nodeNs.has(ns.name) && !podNs.has(ns.name)).map((ns) =>
      hostPiece(ctx, ns, avail)
    ),
  ];
  const out: Out = { boxes: [], devices: [], taps: [], buses: [] };
  const grid = flow(cells, avail, 16);
  const gridRows: { top: number; h: number }[] = [];
  let y = MARGIN;
  const segments = world.segments.map((s) => s.name);
  for (const row of grid.rows) {
    let x = MARGIN;
    for (const cell of row.items) {
      cell.place(x, y, out);
      x += cell.w + 16;
    }
    gridRows.push({ top: y, h: row.h });
    y += row.h + 20 + BUS_GAP * segments.length + 14;
  }
  const contentRight = MARGIN + grid.w;
  const joinX = contentRight + JOIN_STRIP / 2 + 4;
  for (const [i, seg] of world.segments.entries()) {
    out.buses.push(...segmentBus(ctx, seg, i, gridRows, joinX, out));
  }
  const links = [...vethLinks(world, out), ...tapLinks(out), ...tunnelLinks(world, out)];
  const right = Math.max(
    contentRight + JOIN_STRIP,
    ...out.buses.map((b) => (b.labelAt ? b.labelAt.x + textWidth(b.label ?? "") : 0)),
  );
  const lowest = Math.max(
    ...out.boxes.map((b) => b.y + b.h),
    ...out.buses.flatMap((b) => b.rows.map((r) => r.y + (b.labelAt ? 26 : 0))),
  );
  return {
    width: Math.ceil(Math.max(right + MARGIN, 240)),
    height: Math.ceil(lowest + MARGIN),
    lang: ctx.lang,
    boxes: out.boxes,
    devices: out.devices,
    links,
    buses: out.buses,
  };
}

/** An underlay segment: a bus under every grid row that has a NIC on it, joined on the right. */
function segmentBus(
  ctx: Ctx,
  seg: { name: string; mtu: number },
  index: number,
  gridRows: readonly { top: number; h: number }[],
  joinX: number,
  out: Out,
): BusPlace[] {
  const nicOn = (d: DevicePlace) =>
    ctx.world.namespaces.find((n) => n.name === d.namespace)?.devices.find((x) =>
      x.name === d.name && x.kind === "nic" && x.segment === seg.name
    );
  const nics = out.devices.filter(nicOn);
  const id = busId(seg.name);
  const tapped = gridRows.map((r) => nics.filter((d) => d.y >= r.top && d.y < r.top + r.h));
  const first = tapped.findIndex((t) => t.length > 0);
  const last = tapped.findLastIndex((t) => t.length > 0);
  if (first < 0) return [];
  const joined = first !== last;
  const rows: BusRow[] = [];
  for (let r = first; r <= last; r++) {
    const y = gridRows[r].top + gridRows[r].h + 18 + BUS_GAP * index;
    const xs = tapped[r].map((d) => bottom(d).x);
    for (const d of tapped[r]) {
      out.taps.push({
        device: d.id,
        bus: id,
        from: bottom(d),
        at: { x: bottom(d).x, y },
        kind: "uplink",
      });
    }
    rows.push({
      y,
      x0: xs.length ? Math.min(...xs) - 12 : joinX,
      x1: joined ? joinX : Math.max(...xs) + 12,
    });
  }
  const subnet = nics.map(nicOn).flatMap((d) => d!.addresses.map((a) => a.masked().toString()))[0];
  const lastRow = rows[rows.length - 1];
  return [{
    id,
    kind: "segment",
    name: seg.name,
    label: [`${seg.name}`, subnet, `MTU ${seg.mtu}`].filter(Boolean).join(" · "),
    labelAt: { x: MARGIN, y: lastRow.y + 22 },
    rows,
    joinX: joined ? joinX : lastRow.x1,
  }];
}

function vethLinks(world: World, out: Out): LinkPlace[] {
  const links: LinkPlace[] = [];
  for (const ns of world.namespaces) {
    for (const d of ns.devices) {
      if (d.kind !== "veth") continue;
      const a = deviceId({ namespace: ns.name, device: d.name });
      const b = deviceId(d.peer);
      if (a > b) continue;
      const pa = byId(out.devices, a);
      const pb = byId(out.devices, b);
      if (!pa || !pb) continue;
      const [top, low] = pa.y <= pb.y ? [pa, pb] : [pb, pa];
      const points = low.y >= top.y + top.h ? elbow(bottom(top), { x: center(low).x, y: low.y }) : [
        center(top),
        center(low),
      ];
      links.push({
        id: `veth:${a}|${b}`,
        kind: "veth",
        from: top.id,
        to: low.id,
        points,
      });
    }
  }
  return links;
}

/** Down, across and down again from `a` to `b`; straight down when they line up. */
function elbow(a: Point, b: Point): Point[] {
  if (Math.abs(a.x - b.x) < 0.5) return [a, { x: a.x, y: b.y }];
  const mid = (a.y + b.y) / 2;
  return [a, { x: a.x, y: mid }, { x: b.x, y: mid }, b];
}

function tapLinks(out: Out): LinkPlace[] {
  return out.taps.map((t) => ({
    id: `${t.kind}:${t.device}`,
    kind: t.kind,
    from: t.device,
    to: t.bus,
    points: [t.from, t.at],
  }));
}

function tunnelLinks(world: World, out: Out): LinkPlace[] {
  const links: LinkPlace[] = [];
  const seen = new Set<string>();
  for (const ns of world.namespaces) {
    for (const d of ns.devices) {
      if (d.kind !== "vxlan") continue;
      for (const entry of d.fdb) {
        const far = world.namespaces.find((n) =>
          n.name !== ns.name && n.devices.some((x) => x.addresses.some((a) => a.addr === entry.dst))
        );
        const peer = far?.devices.find((x) =>
          x.kind === "vxlan" && x.vni === d.vni && x.dstport === d.dstport
        );
        if (!far || !peer) continue;
        const ids = [
          deviceId({ namespace: ns.name, device: d.name }),
          deviceId({
            namespace: far.name,
            device: peer.name,
          }),
        ].sort();
        const id = `tunnel:${ids[0]}|${ids[1]}`;
        const pa = byId(out.devices, ids[0]);
        const pb = byId(out.devices, ids[1]);
        if (seen.has(id) || !pa || !pb) continue;
        seen.add(id);
        links.push({
          id,
          kind: "tunnel",
          from: ids[0],
          to: ids[1],
          points: tunnelRoute(out, pa, pb),
          label: `VXLAN VNI ${d.vni} · UDP ${d.dstport}`,
        });
      }
    }
  }
  return links;
}

/**
 * A tunnel drawn as a pipe beside the underlay it rides on: down from one
 * VXLAN device, along the segment bus (a few units below it), up to the other.
 * Straight from device to device when their namespaces share no segment.
 */
function tunnelRoute(out: Out, a: DevicePlace, b: DevicePlace): Point[] {
  const uplink = (ns: string) =>
    out.taps.find((t) => t.kind === "uplink" && t.device.startsWith(`${ns}/`));
  const ta = uplink(a.namespace);
  const tb = uplink(b.namespace);
  const bus = ta && tb && ta.bus === tb.bus ? out.buses.find((x) => x.id === ta.bus) : undefined;
  if (!ta || !tb || !bus) return [center(a), center(b)];
  const run = alongBus(bus, { x: bottom(a).x, y: ta.at.y }, { x: bottom(b).x, y: tb.at.y })
    .map((p) => ({ x: p.x + (p.x === bus.joinX ? 7 : 0), y: p.y + 7 }));
  return [bottom(a), ...run, bottom(b)];
}

// --- a trace on the picture ------------------------------------------------------

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

/** The route along a bus from one tap point to another. */
function alongBus(bus: BusPlace, a: Point, b: Point): Point[] {
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
