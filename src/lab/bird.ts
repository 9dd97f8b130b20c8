/**
 * Real BIRD daemons in the lab, configured as Calico configures BIRD
 * (confd's `bird.cfg` and `bird_ipam.cfg`, written for BIRD 2): one BIRD
 * per node namespace, router ID the node's underlay address, AS 64512, an
 * iBGP session per peer of the topology over the underlay, a `static`
 * protocol holding a `blackhole` route for each of the node's IPAM blocks,
 * a `kernel` protocol that learns the node's own routes (`learn`), keeps
 * what it installed when BIRD dies (`persist`) and installs with metric 0,
 * and Calico's export filter: the node's blocks, no more specific route
 * inside them, and any other `/32` of the pool (a borrowed address).
 * Differences from Calico's template, for speed and clarity: direct
 * sessions (`direct`, `gateway direct`) instead of `multihop` with
 * `gateway recursive` (the peers share a segment either way), short retry
 * timers, and no BGP graceful restart (with it, peers keep a crashed BIRD's
 * routes as stale for up to 120 s).
 *
 * The world the lab builds has no `proto bird` routes: BIRD installs them.
 * The lab waits for the sessions to be Established, then compares the
 * routes BIRD installed with the model's, entry by entry; after the probes
 * it kills one node's BIRD and compares again with what the model
 * (`control/bgp.ts`) predicts for a stopped BIRD.
 *
 * @module
 */
import type { Addr, Prefix } from "../addr/mod.js";
import { type BgpConfig, sessions } from "../control/bgp.js";
import type { World } from "../model/world.js";
import { birdRoutes } from "../scenario/calico.js";
import { covering } from "../scenario/build.js";
import { formatRoute, parseRoute } from "../syntax/iproute.js";
import { withNamespace } from "../world/edit.js";
import { namespaceNamed } from "../world/query.js";
import { type Lab, run, sleep } from "./linux.js";

/** A node whose routes come from BGP: its namespace has `proto bird` routes. */
export interface BgpSpeaker {
  /** The node's namespace in the model. */
  readonly namespace: string;
  /** Underlay address: router ID, session address and next hop. */
  readonly addr: Addr;
  /** Its IPAM blocks (its `blackhole … proto bird` routes). */
  readonly blocks: readonly Prefix[];
  /** What it announces: its blocks and the `/32`s of addresses it borrowed. */
  readonly originated: readonly Prefix[];
}

/** The BGP part of a lab report. */
export interface BgpCheck {
  /** Sessions seen Established, `node-1 ↔ node-2`. */
  readonly sessions: readonly string[];
  /** Routes compared with the model, over all nodes. */
  readonly compared: number;
  readonly differences: readonly string[];
  /** After one node's BIRD was killed. */
  readonly withdrawal?: {
    readonly stopped: string;
    readonly compared: number;
    readonly differences: readonly string[];
  };
}

/** Calico's default AS number. */
export const CALICO_AS = 64512;

const FULL_MESH: BgpConfig = { topology: { kind: "full-mesh" } };

/**
 * The nodes of a world that speak BGP, in node order.
 *
 * @param world The world.
 * @returns The speakers (none for a world without `proto bird` routes).
 */
export function bgpSpeakers(world: World): BgpSpeaker[] {
  const out: BgpSpeaker[] = [];
  for (const node of world.nodes) {
    const ns = namespaceNamed(world, node.namespace)!;
    if (!ns.routes.some((r) => r.proto === "bird")) continue;
    const addr = ns.devices.find((d) => d.kind === "nic")?.addresses[0]?.addr;
    if (addr === undefined) continue;
    const blocks = ns.routes.filter((r) => r.proto === "bird" && r.type === "blackhole")
      .map((r) => r.dst);
    const borrowed = ns.routes.filter((r) =>
      r.dst.bits === 32 && r.proto === "static" && r.via === undefined &&
      r.dev?.startsWith("cali") && !blocks.some((b) => b.contains(r.dst.addr))
    ).map((r) => r.dst);
    out.push({ namespace: ns.name, addr, blocks, originated: [...blocks, ...borrowed] });
  }
  return out;
}

/**
 * The world without the routes BIRD installs, for the lab to build.
 *
 * @param world The world.
 * @returns The same world, every `proto bird` route removed.
 */
export function withoutBirdRoutes(world: World): World {
  let w = world;
  for (const ns of world.namespaces) {
    if (!ns.routes.some((r) => r.proto === "bird")) continue;
    w = withNamespace(w, { ...ns, routes: ns.routes.filter((r) => r.proto !== "bird") });
  }
  return w;
}

/**
 * BIRD 2's configuration for speaker `i`.
 *
 * @param speakers Every speaker.
 * @param i Which one.
 * @param bgp Topology and faults (sessions a fault removes are not configured).
 * @returns The configuration text.
 */
export function birdConfig(speakers: readonly BgpSpeaker[], i: number, bgp: BgpConfig): string {
  const me = speakers[i];
  const pool = covering(speakers.flatMap((s) => s.blocks));
  const reflectors = bgp.topology.kind === "route-reflectors"
    ? new Set(bgp.topology.reflectors)
    : new Set<number>();
  const configured = sessionsOf(speakers.length, bgp, i);
  const filtered = (bgp.faults ?? []).flatMap((f) =>
    f.kind === "export-filter" && f.node === i ? [`  if ( net = ${f.prefix} ) then reject;`] : []
  );
  const lines = [
    `# BIRD for ${me.namespace}, as Calico configures it (podnet lab)`,
    `router id ${me.addr};`,
    "",
    "filter calico_export_to_bgp_peers {",
    ...filtered,
    ...me.blocks.flatMap((b) => [
      `  if ( net = ${b} ) then accept;`,
      `  if ( net ~ ${b} ) then reject;`,
    ]),
    `  if ( net ~ [ ${pool}+ ] ) then accept;`,
    "  reject;",
    "}",
    "",
    "protocol device { scan time 2; }",
    "",
    "protocol static {",
    "  ipv4;",
    ...me.blocks.map((b) => `  route ${b} blackhole;`),
    "}",
    "",
    "protocol kernel {",
    "  ipv4 { import all; export all; };",
    "  learn;",
    "  persist;",
    "  scan time 2;",
    "  metric 0;",
    "}",
    ...configured.flatMap((j) => {
      const peer = speakers[j];
      return [
        "",
        `protocol bgp Mesh_${String(peer.addr).replaceAll(".", "_")} {`,
        `  description "Connection to ${peer.namespace}";`,
        `  local ${me.addr} as ${CALICO_AS};`,
        `  neighbor ${peer.addr} as ${CALICO_AS};`,
        "  direct;",
        ...(reflectors.has(i) && !reflectors.has(j) ? ["  rr client;"] : []),
        "  connect delay time 1;",
        "  connect retry time 1;",
        "  error wait time 1, 5;",
        "  ipv4 { gateway direct; import all; export filter calico_export_to_bgp_peers; };",
        "}",
      ];
    }),
    "",
  ];
  return lines.join("\n");
}

/** The peers speaker `i` has a session with (a stopped BIRD does not matter here). */
function sessionsOf(n: number, bgp: BgpConfig, i: number): number[] {
  const faults = (bgp.faults ?? []).filter((f) => f.kind !== "bird-stopped");
  return sessions(n, { ...bgp, faults }).flatMap((s) => s.a === i ? [s.b] : s.b === i ? [s.a] : []);
}

/**
 * The `proto bird` routes the model predicts on every speaker: its own
 * blackholes and what it learns over BGP, as canonical `ip route` lines.
 *
 * @param speakers Every speaker.
 * @param bgp Topology and faults.
 * @returns Per speaker, sorted lines.
 */
export function predictedRoutes(speakers: readonly BgpSpeaker[], bgp: BgpConfig): string[][] {
  const learned = birdRoutes(speakers.map((s) => s.originated), speakers.map((s) => s.addr), bgp);
  return speakers.map((s, i) =>
    [...s.blocks.map((b) => `blackhole ${b} proto bird`), ...learned[i]].map(canonical).sort()
  );
}

function canonical(line: string): string {
  const r = parseRoute(line.trim());
  return r.ok ? formatRoute(r.value) : `unreadable: ${line.trim()}`;
}

/** The routes a node's kernel holds with `proto bird`, as canonical lines. */
async function installed(lab: Lab, namespace: string): Promise<string[]> {
  // Filtered by protocol, `ip route` leaves the protocol out of each line.
  const out = await lab.ip(namespace, ["route", "show", "proto", "bird"]);
  return out.stdout.split("\n").filter((l) => l.trim() !== "").map((l) =>
    canonical(`${l.trim()} proto bird`)
  ).sort();
}

/** Per node, what one side has and the other lacks. */
function compare(
  speakers: readonly BgpSpeaker[],
  model: readonly string[][],
  linux: readonly string[][],
): string[] {
  return speakers.flatMap((s, i) => [
    ...model[i].filter((r) => !linux[i].includes(r)).map((r) =>
      `${s.namespace}: the model has "${r}", Linux has not`
    ),
    ...linux[i].filter((r) => !model[i].includes(r)).map((r) =>
      `${s.namespace}: Linux has "${r}", the model has not`
    ),
  ]);
}

/** Polls until Linux's routes equal the model's, or the time is up. */
async function converge(
  lab: Lab,
  speakers: readonly BgpSpeaker[],
  model: readonly string[][],
  ms: number,
): Promise<{ compared: number; differences: string[] }> {
  const until = performance.now() + ms;
  for (;;) {
    const linux = await Promise.all(speakers.map((s) => installed(lab, s.namespace)));
    const differences = compare(speakers, model, linux);
    if (differences.length === 0 || performance.now() > until) {
      return { compared: model.reduce((a, b) => a + b.length, 0), differences };
    }
    await sleep(250);
  }
}

/** BIRD running in a lab: where each daemon's files are. */
export interface BirdRun {
  readonly speakers: readonly BgpSpeaker[];
  readonly bgp: BgpConfig;
  /** Per speaker: control socket and pid file. */
  readonly files: readonly { readonly socket: string; readonly pid: string }[];
}

/**
 * Writes each speaker's configuration into the lab's scratch folder and
 * starts BIRD inside the speaker's namespace (it daemonizes there, so the
 * lab's teardown, which kills every process of its namespaces, stops it).
 *
 * @param lab The open lab.
 * @param speakers The speakers.
 * @param bgp Topology and faults.
 * @returns Where the daemons' files are.
 */
export async function startBird(
  lab: Lab,
  speakers: readonly BgpSpeaker[],
  bgp: BgpConfig = FULL_MESH,
): Promise<BirdRun> {
  const dir = await lab.scratch();
  const files = speakers.map((s) => ({
    conf: `${dir}/${s.namespace}.conf`,
    socket: `${dir}/${s.namespace}.ctl`,
    pid: `${dir}/${s.namespace}.pid`,
  }));
  for (const [i, f] of files.entries()) {
    await Deno.writeTextFile(f.conf, birdConfig(speakers, i, bgp));
    const started = await lab.exec(speakers[i].namespace, [
      "bird",
      "-c",
      f.conf,
      "-s",
      f.socket,
      "-P",
      f.pid,
    ]);
    if (started.code !== 0) {
      throw new Error(`BIRD did not start in ${speakers[i].namespace}: ${started.stderr.trim()}`);
    }
  }
  return { speakers, bgp, files };
}

/** The BGP sessions BIRD reports Established, as `node-1 ↔ node-2` (each once). */
async function established(lab: Lab, bird: BirdRun): Promise<string[]> {
  const seen = new Set<string>();
  for (const [i, s] of bird.speakers.entries()) {
    const out = await lab.exec(s.namespace, [
      "birdc",
      "-s",
      bird.files[i].socket,
      "show",
      "protocols",
    ]);
    for (const line of out.stdout.split("\n")) {
      const m = /^Mesh_(\d+_\d+_\d+_\d+)\s+BGP\b.*\bEstablished\b/.exec(line);
      if (!m) continue;
      const peer = bird.speakers.find((p) => String(p.addr) === m[1].replaceAll("_", "."));
      if (peer) seen.add([s.namespace, peer.namespace].sort().join(" ↔ "));
    }
  }
  return [...seen].sort();
}

/**
 * Waits for every configured session to be Established (up to 20 s), then
 * for BIRD's routes to match the model's (up to 10 s), and compares them
 * entry by entry.
 *
 * @param lab The open lab.
 * @param bird The running daemons.
 * @returns Sessions seen and the comparison.
 */
export async function checkBird(lab: Lab, bird: BirdRun): Promise<BgpCheck> {
  const n = bird.speakers.length;
  const expected = bird.speakers.reduce(
    (sum, _, i) => sum + sessionsOf(n, bird.bgp, i).filter((j) => j > i).length,
    0,
  );
  const until = performance.now() + 20_000;
  let seen = await established(lab, bird);
  while (seen.length < expected && performance.now() < until) {
    await sleep(250);
    seen = await established(lab, bird);
  }
  const model = predictedRoutes(bird.speakers, running(bird.bgp));
  const result = await converge(lab, bird.speakers, model, 10_000);
  const missing = seen.length < expected
    ? [`only ${seen.length} of ${expected} BGP sessions reached Established`]
    : [];
  return { sessions: seen, ...result, differences: [...missing, ...result.differences] };
}

/** The configuration with every BIRD running (the stopped ones are stopped later, by a kill). */
function running(bgp: BgpConfig): BgpConfig {
  return { ...bgp, faults: (bgp.faults ?? []).filter((f) => f.kind !== "bird-stopped") };
}

/**
 * Kills one speaker's BIRD (SIGKILL, as a crash) and compares every node's
 * routes with what the model predicts once that BIRD is stopped (and any
 * the configuration stopped before): its peers withdraw its prefixes; it
 * keeps what it had installed.
 *
 * @param lab The open lab.
 * @param bird The running daemons.
 * @param i The speaker whose BIRD is killed.
 * @returns The stopped node and the comparison.
 */
export async function killBird(
  lab: Lab,
  bird: BirdRun,
  i: number,
): Promise<NonNullable<BgpCheck["withdrawal"]>> {
  const pid = (await Deno.readTextFile(bird.files[i].pid)).trim();
  if (!/^[0-9]+$/.test(pid)) throw new Error(`BIRD's pid file holds ${JSON.stringify(pid)}`);
  await run(["kill", "-9", pid]);
  const stops = (bird.bgp.faults ?? []).filter((f) => f.kind === "bird-stopped");
  const bgp: BgpConfig = {
    ...bird.bgp,
    faults: [
      ...running(bird.bgp).faults ?? [],
      ...stops.filter((f) => f.node !== i),
      { kind: "bird-stopped", node: i },
    ],
  };
  const model = predictedRoutes(bird.speakers, bgp);
  const result = await converge(lab, bird.speakers, model, 10_000);
  return { stopped: bird.speakers[i].namespace, ...result };
}
