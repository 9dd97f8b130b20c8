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
import type { World } from "../model/world.js";
import { flow, hostPiece, nodePiece } from "./boxes.js";
import {
  alongBus,
  bottom,
  BUS_GAP,
  busId,
  type BusPlace,
  type BusRow,
  byId,
  center,
  type Ctx,
  deviceId,
  type DevicePlace,
  JOIN_STRIP,
  type Layout,
  type LayoutOptions,
  type LinkPlace,
  MARGIN,
  type Out,
  type Piece,
  type Point,
  textWidth,
} from "./geometry.js";

export {
  type Badge,
  type BoxKind,
  type BoxPlace,
  busId,
  type BusPlace,
  type BusRow,
  containerBoxId,
  deviceId,
  type DevicePlace,
  FONT_SIZE,
  type Layout,
  type LayoutOptions,
  LINE_HEIGHT,
  type LinkKind,
  type LinkPlace,
  namespaceBoxId,
  podBoxId,
  type Point,
  type Rect,
  textWidth,
} from "./geometry.js";
export { type PathPiece, type TracePath, tracePath } from "./path.js";

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
