/**
 * A world as a shell script: the `ip netns`, `ip link`, `ip addr`,
 * `ip route`, `ip neigh`, `bridge fdb`, `sysctl` and `iptables` commands
 * that build the scenario on a Linux box, and the commands that remove it.
 *
 * Layout. Every namespace of the world becomes a network namespace called
 * `PREFIX + name`. Every underlay segment becomes a namespace of its own
 * (`PREFIX + "seg-" + name`) holding a bridge `br0`; each node NIC is a veth
 * whose far end (`port1`, `port2`, ...) is a port of that bridge, so the NIC
 * keeps the model's name, MAC and MTU. Devices are created directly inside
 * the lab's namespaces (`ip -n NS link add ... peer ... netns OTHER`): the
 * script never creates, moves, addresses or routes anything in the root
 * namespace.
 *
 * Pinned assumptions. A new network namespace copies its IPv4 settings from
 * the root namespace (with `net.core.devconf_inherit_init_net=0`), so a box
 * with `rp_filter=2` or `arp_ignore=1` would quietly behave unlike the
 * model. Every namespace therefore pins, before any device exists in it,
 * the sysctls listed in {@linkcode PINNED_SYSCTLS} plus its own
 * `ip_forward` and `ip_default_ttl`.
 *
 * Shell safety. Every command is an argv array built with `sh` (see
 * `shell.ts`): names, addresses and numbers are single-quoted words, never
 * bare text, and comments carry podnet's own text only. A world the
 * scenario loader refuses (a name outside its grammar, a control
 * character) is refused here too, so the script never holds it at all.
 *
 * Pure: no Deno APIs, so the lessons can show the script in a browser.
 *
 * @module
 */
import { type Mac, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { defaultMac } from "../world/names.js";
import { loadScenario } from "../scenario/load.js";
import { formatLoadError } from "../scenario/reader.js";
import { toScenario } from "../scenario/save.js";
import { formatRoute } from "../syntax/iproute.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { chainLines } from "../syntax/iptables.js";
import { tokenize } from "../syntax/tokens.js";
import {
  argvOf,
  type Command,
  type Comment,
  comment,
  concat,
  ignoringFailure,
  keywords,
  killingPids,
  quote,
  render,
  type ScriptLine,
  sh,
} from "./shell.js";
import { segmentMembers } from "../world/query.js";
import { connectedRoutes } from "../world/routes.js";
import type { Device, Namespace, Nic, Route, World } from "../model/world.js";

/** The prefix namespace names get when none is given. */
export const DEFAULT_PREFIX = "podnet-";

/** The bridge inside a segment's namespace. */
export const SEGMENT_BRIDGE = "br0";

/** A sysctl the lab pins, for the devices named by `{…}` in its key, and why. */
interface Pin {
  /** e.g. `net.ipv4.conf.{all,default,lo}.rp_filter`. */
  readonly key: string;
  readonly value: number;
  readonly why: string;
}

const PINS: readonly Pin[] = [
  {
    key: "net.ipv4.conf.{all,default,lo}.rp_filter",
    value: 0,
    why: "the model has no reverse-path filter",
  },
  {
    key: "net.ipv4.conf.{all,default,lo}.accept_local",
    value: 0,
    why: "a packet whose source is a local address is a martian (as the model says)",
  },
  {
    key: "net.ipv4.conf.{all,default,lo}.arp_ignore",
    value: 0,
    why: "any local address answers ARP on any interface (the weak host model)",
  },
  {
    key: "net.ipv4.conf.{all,default,lo}.arp_announce",
    value: 0,
    why: "ARP requests carry the packet's own source address",
  },
  {
    key: "net.bridge.bridge-nf-call-iptables",
    value: 0,
    why: "bridged frames do not traverse iptables in the model",
  },
  {
    key: "net.ipv4.icmp_ratemask",
    value: 0,
    why: "every dropped probe gets its ICMP error (Linux limits them per host)",
  },
  {
    key: "net.ipv4.conf.{all,default}.send_redirects",
    value: 0,
    why: "the model sends no ICMP redirects",
  },
  { key: "net.ipv6.conf.{all,default}.disable_ipv6", value: 1, why: "the model is IPv4 only" },
  {
    key: "net.ipv4.conf.{all,default}.proxy_arp",
    value: 0,
    why: "no proxy ARP but on the devices the model turns it on for",
  },
];

/**
 * Sysctls every lab namespace pins (besides `ip_forward` and
 * `ip_default_ttl`, which come from the model), each with the reason.
 * `-e` makes `sysctl` skip keys the box does not have (the bridge keys
 * exist only while `br_netfilter` is loaded).
 */
export const PINNED_SYSCTLS: readonly Pin[] = PINS.flatMap((p) => {
  const m = /^(.*)\{(.*)\}(.*)$/.exec(p.key);
  return m ? m[2].split(",").map((dev) => ({ ...p, key: `${m[1]}${dev}${m[3]}` })) : [p];
});

/** What {@linkcode exportLab} needs besides the world. */
export interface ExportOptions {
  /** Put before every namespace name (default {@linkcode DEFAULT_PREFIX}). */
  readonly prefix?: string;
}

/** An underlay segment as the lab builds it. */
export interface LabSegment {
  /** The segment's name in the model. */
  readonly name: string;
  /** The Linux namespace holding its bridge. */
  readonly namespace: string;
  /** The bridge's name inside that namespace. */
  readonly bridge: string;
  /** Bridge ports and the node NIC at the other end of each. */
  readonly ports: readonly { readonly port: string; readonly nic: Nic }[];
}

/** The lab for one world: names, and the commands that build and remove it. */
export interface LabPlan {
  readonly prefix: string;
  /** Linux namespace name of every model namespace. */
  readonly namespaces: Readonly<Record<string, string>>;
  readonly segments: readonly LabSegment[];
  /** Shell command lines (and `#` comments) that build the lab, in order. */
  readonly up: readonly string[];
  /** Shell command lines that remove it; each is safe to run twice. */
  readonly down: readonly string[];
  /** The same lines as argv arrays: what a shell runs for `up` and `down`. */
  readonly commands: { readonly up: readonly ScriptLine[]; readonly down: readonly Command[] };
}

/** Why a world could not be exported. */
export interface ExportError {
  readonly subject: string;
  readonly message: string;
}

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/**
 * Plans the lab for a world: Linux names and the up and down commands.
 *
 * @param world The world to build.
 * @param options The namespace-name prefix.
 * @returns The plan, or what stops the world from being exported.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { exportLab } from "./export.js";
 * const world = unwrap(buildWorld({ mode: "host-gw" }), (e) => e.message);
 * const plan = unwrap(exportLab(world, { prefix: "demo-" }), (e) => e.message);
 * plan.namespaces["node-1"]; // "demo-node-1"
 * plan.up.includes("ip netns add demo-pod-a"); // true
 * ```
 */
export function exportLab(world: World, options: ExportOptions = {}): Result<LabPlan, ExportError> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!PREFIX.test(prefix)) {
    return err({
      subject: "prefix",
      message: `Prefix ${
        JSON.stringify(prefix)
      } must be 1-32 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    });
  }
  const loaded = loadScenario(toScenario(world));
  if (!loaded.ok) {
    return err({
      subject: "scenario",
      message: `The scenario loader refuses this world: ${formatLoadError(loaded.error[0])}`,
    });
  }
  const unknown = world.namespaces.find((ns) => ns.unmodelled?.length);
  if (unknown) {
    return err({
      subject: `namespace ${unknown.name}`,
      message: `It holds ${unknown.unmodelled!.length} thing(s) podnet does not model (first: ${
        unknown.unmodelled![0].what
      }); the lab builds only what the model knows`,
    });
  }
  const namespaces: Record<string, string> = {};
  for (const ns of world.namespaces) namespaces[ns.name] = prefix + ns.name;
  const segments: LabSegment[] = world.segments.map((s) => ({
    name: s.name,
    namespace: `${prefix}seg-${s.name}`,
    bridge: SEGMENT_BRIDGE,
    ports: segmentMembers(world, s.name).map((nic, i) => ({ port: `port${i + 1}`, nic })),
  }));
  const taken = new Set(Object.values(namespaces));
  const clash = segments.find((s) => taken.has(s.namespace));
  if (clash) {
    return err({
      subject: `segment ${clash.name}`,
      message: `Namespace name ${clash.namespace} is also a world namespace's name`,
    });
  }
  const all = [...Object.values(namespaces), ...segments.map((s) => s.namespace)];
  const up: ScriptLine[] = [
    comment(`podnet lab: ${all.length} namespaces`),
    comment("namespaces"),
    ...all.map((n) => sh`ip netns add ${n}`),
    ...pinnedLines(),
    ...world.namespaces.map((ns) => sysctlLine(namespaces[ns.name], ns)),
    ...segments.map((s) => sysctlLine(s.namespace)),
    ...segments.flatMap((s) => segmentLines(world, s)),
    ...world.namespaces.flatMap((ns) => namespaceLines({ world, names: namespaces, segments }, ns)),
  ];
  const down: Command[] = [
    ...all.map((n) => killingPids(sh`ip netns pids ${n}`)),
    ...all.map((n) => ignoringFailure(sh`ip netns del ${n}`)),
  ];
  return ok({
    prefix,
    namespaces,
    segments,
    up: up.map(render),
    down: down.map(render),
    commands: { up, down },
  });
}

/**
 * The argv arrays a shell runs for `sh lab.sh up` (after its check that
 * no namespace with the prefix exists) or `sh lab.sh down`: what the
 * script means to run, for tests that run it with stand-in programs.
 *
 * @param plan A plan.
 * @param phase `up` or `down`.
 * @returns One argv per command (a `down` line runs `ip` and then `xargs`).
 */
export function intendedArgv(plan: LabPlan, phase: "up" | "down"): string[][] {
  if (phase === "up") {
    return plan.commands.up.flatMap((l) => (l.kind === "command" ? [argvOf(l)] : []));
  }
  return plan.commands.down.flatMap((c) =>
    c.then === "kill-pids" ? [argvOf(c), ["xargs", "-r", "kill", "-9"]] : [argvOf(c)]
  );
}

/**
 * The whole lab as one POSIX shell script: `sh lab.sh up` builds it (and
 * removes what it built if a command fails or it is interrupted),
 * `sh lab.sh down` removes it.
 *
 * @param world The world to build.
 * @param options The namespace-name prefix.
 * @returns The script text, or what stops the world from being exported.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { exportScript } from "./export.js";
 * const world = unwrap(buildWorld({ mode: "vxlan" }), (e) => e.message);
 * const script = exportScript(world);
 * if (script.ok) console.log(script.value.split("\n").length, "lines");
 * ```
 */
export function exportScript(
  world: World,
  options: ExportOptions = {},
): Result<string, ExportError> {
  const plan = exportLab(world, options);
  if (!plan.ok) return plan;
  return ok(scriptOf(plan.value));
}

/**
 * Renders a plan as a shell script with `up` and `down` functions.
 *
 * @param plan A plan from {@linkcode exportLab}.
 * @returns The script text.
 */
export function scriptOf(plan: LabPlan): string {
  const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}`).join("\n");
  return [
    "#!/bin/sh",
    `# Generated by podnet (deno task export). Run as root on Linux:`,
    `#   sh lab.sh up     build the lab in network namespaces (see ip netns add below)`,
    `#   sh lab.sh down   remove them again`,
    "# Every device lives in a namespace this script creates; nothing is added to the",
    "# root namespace.",
    "set -eu",
    "",
    "up() {",
    indent(plan.up),
    "}",
    "",
    "down() {",
    indent(plan.down),
    "}",
    "",
    'case "${1:-}" in',
    "  up)",
    `    if ip netns list | grep -q -e ${quote(`^${plan.prefix.replaceAll(".", "\\.")}`)}; then`,
    `      echo ${
      quote(
        `podnet lab: namespaces named ${plan.prefix}* exist already; remove them (sh lab.sh down) or choose another prefix`,
      )
    } >&2`,
    "      exit 1",
    "    fi",
    `    trap 'echo "podnet lab: setup failed; removing what was built" >&2; down' EXIT`,
    "    trap 'exit 130' INT TERM",
    "    up",
    "    trap - EXIT INT TERM",
    "    ;;",
    "  down) down ;;",
    '  *) echo "usage: sh $0 up|down" >&2; exit 2 ;;',
    "esac",
    "",
  ].join("\n");
}

// --- the pieces ---------------------------------------------------------------

function sysctlLine(linuxNs: string, ns?: Namespace): Command {
  const own = ns
    ? [
      `net.ipv4.ip_forward=${ns.sysctl.ipForward ? 1 : 0}`,
      `net.ipv4.ip_default_ttl=${ns.sysctl.defaultTtl}`,
    ]
    : ["net.ipv4.ip_forward=0"];
  const pinned = PINNED_SYSCTLS.map((s) => `${s.key}=${s.value}`);
  return concat(sh`ip netns exec ${linuxNs} sysctl -qew ${own}`, keywords(pinned));
}

/** Why each namespace's sysctl line pins what it pins. */
function pinnedLines(): Comment[] {
  return [
    "Pinned sysctls: a new namespace copies its IPv4 settings from the root",
    "namespace, so each namespace sets what the model assumes, before it has devices:",
    ...PINS.map((p) => `  ${p.key}=${p.value}: ${p.why}`),
    "ARP gives up after 3 x 100 ms instead of 3 s (timing only, so probes need not wait):",
    "see the ntable lines.",
  ].map(comment);
}

/** A MAC for a lab-only device (segment bridges and ports), stable per name. */
function labMac(segment: string, device: string): Mac {
  return defaultMac(`segment:${segment}`, device);
}

function segmentLines(world: World, s: LabSegment): ScriptLine[] {
  const mtu = world.segments.find((x) => x.name === s.name)!.mtu;
  const n = s.namespace;
  const mac = String(labMac(s.name, s.bridge));
  return [
    comment("an underlay segment: a bridge in its own namespace"),
    sh`ip -n ${n} link add ${s.bridge} address ${mac} mtu ${mtu} type bridge stp_state 0 forward_delay 0`,
    sh`ip -n ${n} link set ${s.bridge} up`,
  ];
}

/** What building one namespace needs to know about the rest of the lab. */
interface Context {
  readonly world: World;
  readonly names: Readonly<Record<string, string>>;
  readonly segments: readonly LabSegment[];
}

function namespaceLines(cx: Context, ns: Namespace): ScriptLine[] {
  const n = cx.names[ns.name];
  const lines: ScriptLine[] = [comment(`a ${ns.role} namespace`)];
  const later: Command[] = [];
  // Bridges first, so ports can join them; VXLAN last, so its `dev` exists.
  const order = (d: Device) => (d.kind === "bridge" ? 0 : d.kind === "vxlan" ? 2 : 1);
  const devices = [...ns.devices].sort((a, b) => order(a) - order(b));
  for (const d of devices) lines.push(...createDevice(cx, ns, d));
  // An underlay whose MTU the world lowered under a VXLAN device: Linux
  // clamps a new VXLAN device to its underlay's MTU less 50, so the
  // underlay is made with room for it and lowered once the tunnel exists.
  for (const d of ns.devices) {
    if (creationMtu(ns, d) !== d.mtu) lines.push(sh`ip -n ${n} link set ${d.name} mtu ${d.mtu}`);
  }
  for (const d of ns.devices) {
    if (d.master) lines.push(sh`ip -n ${n} link set ${d.name} master ${d.master}`);
  }
  for (const d of ns.devices) {
    const implicit = d.kind === "loopback" ? Prefix.mustParse("127.0.0.1/8") : undefined;
    for (const a of d.addresses) {
      if (a !== implicit) lines.push(sh`ip -n ${n} addr add ${String(a)} dev ${d.name}`);
    }
  }
  for (const d of ns.devices) {
    if (d.kind !== "loopback" && d.addresses.length > 0) {
      lines.push(sh`ip -n ${n} ntable change name arp_cache dev ${d.name} retrans 100`);
    }
  }
  for (const d of ns.devices) {
    if (d.up) lines.push(sh`ip -n ${n} link set ${d.name} up`);
    // A port joining a bridge lowers the bridge's MTU; set it back afterwards.
    if (d.kind === "bridge") later.push(sh`ip -n ${n} link set ${d.name} mtu ${d.mtu}`);
  }
  lines.push(...later, ...proxyArpLines(ns, n));
  lines.push(...routeLines(ns, n), ...neighbourLines(ns, n), ...fdbLines(ns, n));
  lines.push(...iptablesLines(ns, n));
  return lines;
}

function createDevice({ world, names, segments }: Context, ns: Namespace, d: Device): Command[] {
  const n = names[ns.name];
  const head = (...rest: Command[]): Command =>
    concat(
      sh`ip -n ${n} link add ${d.name} address ${String(d.mac)} mtu ${creationMtu(ns, d)}`,
      ...rest,
    );
  switch (d.kind) {
    case "loopback":
      return d.mtu === 65536 ? [] : [sh`ip -n ${n} link set lo mtu ${d.mtu}`];
    case "bridge":
      return [head(sh`type bridge stp_state 0 forward_delay 0`)];
    case "veth": {
      // Each pair is created once, from the end that sorts first.
      const self = `${ns.name}/${d.name}`;
      const other = `${d.peer.namespace}/${d.peer.device}`;
      if (other < self) return [];
      const peer = world.namespaces.find((x) => x.name === d.peer.namespace)!
        .devices.find((x) => x.name === d.peer.device)!;
      const where = d.peer.namespace === ns.name ? sh`` : sh`netns ${names[d.peer.namespace]}`;
      const pair = sh`type veth peer name ${peer.name} address ${String(peer.mac)} mtu ${peer.mtu}`;
      return [head(pair, where)];
    }
    case "nic": {
      const s = segments.find((x) => x.name === d.segment)!;
      const port = s.ports.find((p) => p.nic === d)!.port;
      const mtu = world.segments.find((x) => x.name === s.name)!.mtu;
      const mac = String(labMac(s.name, port));
      return [
        head(sh`type veth peer name ${port} address ${mac} mtu ${mtu} netns ${s.namespace}`),
        sh`ip -n ${s.namespace} link set ${port} master ${s.bridge} up`,
      ];
    }
    case "vxlan": {
      // noudpcsum: outer UDP checksum 0, as the model's wire format (and flannel) has it;
      // iproute2 would otherwise ask for checksums.
      return [head(
        sh`type vxlan id ${d.vni}`,
        d.local ? sh`local ${String(d.local)}` : sh``,
        d.dev ? sh`dev ${d.dev}` : sh``,
        sh`dstport ${d.dstport}`,
        d.learning ? sh`learning` : sh`nolearning`,
        sh`noudpcsum`,
      )];
    }
    case "ipip":
      // `tunl0` with no ends is the ipip module's fallback device, which
      // every namespace gets once the module is loaded; others are added.
      if (d.name === "tunl0" && !d.local && !d.remote) {
        return [sh`ip -n ${n} link set tunl0 mtu ${d.mtu}`];
      }
      return [concat(
        sh`ip -n ${n} link add ${d.name} mtu ${d.mtu} type ipip`,
        d.local ? sh`local ${String(d.local)}` : sh``,
        d.remote ? sh`remote ${String(d.remote)}` : sh``,
      )];
  }
}

/** The MTU a device is made with: room for the VXLAN devices over it, lowered later. */
function creationMtu(ns: Namespace, d: Device): number {
  if (d.kind !== "nic" && d.kind !== "veth") return d.mtu;
  const over = ns.devices.filter((x) => x.kind === "vxlan" && x.dev === d.name);
  return Math.max(d.mtu, ...over.map((x) => x.mtu + VXLAN_OVERHEAD));
}

function routeLines(ns: Namespace, n: string): Command[] {
  const derived = connectedRoutes(ns.devices);
  const removed = derived.filter((r) => !ns.routes.some((x) => sameRoute(x, r)));
  // Gateway-less routes first: Calico's `default via 169.254.1.1` needs its link route.
  const statics = ns.routes.filter((r) => r.proto !== "kernel");
  const added = [...statics.filter((r) => !r.via), ...statics.filter((r) => r.via)];
  return [
    ...removed.map((r) => sh`ip -n ${n} route del ${formatRoute(r).split(" ")}`),
    ...added.map((r) => sh`ip -n ${n} route add ${formatRoute(r).split(" ")}`),
  ];
}

/**
 * `proxy_arp=1` on the devices the model has it on, once they exist, and
 * `proxy_delay=0` on them as Felix sets it: otherwise Linux queues the
 * answer for a random time up to 0.8 s (timing only; the model answers).
 */
function proxyArpLines(ns: Namespace, n: string): Command[] {
  const on = (ns.sysctl.proxyArp ?? []).filter((d) => d !== "all");
  const keys = [
    ...(ns.sysctl.proxyArp?.includes("all") ? ["net.ipv4.conf.all.proxy_arp=1"] : []),
    ...on.flatMap((d) => {
      const key = d.replaceAll(".", "/");
      return [`net.ipv4.conf.${key}.proxy_arp=1`, `net.ipv4.neigh.${key}.proxy_delay=0`];
    }),
  ];
  return keys.length === 0 ? [] : [sh`ip netns exec ${n} sysctl -qw ${keys}`];
}

function sameRoute(a: Route, b: Route): boolean {
  return a.dst === b.dst && a.dev === b.dev && a.proto === b.proto && a.metric === b.metric;
}

function neighbourLines(ns: Namespace, n: string): Command[] {
  return ns.neighbours.map((x) =>
    sh`ip -n ${n} neigh add ${String(x.addr)} dev ${x.dev} lladdr ${String(x.mac)} nud ${x.state}`
  );
}

function fdbLines(ns: Namespace, n: string): Command[] {
  const lines: Command[] = [];
  for (const d of ns.devices) {
    if (d.kind === "vxlan") {
      for (const e of d.fdb) {
        lines.push(
          sh`bridge -n ${n} fdb append ${String(e.mac)} dev ${d.name} dst ${
            String(e.dst)
          } self permanent`,
        );
      }
    } else if (d.kind === "bridge") {
      // Learned entries are added as static ones: Linux refuses to add a dynamic entry.
      for (const e of d.fdb) {
        lines.push(sh`bridge -n ${n} fdb add ${String(e.mac)} dev ${e.port} master static`);
      }
    }
  }
  return lines;
}

function iptablesLines(ns: Namespace, n: string): Command[] {
  const words = (text: string) => {
    const t = tokenize(text);
    if (!Array.isArray(t)) throw new Error(`A loaded iptables rule has an open quote: ${text}`);
    return t.map((x) => x.text);
  };
  const lines = [
    ...chainLines(ns.netfilter.rules),
    ...ns.netfilter.rules.map((r) => r.table === "nat" ? `-t nat ${r.text}` : r.text),
  ].map((text) => sh`ip netns exec ${n} iptables -w ${words(text)}`);
  if (ns.netfilter.forwardPolicy !== "ACCEPT") {
    lines.unshift(sh`ip netns exec ${n} iptables -w -P FORWARD ${ns.netfilter.forwardPolicy}`);
  }
  return lines;
}
