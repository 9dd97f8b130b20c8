/**
 * Kernel against Linux: builds a world in namespaces, sends every probe of
 * {@linkcode labProbes} with real tools (ping for ICMP, the agent's UDP
 * sender), collects what every namespace received and what crossed the
 * underlay, and sets each beside the kernel's trace of the same probe.
 *
 * @module
 */
import { trace } from "../trace/tracer.js";
import { resolveProbe } from "../trace/probe.js";
import type { Trace } from "../trace/types.js";
import type { World } from "../model/world.js";
import { unwrap } from "../result.js";
import { AGENT_PY, python } from "./agent.js";
import type { BgpConfig } from "../control/bgp.js";
import { crossesIpip, hasIpip, ipipAvailable, ipipNote, withoutIpip } from "./ipip.js";
import {
  type BgpCheck,
  bgpSpeakers,
  checkBird,
  killBird,
  startBird,
  withoutBirdRoutes,
} from "./bird.js";
import { Lab, type LabOptions, type LabTimings, sleep } from "./linux.js";
import { adoptPluginNames, CNI_DIRS, type CniCheck, cniDir, cniPods, standardPods } from "./cni.js";
import {
  type Crossing,
  differences,
  expectedOutcome,
  formatOutcome,
  type Outcome,
  parsePing,
  readFrame,
  type Reception,
  type SenderView,
  type UdpSenderReport,
  udpSenderView,
} from "./observe.js";
import { type LabProbe, labProbes, type ProbeOptions } from "./probes.js";
import {
  checkServices,
  distributionProbes,
  formatServiceCheck,
  isDistributionProbe,
  type ServiceCheck,
} from "./services.js";

/** One probe, both sides. */
export interface LabRow {
  readonly probe: LabProbe;
  readonly kernel: Outcome;
  readonly linux: Outcome;
  /** Where they differ; empty when they agree. */
  readonly differences: readonly string[];
  /** Sent a second time after Linux's ICMP error budget refilled (see {@linkcode errorBudget}). */
  readonly retried?: boolean;
  /** The endpoint Linux's random rules chose (the model followed the same branch). */
  readonly endpoint?: string;
}

/** A whole lab run. */
export interface LabReport {
  readonly world: string;
  readonly prefix: string;
  readonly rows: readonly LabRow[];
  /** BIRD's sessions and routes against the model, for a world whose routes come from BGP. */
  readonly bgp?: BgpCheck;
  /** conntrack's entries and the endpoint distribution against the model, for a world with UDP Services. */
  readonly services?: ServiceCheck;
  /** The pods the real CNI plugins made, compared with the model item by item. */
  readonly cni?: CniCheck & { readonly released: readonly string[] };
  /** What the lab did not check, and why. */
  readonly notes?: readonly string[];
  readonly timings: LabTimings & { readonly probesMs: number };
}

/** What {@linkcode runLab} needs besides the world. */
export interface RunOptions extends LabOptions, ProbeOptions {
  /** Probes in flight at once (default 12). */
  readonly concurrency?: number;
  /** How long a sender waits for an answer, in ms (default 800; ARP gives up after 300). */
  readonly timeoutMs?: number;
  /** Only these probes (default: {@linkcode labProbes} of the world). */
  readonly probes?: readonly LabProbe[];
  /** The BGP topology and faults the world was built with (default: a full mesh). */
  readonly bgp?: BgpConfig;
  /**
   * Make flannel nodes' pods with the real CNI plugins (`loopback`,
   * `bridge`, `host-local`; default true when they are installed).
   */
  readonly cniPlugins?: boolean;
}

/**
 * Builds the world in namespaces, runs the probes, tears everything down
 * (also when something fails) and returns every probe's two outcomes.
 *
 * @param model The world (flannel pods made by the CNI plugins are traced with the names and MACs they chose).
 * @param options Prefix, probes and timing.
 * @returns The report.
 */
export async function runLab(model: World, options: RunOptions = {}): Promise<LabReport> {
  let world = model;
  let probes = options.probes ??
    [
      ...labProbes(world, options),
      ...(options.extras === false ? [] : distributionProbes(world)),
    ];
  const notes: string[] = [];
  // A kernel without ipip: build what it can, run the probes that do not cross a tunnel.
  let buildable = world;
  if (hasIpip(world) && !(await ipipAvailable())) {
    buildable = withoutIpip(world);
    const crossing = probes.filter((p) => crossesIpip(traceOf(world, p)));
    probes = probes.filter((p) => !crossing.includes(p));
    notes.push(ipipNote(crossing.length, probes.length));
  }
  // Routes that come from BGP are BIRD's to install: the lab builds the
  // world without them, starts BIRD and checks what BIRD installed.
  const speakers = bgpSpeakers(buildable);
  // Flannel nodes' pods come from the real CNI plugins when they are here.
  const cniWanted = options.cniPlugins !== false ? cniPods(buildable) : [];
  if (
    options.cniPlugins !== false && cniWanted.length === 0 && standardPods(buildable).length > 0
  ) {
    notes.push(
      "Pods made by ip commands, not by the CNI plugins: this world changes a sandbox, or a node in a way the bridge plugin would undo",
    );
  }
  const dir = cniWanted.length > 0 ? await cniDir() : undefined;
  if (cniWanted.length > 0 && dir === undefined) {
    notes.push(
      `CNI plugins not found (${
        CNI_DIRS.join(", ")
      }): pods were made by ip commands, not by loopback, bridge and host-local`,
    );
  }
  const lab = await Lab.open(
    speakers.length > 0 ? withoutBirdRoutes(buildable) : buildable,
    options,
    dir !== undefined ? { dir, pods: cniWanted } : undefined,
  );
  // The probes are traced in the model with the names and MACs the plugins chose.
  if (lab.cni) world = adoptPluginNames(world, lab.cni.made);
  let probesMs = 0;
  try {
    const bird = speakers.length > 0 ? await startBird(lab, speakers, options.bgp) : undefined;
    let bgp = bird ? await checkBird(lab, bird) : undefined;
    // A BIRD the world was built without (stopped) runs first, then is killed.
    const stopped = (options.bgp?.faults ?? []).flatMap((f) =>
      f.kind === "bird-stopped" ? [f.node] : []
    );
    for (const i of stopped) {
      const w = await killBird(lab, bird!, i);
      const after = w.differences.map((d) => `after BIRD of ${w.stopped} was killed: ${d}`);
      bgp = { ...bgp!, differences: [...bgp!.differences, ...after] };
    }
    const t = performance.now();
    const traces = probes.map((p) => traceOf(world, p));
    const budgets = traces.map(errorBudget);
    const rows: LabRow[] = new Array(probes.length);
    // Small probes first, then large ones: a large probe sets its sender's
    // neighbour cache (setNeighbours), which a small probe from the same
    // sender running meanwhile would undo.
    const large = (i: number) => (probes[i].probe.size ?? 84) > PMTU_SAFE;
    // Last, alone, the probes whose outcome the sender's neighbour cache
    // decides: another sender's ARP request would leave an entry in it.
    const alone = probes.map((p, i) => large(i) && neighbourSensitive(world, p, traces[i]));
    const phaseOf = (i: number) => (alone[i] ? 2 : large(i) ? 1 : 0);
    for (const phase of [0, 1, 2]) {
      const groups = new Map<string, number[]>();
      budgets.forEach((b, i) =>
        b !== undefined && phaseOf(i) === phase &&
        groups.set(phase === 2 ? "" : b, [...(groups.get(phase === 2 ? "" : b) ?? []), i])
      );
      await Promise.all([...groups.values()].map(async (group) => {
        for (const [n, i] of group.entries()) {
          if (n >= 4) await sleep(1050);
          rows[i] = await runProbe(lab, probes[i], traces[i], options);
          if (rows[i].linux.sender?.kind === "nothing") {
            await sleep(1050);
            const again = retryOf(probes[i]);
            rows[i] = {
              ...await runProbe(lab, again, traceOf(world, again), options),
              retried: true,
            };
          }
        }
      }));
      const rest = budgets.flatMap((b, i) => (b === undefined && phaseOf(i) === phase ? [i] : []));
      await pool(rest, phase === 2 ? 1 : options.concurrency ?? 12, async (i) => {
        rows[i] = await runProbe(lab, probes[i], traces[i], options);
      });
    }
    probesMs = performance.now() - t;
    const services = await checkServices(lab, rows);
    // Then one more BIRD crashes: the withdrawal the model predicts.
    const victim = speakers.findLastIndex((_, i) => !stopped.includes(i));
    if (bird && bgp && speakers.length > 1 && victim >= 0) {
      bgp = { ...bgp, withdrawal: await killBird(lab, bird, victim) };
    }
    await lab.close(); // now, so the report has the teardown's time
    const cni = lab.cni ? { ...lab.cni.check, released: lab.cni.released ?? [] } : undefined;

    return {
      world: world.name,
      prefix: lab.plan.prefix,
      rows,
      ...(bgp ? { bgp } : {}),
      ...(services ? { services } : {}),
      ...(cni ? { cni } : {}),
      ...(speakers.length === 0 && world.mode.startsWith("calico-")
        ? {
          notes: [
            ...notes,
            "No BGP in this world: Felix programs the routes of Calico's VXLAN modes, so no BIRD runs",
          ],
        }
        : notes.length > 0
        ? { notes }
        : {}),
      timings: { ...lab.timings, probesMs },
    };
  } finally {
    await lab.close();
  }
}

async function pool<T>(items: readonly T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

const SETTLE_MS = 60;
const LATE_MS = 500;

/**
 * A path MTU that one probe learns (from an ICMP "fragmentation needed")
 * must not change the next, as in the model, where every probe is the
 * first. Linux never lowers a path MTU below 552 bytes
 * (`net.ipv4.route.min_pmtu`), so only larger probes can learn or suffer
 * one: those from one namespace run one at a time, after the small probes,
 * each after flushing the sender's route cache and setting its neighbour
 * cache.
 */
const PMTU_SAFE = 552;

async function runProbe(lab: Lab, p: LabProbe, t: Trace, options: RunOptions): Promise<LabRow> {
  if ((p.probe.size ?? 84) <= PMTU_SAFE) return await runProbeAlone(lab, p, t, options);
  const chains = pairs.get(lab) ?? new Map<string, Promise<void>>();
  pairs.set(lab, chains);
  // One sender at a time: each sets the sender's path MTU and neighbour caches.
  const key = p.probe.from;
  const mine = (chains.get(key) ?? Promise.resolve()).then(() => runProbeAlone(lab, p, t, options));
  chains.set(key, mine.then(() => {}, () => {}));
  return await mine;
}

const pairs = new WeakMap<Lab, Map<string, Promise<void>>>();

/** Whether a trace passed random rules that could have sent it elsewhere. */
function randomChoice(t: Trace): boolean {
  return t.hops.some((h) => h.steps.some((s) => s.kind === "nat" && s.choices !== undefined));
}

function traceOf(world: World, p: LabProbe): Trace {
  const t = trace(world, p.probe);
  if (!t.ok) throw new Error(`Probe ${p.label} does not resolve in the model: ${t.error.message}`);
  return t.value;
}

/**
 * The sender's neighbour cache as the probe asks (only large probes can
 * meet a frame too big on the sender's own host, where the state changes
 * what it sees): cold flushes every entry that is not permanent, so the
 * probe waits for ARP; warm sends a small echo first, which resolves the
 * next hop when anything can.
 */
/** The echo id of the warming echo: above every probe's key. */
const WARMING_ID = 65000;

async function setNeighbours(lab: Lab, ns: string, dst: string, state: "cold" | "warm") {
  if (state === "cold") await lab.ip(ns, ["neigh", "flush", "all"]);
  else await lab.exec(ns, ["ping", "-n", "-c1", "-W", "0.5", "-e", String(WARMING_ID), dst]);
}

async function runProbeAlone(
  lab: Lab,
  p: LabProbe,
  t: Trace,
  options: RunOptions,
): Promise<LabRow> {
  const kernel = expectedOutcome(t, lab.plan);
  const probe = unwrap(resolveProbe(lab.world, p.probe), (e) => e.message);
  const timeout = options.timeoutMs ?? 800;
  if (probe.size > PMTU_SAFE) {
    await lab.ip(probe.namespace, ["route", "flush", "cache"]);
    await setNeighbours(lab, probe.namespace, String(probe.dst), p.probe.neighbours ?? "cold");
  }
  let sender: SenderView;
  if (p.probe.proto === "icmp") {
    const argv = [
      "ping",
      "-n",
      "-c1",
      "-W",
      String(timeout / 1000),
      "-s",
      String(probe.size - 28),
      "-M",
      probe.df ? "do" : "dont",
      "-e",
      String(p.key),
      ...(probe.ttl ? ["-t", String(probe.ttl)] : []),
      String(probe.dst),
    ];
    const out = await lab.exec(probe.namespace, argv);
    sender = parsePing(out.stdout + out.stderr);
  } else {
    const out = await lab.exec(probe.namespace, [
      python(),
      "-c",
      AGENT_PY,
      "send",
      String(probe.dst),
      String(probe.dport),
      String(probe.sport),
      String(probe.size),
      probe.df ? "1" : "0",
      String(probe.ttl ?? 0),
      String(timeout),
    ]);
    const report = JSON.parse(out.stdout.trim().split("\n").pop() || '{"kind":"nothing"}');
    sender = udpSenderView(report as UdpSenderReport);
  }
  // The agents report asynchronously: give them SETTLE_MS, and up to
  // LATE_MS more while fewer receptions or crossings than the kernel
  // predicts have come in (a busy machine can be slow to schedule them).
  await sleep(SETTLE_MS);
  const late = performance.now() + LATE_MS;
  while (
    performance.now() < late &&
    (receptions(lab, p).length < kernel.receptions.length ||
      crossings(lab, p).length < kernel.crossings.length)
  ) await sleep(20);
  const linux: Outcome = {
    receptions: receptions(lab, p),
    sender,
    crossings: crossings(lab, p),
  };
  // Random rules (a Service's endpoints): the model follows the branch
  // Linux took, named by the endpoint that received the probe.
  const crossed = linux.crossings[0];
  const endpoint = randomChoice(t)
    ? linux.receptions[0]?.dst ?? crossed?.vxlan?.inner.dst ?? crossed?.dst
    : undefined;
  const chosen = endpoint === undefined ? kernel : expectedOutcome(
    traceOf(lab.world, { ...p, probe: { ...p.probe, branch: endpoint } }),
    lab.plan,
  );
  return {
    probe: p,
    kernel: chosen,
    linux,
    differences: differences(chosen, linux),
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/**
 * Linux answers a packet it cannot route (no route, an `unreachable` or
 * `prohibit` route) through `ip_error`, which limits those ICMP errors per
 * router and source host: a burst of 5, then one a second
 * (`net.ipv4.route.error_cost` and `error_burst`: global sysctls, which the
 * lab must not touch). Replies to other probes spend the same budget. The
 * model answers every probe, so the probes whose trace ends that way run
 * first, before any other traffic has spent the budget, one at a time per
 * router and source: 4 at once, then one every 1.05 s. One that times out
 * anyway is sent again, with a new key, after 1.05 s, by when the budget
 * holds at least one error again.
 *
 * @returns The router and source the probe spends the budget of, if any.
 */
export function errorBudget(t: Trace): string | undefined {
  const v = t.verdict;
  if (v.kind !== "dropped" || v.senderSees.kind !== "icmp") return undefined;
  const limited = v.drop.reason === "no-route" ||
    (v.drop.reason === "route-rejects" && v.drop.type !== "blackhole");
  if (!limited) return undefined;
  return `${v.namespace}|${t.hops[t.hops.length - 1].after.ip.src}`;
}

/** The same probe with a new key (ICMP ids and UDP ports above those of first tries). */
/** Whether the kernel says the sender sees something else with the other neighbour cache. */
function neighbourSensitive(world: World, p: LabProbe, t: Trace): boolean {
  const flipped = p.probe.neighbours === "warm" ? "cold" : "warm";
  const other = trace(world, { ...p.probe, neighbours: flipped });
  const sees = (x: Trace) => x.verdict.kind === "dropped" ? x.verdict.senderSees : undefined;
  return other.ok && JSON.stringify(sees(other.value)) !== JSON.stringify(sees(t));
}

function retryOf(p: LabProbe): LabProbe {
  if (p.probe.proto === "icmp") return { ...p, key: p.key + 30000 };
  return { ...p, key: p.key + 10000, probe: { ...p.probe, sport: p.key + 10000 } };
}

function receptions(lab: Lab, p: LabProbe): Reception[] {
  const out: Reception[] = [];
  for (const ns of lab.world.namespaces) {
    for (const r of lab.reports(ns.name)) {
      const hit = p.probe.proto === "icmp"
        ? r.t === "icmp" && r.id === p.key
        : r.t === "udp" && r.sport === p.key;
      if (hit && (r.t === "icmp" || r.t === "udp")) {
        out.push({ namespace: ns.name, src: r.src, dst: r.dst, ttl: r.ttl });
      }
    }
  }
  return out;
}

function crossings(lab: Lab, p: LabProbe): Crossing[] {
  const vxlanPorts = new Set(
    lab.world.namespaces.flatMap((ns) =>
      ns.devices.flatMap((d) => (d.kind === "vxlan" ? [d.dstport] : []))
    ),
  );
  const out: Crossing[] = [];
  for (const s of lab.plan.segments) {
    for (const r of lab.reports(`segment:${s.name}`)) {
      if (r.t === "lost") throw new Error(`The capture on segment ${s.name} lost ${r.n} frames`);
      if (r.t !== "frame") continue;
      const f = readFrame(r.hex, r.dev, vxlanPorts);
      if (f?.key?.proto !== p.probe.proto || f.key.value !== p.key) continue;
      if (f.wireProblem) {
        throw new Error(`podnet's wire decoders reject a frame Linux sent: ${f.wireProblem}`);
      }
      out.push({ segment: s.name, ...f.crossing });
    }
  }
  return out;
}

/**
 * The report as a side-by-side table (probe | kernel | linux | agree),
 * each disagreement spelled out below its row, then the timings.
 *
 * @param report A lab report.
 * @returns Text for a terminal.
 */
export function formatReport(report: LabReport): string {
  // The many probes of the endpoint distribution are summed up below, unless they disagree.
  const shown = report.rows.filter((r) =>
    !isDistributionProbe(r.probe) || r.differences.length > 0
  );
  const rows = shown.map((r) => {
    const k = formatOutcome(r.kernel);
    const l = formatOutcome(r.linux);
    const label = r.retried ? `${r.probe.label} (sent twice)` : r.probe.label;
    return [label, k, l, r.differences.length === 0 ? "yes" : "NO"];
  });
  const head = ["probe", "kernel", "linux", "agree"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join("  ").trimEnd();
  const out = [line(head), line(width.map((w) => "-".repeat(w)))];
  shown.forEach((r, i) => {
    out.push(line(rows[i]));
    for (const d of r.differences) out.push(`    ✗ ${d}`);
  });
  const bad = report.rows.filter((r) => r.differences.length > 0).length;
  const t = report.timings;
  out.push(...(report.bgp ? formatBgp(report.bgp) : []));
  out.push(...(report.services ? formatServiceCheck(report.services) : []));
  out.push(...(report.cni ? formatCni(report.cni) : []));
  if (report.notes?.length) out.push("", ...report.notes);
  out.push(
    "",
    `${report.world}: ${report.rows.length - bad}/${report.rows.length} probes agree` +
      (bad ? `, ${bad} DISAGREE` : ""),
    `${t.namespaces} namespaces (prefix ${report.prefix}): up ${ms(t.upMs)}, agents ${
      ms(t.agentsMs)
    }, ` +
      `probes ${ms(t.probesMs)}, down ${ms(t.downMs ?? 0)}; ` +
      `${(t.namespaces / (t.upMs / 1000)).toFixed(0)} namespaces/s built`,
  );
  return out.join("\n");
}

function formatCni(c: NonNullable<LabReport["cni"]>): string[] {
  return [
    "",
    `CNI plugins (loopback, bridge + host-local from ${c.dir}) made the pods: ${c.items} item(s) compared with the model: ${
      c.differences.length === 0 ? "all agree" : `${c.differences.length} DISAGREE`
    }`,
    ...c.differences.map((d) => `    ✗ ${d}`),
    c.released.length === 0
      ? "CNI DEL: host-local holds no address afterwards"
      : `CNI DEL left ${c.released.join(", ")} reserved`,
  ];
}

function formatBgp(b: BgpCheck): string[] {
  const w = b.withdrawal;
  return [
    "",
    `BIRD: ${b.sessions.length} BGP session(s) Established: ${b.sessions.join(", ") || "none"}`,
    `BIRD: ${b.compared} route(s) compared with the model: ${
      b.differences.length === 0 ? "all agree" : `${b.differences.length} DISAGREE`
    }`,
    ...b.differences.map((d) => `    ✗ ${d}`),
    ...(w
      ? [
        `BIRD of ${w.stopped} killed: ${w.compared} route(s) compared with the model's withdrawal: ${
          w.differences.length === 0 ? "all agree" : `${w.differences.length} DISAGREE`
        }`,
        ...w.differences.map((d) => `    ✗ ${d}`),
      ]
      : []),
  ];
}

/**
 * How many of a report's checks disagree: probes, BIRD's routes before
 * and after the withdrawal, conntrack entries and endpoint shares.
 *
 * @param report A lab report.
 * @returns The number of disagreements.
 */
export function disagreements(report: LabReport): number {
  const bgp = report.bgp;
  return report.rows.filter((r) => r.differences.length > 0).length +
    (bgp ? bgp.differences.length + (bgp.withdrawal?.differences.length ?? 0) : 0) +
    (report.services?.differences.length ?? 0) +
    (report.cni ? report.cni.differences.length + report.cni.released.length : 0);
}

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
}
