/**
 * The topology diagram: an SVG drawn from a kernel world by way of the
 * kernel's pure layout (src/render/layout.ts), with a trace's path on top.
 *
 * @module
 */
import * as kernel from "../kernel/mod.js";
import type { Badge, Layout, Point, Trace, TracePath, World } from "../kernel/mod.js";
import { type Lang, say, UI } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";

type Attrs = Record<string, string | number | undefined>;

/** An SVG element with attributes and children. */
export function s(tag: string, attrs: Attrs = {}, ...children: (Node | string)[]): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

const pts = (points: readonly Point[]) => points.map((p) => `${p.x},${p.y}`).join(" ");

/** What to draw besides the world. */
export interface DiagramOptions {
  readonly lang: Lang;
  /** The trace whose path to show. */
  readonly trace?: Trace;
  /** Show the path up to this hop (default: the whole path). */
  readonly hop?: number;
  /** The width to fit (Framework's `width`). */
  readonly width?: number;
  /** Prefix of the `data-testid`. */
  readonly id?: string;
  /** Write each device's MTU on its chip. */
  readonly showMtu?: boolean;
}

/**
 * Draws a world: nodes, routers, pods, containers (pause included), every
 * device with its addresses, veth pairs, bridges and the underlay as buses,
 * VXLAN tunnels as dashed pipes; and, given a trace, the packet's path up to
 * `hop`, with a ✓ or ✗ where it ended.
 *
 * @param world The world.
 * @param options Language, trace, hop, width, test id.
 * @returns An `<svg>` whose device groups carry `data-device="namespace/device"`.
 */
export function topologyDiagram(world: World, options: DiagramOptions): SVGSVGElement {
  const { lang, trace } = options;
  const layout = kernel.layoutWorld(world, {
    lang,
    width: options.width,
    showMtu: options.showMtu,
  });
  const path = trace ? kernel.tracePath(layout, trace) : undefined;
  const hop = options.hop ?? (trace ? trace.hops.length - 1 : -1);
  const svg = s("svg", {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    class: "pn-diagram",
    role: "img",
    "aria-label": describeDiagram(world, trace, lang),
    "data-testid": options.id ? `${options.id}-diagram` : undefined,
    "data-world": world.name,
  }) as SVGSVGElement;
  svg.append(
    drawHosts(layout, path, hop),
    drawBuses(layout),
    drawLinks(layout, path, hop),
    drawPath(path, hop),
    drawContainers(layout, path, hop),
    drawDevices(layout, path, hop),
    drawEnd(path, hop),
  );
  return svg;
}

/**
 * The diagram in words, for a screen reader: which nodes and routers, which
 * pods on which node, the bridges and VXLAN devices, and where the traced
 * packet went ("Topology: node node-1 with pods a, b and bridge cni0; …;
 * traced a → c: delivered to pod c, source 10.244.1.2, TTL 62").
 *
 * @param world The world drawn.
 * @param trace The trace drawn on it, if any.
 * @param lang The page's language.
 * @returns One paragraph.
 */
export function describeDiagram(world: World, trace: Trace | undefined, lang: Lang): string {
  const en = lang === "en";
  const parts = world.namespaces.filter((n) => n.role !== "pod").map((n) => {
    const pods = world.pods.filter((p) => p.node === n.name).map((p) => p.name);
    const bridges = n.devices.filter((d) => d.kind === "bridge")
      .map((d) => d.name);
    const vxlan = n.devices.filter((d) => d.kind === "vxlan").map((d) => d.name);
    const words = [
      pods.length ? (en ? `pods ${pods.join(", ")}` : `파드 ${pods.join(", ")}`) : "",
      bridges.length ? (en ? `bridge ${bridges.join(", ")}` : `브리지 ${bridges.join(", ")}`) : "",
      vxlan.length ? `VXLAN ${vxlan.join(", ")}` : "",
    ].filter(Boolean);
    const role = n.role === "node"
      ? (en ? "node" : "노드")
      : n.role === "client"
      ? (en ? "external client" : "외부 클라이언트")
      : en
      ? "router"
      : "라우터";
    return `${role} ${n.name}${words.length ? ` (${words.join("; ")})` : ""}`;
  });
  const underlay = world.segments.map((g) => `${en ? "underlay" : "언더레이"} ${g.name}`);
  const traced = trace
    ? `${en ? "traced" : "추적"} ${trace.probe.from.pod ?? trace.probe.from.namespace} → ${
      trace.probe.to.pod ?? trace.probe.to.addr
    }: ${kernel.describeVerdict(trace.verdict, lang)}`
    : "";
  return `${say(lang, UI.diagram)}: ${[...parts, ...underlay, traced].filter(Boolean).join("; ")}`;
}

function title(text: string): SVGElement {
  return s("title", {}, text);
}

function boxTitle(
  x: number,
  y: number,
  main: string,
  detail?: string,
  badges: readonly Badge[] = [],
  badgesBelow = false,
) {
  const t = s("text", { x, y, class: "pn-box-title" }, s("tspan", { class: "pn-strong" }, main));
  if (detail) t.append(s("tspan", { dx: 8, class: "pn-faint" }, detail));
  badges.forEach((b, i) => {
    const place = badgesBelow && i === 0 ? { x, dy: 14 } : { dx: 8 };
    t.append(s("tspan", { ...place, class: b.warn ? "pn-badge pn-warn" : "pn-badge" }, b.text));
  });
  return t;
}

function drawHosts(layout: Layout, path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-hosts" });
  for (const b of layout.boxes) {
    if (b.kind === "container") continue;
    const cls = `pn-box pn-box-${b.kind}${b.kind === "pod" && !b.live ? " pn-gone" : ""}` +
      visitClass(path, b.id, hop);
    g.append(
      s(
        "g",
        { class: cls, "data-box": b.id },
        s("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: b.kind === "pod" ? 6 : 9 }),
        boxTitle(b.x + 8, b.y + 14, b.title, b.detail, b.badges, b.badgesBelow),
      ),
    );
  }
  return g;
}

function drawBuses(layout: Layout): SVGElement {
  const g = s("g", { class: "pn-buses" });
  for (const bus of layout.buses) {
    const bg = s("g", { class: `pn-bus pn-bus-${bus.kind}`, "data-bus": bus.id });
    for (const r of bus.rows) bg.append(s("line", { x1: r.x0, y1: r.y, x2: r.x1, y2: r.y }));
    const ys = bus.rows.map((r) => r.y);
    if (bus.rows.length > 1) {
      bg.append(
        s("line", { x1: bus.joinX, y1: Math.min(...ys), x2: bus.joinX, y2: Math.max(...ys) }),
      );
    }
    if (bus.label && bus.labelAt) {
      bg.append(s("text", { x: bus.labelAt.x, y: bus.labelAt.y, class: "pn-faint" }, bus.label));
    }
    g.append(bg);
  }
  return g;
}

function drawLinks(layout: Layout, path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-links" });
  const crossed = new Set(path?.tunnels.filter((t) => t.hop <= hop).map((t) => t.link));
  for (const l of layout.links) {
    const cls = `pn-link pn-link-${l.kind}${crossed.has(l.id) ? " pn-crossed" : ""}`;
    const line = s("polyline", { points: pts(l.points), class: cls, "data-link": l.id });
    if (l.label) line.append(title(l.label));
    g.append(line);
    if (l.kind === "tunnel" && l.label && l.points.length >= 3) {
      const [a, b] = [l.points[1], l.points[2]];
      // Centred on its stretch of pipe, but never past the picture's edge (a narrow screen
      // stacks the nodes, and a centred label would lose its ends).
      const half = kernel.textWidth(l.label) / 2 + 2;
      const x = Math.max(half, Math.min(layout.width - half, (a.x + b.x) / 2));
      g.append(
        s("text", {
          x,
          y: a.y - 12,
          class: "pn-tunnel-label",
          "text-anchor": "middle",
        }, l.label),
      );
    }
  }
  return g;
}

function drawPath(path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-path", "data-hop": hop });
  const boxEnd = (id: string) => id.startsWith("pod:") || id.startsWith("ns:");
  for (const p of path?.pieces ?? []) {
    if (p.hop > hop || p.points.length < 2 || boxEnd(p.from) || boxEnd(p.to)) continue;
    const cls = `pn-piece${p.hop === hop ? " pn-now" : ""}${p.tunnel ? " pn-tunnelled" : ""}`;
    g.append(s("polyline", { points: pts(p.points), class: cls, "data-piece-hop": p.hop }));
  }
  return g;
}

/** Classes for a thing the path visits: visited before or at the current hop. */
function visitClass(path: TracePath | undefined, id: string, hop: number): string {
  const seen = path?.visits.filter((v) => v.id === id && v.hop <= hop) ?? [];
  if (seen.length === 0) return "";
  return seen.some((v) => v.hop === hop) ? " pn-visited pn-now" : " pn-visited";
}

function drawContainers(layout: Layout, path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-containers" });
  for (const b of layout.boxes) {
    if (b.kind !== "container") continue;
    const cls = `pn-ctr${b.pause ? " pn-ctr-pause" : ""}${b.live ? "" : " pn-ctr-exited"}` +
      visitClass(path, b.id, hop);
    g.append(
      s(
        "g",
        { class: cls, "data-container": `${b.pod}/${b.container}` },
        s("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 4 }),
        boxTitle(b.x + 6, b.y + 14, b.title, b.detail),
      ),
    );
  }
  return g;
}

function drawDevices(layout: Layout, path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-devices" });
  for (const d of layout.devices) {
    const cls = `pn-dev pn-kind-${d.kind}${d.up ? "" : " pn-down"}` + visitClass(path, d.id, hop);
    const text = s("text", { x: d.x + 6, y: d.y + 14 });
    d.lines.forEach((line, i) => {
      text.append(
        s("tspan", { x: d.x + 6, dy: i === 0 ? 0 : 13, class: i === 0 ? "pn-strong" : "" }, line),
      );
    });
    g.append(
      s(
        "g",
        { class: cls, "data-device": d.id },
        title(d.tooltip),
        s("rect", { x: d.x, y: d.y, width: d.w, height: d.h, rx: 4 }),
        text,
      ),
    );
  }
  return g;
}

function drawEnd(path: TracePath | undefined, hop: number): SVGElement {
  const g = s("g", { class: "pn-ends" });
  const end = path?.end;
  if (path?.target && end && !path.target.reached && hop >= end.hop) {
    const r = path.target.rect;
    g.append(
      s("rect", {
        x: r.x - 3,
        y: r.y - 3,
        width: r.w + 6,
        height: r.h + 6,
        rx: 8,
        class: "pn-target",
      }),
    );
  }
  if (end && hop >= end.hop) {
    const cls = end.delivered ? "pn-end pn-end-ok" : "pn-end pn-end-drop";
    g.append(
      s(
        "g",
        { class: cls, "data-end": end.id },
        s("circle", { cx: end.at.x, cy: end.at.y, r: 11 }),
        s(
          "text",
          { x: end.at.x, y: end.at.y + 5, "text-anchor": "middle" },
          end.delivered ? "✓" : "✗",
        ),
      ),
    );
  }
  return g;
}
