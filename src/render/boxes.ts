/**
 * Measuring the boxes of a diagram: a device's chip, a container, a pod
 * with its `lo` and `eth0`, a node with its pods, their veth host ends,
 * the bridge bus and its own devices, and any other namespace (a router,
 * an external client). Each is a `Piece` that knows its size and, when
 * placed, writes its shapes; `layout.ts` places them in a grid.
 *
 * @module
 */
import { podIp } from "../world/query.js";
import type { Device, Namespace, Pod } from "../model/world.js";
import {
  type Badge,
  bottom,
  BOX_PAD,
  type BoxKind,
  BUS_GAP,
  busId,
  type BusRow,
  byId,
  CHAR,
  CHIP_PAD,
  containerBoxId,
  type Ctx,
  deviceId,
  GAP,
  JOIN_STRIP,
  LINE_HEIGHT,
  namespaceBoxId,
  type Out,
  type Piece,
  podBoxId,
  type Tap,
  textWidth,
  TITLE_H,
  word,
  WORDS,
} from "./geometry.js";

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
export function flow(
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

/** A node: its pods with their veth host ends, the bridge bus, then its own devices. */
export function nodePiece(ctx: Ctx, nodeName: string, maxWidth: number): Piece {
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
export function hostPiece(ctx: Ctx, ns: Namespace, maxWidth: number): Piece {
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
