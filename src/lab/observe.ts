/**
 * What a probe did, in one shape for both sides of the comparison: the
 * kernel's trace turned into an expected {@linkcode Outcome}, and Linux's
 * behaviour (ping's output, the lab agents' reports, frames captured on the
 * underlay) turned into an observed one. Pure: parsing and comparing need
 * no Deno APIs, so they are unit-tested without root.
 *
 * @module
 */
import type { Trace } from "../trace/types.js";
import { decodeFrame, vxlanDecapsulate, type WireError } from "../wire/mod.js";
import type { LabPlan } from "./export.js";

/** What the sender of a probe saw. */
export type SenderView =
  | { readonly kind: "reply"; readonly from: string }
  | {
    readonly kind: "icmp";
    readonly what: "net" | "host" | "port" | "frag" | "admin" | "ttl";
    readonly from: string;
    readonly mtu?: number;
  }
  | { readonly kind: "local-error"; readonly errno: string; readonly mtu?: number }
  | { readonly kind: "nothing" };

/** A namespace whose stack (ICMP) or listening socket (UDP) took the probe. */
export interface Reception {
  /** The model's namespace name. */
  readonly namespace: string;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
}

/** A packet of the probe crossing an underlay segment. */
export interface Crossing {
  readonly segment: string;
  /** The segment bridge port it entered by (which node put it on the wire). */
  readonly port: string;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  /** Set when the packet is VXLAN: outer UDP port, VNI and the inner header. */
  readonly vxlan?: {
    readonly dport: number;
    readonly vni: number;
    readonly inner: { readonly src: string; readonly dst: string; readonly ttl: number };
  };
}

/** What happened to a probe. */
export interface Outcome {
  readonly receptions: readonly Reception[];
  /** `undefined` on the kernel side when the model predicts nothing for the sender. */
  readonly sender?: SenderView;
  readonly crossings: readonly Crossing[];
}

// --- the kernel's side ----------------------------------------------------------

/**
 * The outcome a trace predicts. A delivered packet reaches exactly its
 * namespace (the sender's view is not predicted: the model traces one
 * direction); a wrong-pod drop reaches the wrong pod, which answers; any
 * other drop reaches nobody and the sender sees what the trace says. Every
 * underlay hop is a crossing.
 *
 * @param trace The kernel's trace.
 * @param plan The lab plan (for the names of segment ports).
 * @returns The expected outcome.
 * @example
 * ```ts
 * import { buildWorld, trace, unwrap } from "../mod.js";
 * import { exportLab } from "./export.js";
 * import { expectedOutcome } from "./observe.js";
 * const world = unwrap(buildWorld({ mode: "vxlan" }), (e) => e.message);
 * const plan = unwrap(exportLab(world), (e) => e.message);
 * const t = unwrap(trace(world, { from: "a", to: "d" }), (e) => e.message);
 * expectedOutcome(t, plan).crossings[0].vxlan?.dport; // 8472
 * ```
 */
export function expectedOutcome(trace: Trace, plan: LabPlan): Outcome {
  const v = trace.verdict;
  const crossings = trace.hops.flatMap((hop): Crossing[] => {
    if (hop.at.kind !== "segment") return [];
    const step = hop.steps.find((s) => s.kind === "segment");
    if (step?.kind !== "segment") return [];
    const seg = plan.segments.find((s) => s.name === hop.at.name);
    const port = seg?.ports.find((p) =>
      p.nic.namespace === step.from.namespace && p.nic.name === step.from.device
    )?.port ?? "?";
    const p = hop.before;
    const inner = p.vxlan?.inner.ip;
    return [{
      segment: hop.at.name,
      port,
      src: String(p.ip.src),
      dst: String(p.ip.dst),
      ttl: p.ip.ttl,
      ...(p.vxlan && inner
        ? {
          vxlan: {
            dport: p.ip.dport ?? 0,
            vni: p.vxlan.vni,
            inner: { src: String(inner.src), dst: String(inner.dst), ttl: inner.ttl },
          },
        }
        : {}),
    }];
  });
  if (v.kind === "delivered") {
    return {
      receptions: [{
        namespace: v.namespace,
        src: String(v.src),
        dst: String(v.dst),
        ttl: v.ttl,
      }],
      crossings,
    };
  }
  const last = trace.hops[trace.hops.length - 1]?.after.ip;
  // The wrong pod, or a Service's endpoint whose reply is lost, did receive the packet.
  const received = v.drop.reason === "wrong-pod" || v.drop.reason === "reply-lost";
  const receptions: Reception[] = received && last
    ? [{ namespace: v.namespace, src: String(last.src), dst: String(last.dst), ttl: last.ttl }]
    : [];
  const s = v.senderSees;
  const sender: SenderView | undefined = s.kind === "nothing"
    ? { kind: "nothing" }
    : s.kind === "reply"
    ? { kind: "reply", from: String(s.from) }
    : s.kind === "local-error"
    ? { kind: "local-error", errno: s.errno, ...(s.mtu ? { mtu: s.mtu } : {}) }
    : s.kind === "icmp"
    ? {
      kind: "icmp",
      what: icmpWhat(s.code),
      from: String(s.from),
      ...(s.mtu ? { mtu: s.mtu } : {}),
    }
    : undefined;
  return { receptions, sender, crossings };
}

function icmpWhat(code: string): Extract<SenderView, { kind: "icmp" }>["what"] {
  switch (code) {
    case "fragmentation-needed":
      return "frag";
    case "admin-prohibited":
      return "admin";
    case "net":
    case "host":
    case "port":
    case "ttl":
      return code;
    default:
      return "admin";
  }
}

// --- Linux's side -----------------------------------------------------------------

/**
 * Reads what ping printed for one echo request (`ping -c1`).
 *
 * @param output ping's stdout and stderr.
 * @returns The sender's view; `nothing` when ping only timed out.
 * @example
 * ```ts
 * import { parsePing } from "./observe.js";
 * parsePing("From 10.244.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)");
 * // { kind: "icmp", what: "frag", from: "10.244.1.1", mtu: 1400 }
 * ```
 */
export function parsePing(output: string): SenderView {
  const reply = /bytes from ([0-9.]+):/.exec(output);
  if (reply) return { kind: "reply", from: reply[1] };
  const from = /From ([0-9.]+)(?: \([0-9.]+\))?:? icmp_seq=\d+ (.*)/.exec(output);
  if (from) {
    const text = from[2];
    const mtu = /mtu = (\d+)/.exec(text);
    const what = /Net Unreachable/.test(text)
      ? "net"
      : /Host Unreachable/.test(text)
      ? "host"
      : /Port Unreachable/.test(text)
      ? "port"
      : /Frag needed/.test(text)
      ? "frag"
      : /Time to live exceeded/.test(text)
      ? "ttl"
      : /Prohibited|Packet filtered/.test(text)
      ? "admin"
      : undefined;
    if (what) return { kind: "icmp", what, from: from[1], ...(mtu ? { mtu: Number(mtu[1]) } : {}) };
  }
  const local = /message too long, mtu=(\d+)/.exec(output);
  if (local) return { kind: "local-error", errno: "EMSGSIZE", mtu: Number(local[1]) };
  const errors: [RegExp, string][] = [
    [/Message too long/, "EMSGSIZE"],
    [/Network is unreachable/, "ENETUNREACH"],
    [/No route to host/, "EHOSTUNREACH"],
    [/Invalid argument/, "EINVAL"],
    [/Permission denied|Operation not permitted|Do you want to ping broadcast/, "EACCES"],
    [/No buffer space available/, "ENOBUFS"],
    [/Connection refused/, "ECONNREFUSED"],
  ];
  for (const [re, errno] of errors) if (re.test(output)) return { kind: "local-error", errno };
  return { kind: "nothing" };
}

/** A line the lab agent prints (see `agent.ts`). */
export type AgentReport =
  | { readonly t: "ready" }
  | {
    readonly t: "icmp";
    readonly src: string;
    readonly dst: string;
    readonly ttl: number;
    readonly id: number;
  }
  | {
    readonly t: "udp";
    readonly port: number;
    readonly src: string;
    readonly sport: number;
    readonly dst: string;
    readonly ttl: number;
  }
  | { readonly t: "frame"; readonly dev: string; readonly hex: string }
  | { readonly t: "lost"; readonly n: number };

/** What the UDP sender of the agent printed. */
export type UdpSenderReport =
  | { readonly kind: "reply"; readonly from: string }
  | {
    readonly kind: "icmp";
    readonly type: number;
    readonly code: number;
    readonly from: string;
    readonly mtu: number;
  }
  | { readonly kind: "local-error"; readonly errno: string; readonly mtu?: number }
  | { readonly kind: "nothing" };

/**
 * Turns the agent's UDP sender report into a sender's view (ICMP type and
 * code to words, as ping prints them).
 *
 * @param r The report.
 * @returns The view.
 */
export function udpSenderView(r: UdpSenderReport): SenderView {
  if (r.kind !== "icmp") {
    return r.kind === "local-error"
      ? { kind: "local-error", errno: r.errno, ...(r.mtu ? { mtu: r.mtu } : {}) }
      : r;
  }
  const what = r.type === 11 ? "ttl" : r.type !== 3 ? undefined : ({
    0: "net",
    1: "host",
    3: "port",
    4: "frag",
    9: "admin",
    10: "admin",
    13: "admin",
  } as const)[r.code];
  if (what === undefined) {
    return { kind: "icmp", what: "admin", from: `${r.from} (type ${r.type} code ${r.code})` };
  }
  return { kind: "icmp", what, from: r.from, ...(what === "frag" ? { mtu: r.mtu } : {}) };
}

/** A frame captured on a segment, read down to the probe's key. */
export interface CapturedFrame {
  readonly crossing: Omit<Crossing, "segment">;
  /** ICMP echo id or UDP source port of the innermost packet (undefined: not a probe). */
  readonly key?: { readonly proto: "icmp" | "udp"; readonly value: number };
  /** A problem podnet's wire decoders found with a frame Linux sent. */
  readonly wireProblem?: string;
}

const u16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const ipText = (b: Uint8Array, i: number) => `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;

/**
 * Reads a captured frame: outer IPv4, VXLAN when the UDP destination port
 * is one of `vxlanPorts`, and the probe's key in the innermost packet. An
 * unfragmented frame is also run through podnet's own wire decoders.
 *
 * @param hex The frame in hexadecimal, from the destination MAC on.
 * @param port The bridge port it entered by.
 * @param vxlanPorts UDP ports that carry VXLAN in this world.
 * @returns The crossing and key, or `undefined` for a frame that is not IPv4.
 */
export function readFrame(
  hex: string,
  port: string,
  vxlanPorts: ReadonlySet<number>,
): CapturedFrame | undefined {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const outer = readIp(bytes, 14);
  if (outer === undefined) return undefined;
  const crossing = { port, src: outer.src, dst: outer.dst, ttl: outer.ttl };
  const l4 = 14 + outer.ihl;
  if (outer.proto === 17 && outer.first && vxlanPorts.has(u16(bytes, l4 + 2))) {
    const vni = (bytes[l4 + 12] << 16) | (bytes[l4 + 13] << 8) | bytes[l4 + 14];
    const inner = readIp(bytes, l4 + 8 + 8 + 14);
    if (inner === undefined) return { crossing };
    const wireProblem = outer.fragmented ? undefined : checkWire(bytes, true);
    return {
      crossing: {
        ...crossing,
        vxlan: {
          dport: u16(bytes, l4 + 2),
          vni,
          inner: { src: inner.src, dst: inner.dst, ttl: inner.ttl },
        },
      },
      key: keyOf(bytes, l4 + 16 + 14, inner),
      ...(wireProblem ? { wireProblem } : {}),
    };
  }
  const wireProblem = outer.fragmented ? undefined : checkWire(bytes, false);
  return { crossing, key: keyOf(bytes, 14, outer), ...(wireProblem ? { wireProblem } : {}) };
}

interface IpFields {
  readonly ihl: number;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly proto: number;
  /** Fragment offset 0 (the transport header is here). */
  readonly first: boolean;
  readonly fragmented: boolean;
}

function readIp(b: Uint8Array, at: number): IpFields | undefined {
  if (b.length < at + 20 || u16(b, at - 2) !== 0x0800 || b[at] >> 4 !== 4) return undefined;
  const flags = u16(b, at + 6);
  const offset = flags & 0x1fff;
  return {
    ihl: (b[at] & 15) * 4,
    src: ipText(b, at + 12),
    dst: ipText(b, at + 16),
    ttl: b[at + 8],
    proto: b[at + 9],
    first: offset === 0,
    fragmented: offset !== 0 || (flags & 0x2000) !== 0,
  };
}

function keyOf(b: Uint8Array, ipAt: number, ip: IpFields): CapturedFrame["key"] {
  const l4 = ipAt + ip.ihl;
  if (!ip.first || b.length < l4 + 8) return undefined;
  if (ip.proto === 1 && b[l4] === 8) return { proto: "icmp", value: u16(b, l4 + 4) };
  if (ip.proto === 17) return { proto: "udp", value: u16(b, l4) };
  return undefined;
}

/**
 * Runs a captured frame through podnet's decoders. Checksums are not
 * checked: a frame captured on a veth still carries the partial checksum of
 * checksum offload (the kernel never fills it in on virtual devices).
 */
function checkWire(bytes: Uint8Array, vxlan: boolean): string | undefined {
  const problem = (e: WireError, where = "") =>
    e.problem === "bad-checksum" ? undefined : `${where}${e.message}`;
  if (!vxlan) {
    const f = decodeFrame(bytes);
    return f.ok ? undefined : problem(f.error);
  }
  const d = vxlanDecapsulate(bytes);
  if (!d.ok) return problem(d.error);
  const inner = readIp(d.value.inner, 14);
  if (inner?.fragmented) return undefined;
  const f = decodeFrame(d.value.inner);
  return f.ok ? undefined : problem(f.error, "inner frame: ");
}

// --- comparing ----------------------------------------------------------------------

/**
 * Where the kernel's expected outcome and Linux's observed one differ.
 *
 * @param kernel The expected outcome.
 * @param linux The observed outcome.
 * @returns One line per difference; empty when they agree.
 * @example
 * ```ts
 * import { differences } from "./observe.js";
 * const same = { receptions: [], sender: { kind: "nothing" as const }, crossings: [] };
 * differences(same, same); // []
 * ```
 */
export function differences(kernel: Outcome, linux: Outcome): string[] {
  const out: string[] = [];
  const k = formatReceptions(kernel.receptions);
  const l = formatReceptions(linux.receptions);
  if (k !== l) out.push(`receiver: kernel ${k}, linux ${l}`);
  if (kernel.sender !== undefined && linux.sender !== undefined) {
    const ks = formatSender(kernel.sender);
    const ls = formatSender(linux.sender);
    if (ks !== ls) out.push(`sender: kernel ${ks}, linux ${ls}`);
  }
  const kc = kernel.crossings.map(formatCrossing).sort().join("; ");
  const lc = linux.crossings.map(formatCrossing).sort().join("; ");
  if (kc !== lc) out.push(`underlay: kernel ${kc || "none"}, linux ${lc || "none"}`);
  return out;
}

/** Receptions in one phrase. */
export function formatReceptions(rs: readonly Reception[]): string {
  if (rs.length === 0) return "nobody";
  return rs.map((r) => `${r.namespace} (${r.src} → ${r.dst}, ttl ${r.ttl})`).sort().join(" + ");
}

/** A sender's view in one phrase. */
export function formatSender(s: SenderView): string {
  switch (s.kind) {
    case "reply":
      return `reply from ${s.from}`;
    case "icmp":
      return `icmp ${s.what}${s.mtu ? ` mtu ${s.mtu}` : ""} from ${s.from}`;
    case "local-error":
      return `${s.errno}${s.mtu ? ` mtu ${s.mtu}` : ""}`;
    case "nothing":
      return "timeout";
  }
}

/** A crossing in one phrase. */
export function formatCrossing(c: Crossing): string {
  const outer = `${c.segment}/${c.port} ${c.src} → ${c.dst} ttl ${c.ttl}`;
  if (!c.vxlan) return outer;
  const i = c.vxlan.inner;
  return `${outer} udp/${c.vxlan.dport} vni ${c.vxlan.vni} [${i.src} → ${i.dst} ttl ${i.ttl}]`;
}

/** An outcome in one short phrase for a table cell. */
export function formatOutcome(o: Outcome): string {
  const parts = [formatReceptions(o.receptions)];
  if (o.sender) parts.push(`sender: ${formatSender(o.sender)}`);
  const vx = o.crossings.filter((c) => c.vxlan);
  if (vx.length > 0) {
    parts.push(
      vx.map((c) => `vxlan ${c.src}→${c.dst}:${c.vxlan!.dport} vni ${c.vxlan!.vni}`).join(", "),
    );
  }
  return parts.join("; ");
}

/** Parses one agent line; `undefined` for anything else. */
export function parseAgentLine(line: string): AgentReport | undefined {
  try {
    const v = JSON.parse(line);
    return typeof v === "object" && v !== null && typeof v.t === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}
