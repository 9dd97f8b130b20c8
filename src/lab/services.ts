/**
 * Services in the lab, beyond one probe at a time: the endpoint Linux's
 * `statistic` rules pick, counted over many probes to each UDP Service and
 * set against the rules' probabilities; and the entry `conntrack -L` shows
 * on the node that DNATed each Service probe, set against the model's DNAT
 * (and masquerade) of the branch Linux took.
 *
 * @module
 */
import { servicePorts } from "../invariants/services.js";
import { trace } from "../trace/tracer.js";
import type { Step, Trace } from "../trace/types.js";
import type { World } from "../model/world.js";
import type { Lab } from "./linux.js";
import type { LabProbe } from "./probes.js";

/** Probes sent to each UDP Service for the distribution (from the first pod). */
export const DISTRIBUTION_PROBES = 60;

/** How far a share may stray from its probability, in standard deviations of the binomial share. */
export const DISTRIBUTION_SIGMAS = 4;

/** Source ports of the distribution probes start here (the other probes use 40001 up). */
const DISTRIBUTION_SPORTS = 45000;

const LABEL = "(distribution)";

/** One Service's endpoints: how often Linux picked each, against the model's probability. */
export interface Distribution {
  /** `VIP:PORT/udp`. */
  readonly service: string;
  readonly probes: number;
  readonly endpoints: readonly {
    readonly endpoint: string;
    readonly probability: number;
    readonly picked: number;
    /** The largest distance from the probability the share may have. */
    readonly tolerance: number;
  }[];
}

/** The Service checks of one lab run. */
export interface ServiceCheck {
  readonly distributions: readonly Distribution[];
  /** Service probes whose conntrack entry was compared with the model's. */
  readonly conntrackCompared: number;
  /** Shares outside their tolerance, conntrack entries that differ or are missing. */
  readonly differences: readonly string[];
}

/**
 * The distribution probes of a world: {@linkcode DISTRIBUTION_PROBES} UDP
 * probes from the first pod to each UDP Service, each its own flow.
 *
 * @param world The world.
 * @returns Probes labelled `… (distribution)`; none without UDP Services or pods.
 */
export function distributionProbes(world: World): LabProbe[] {
  const from = world.pods.find((p) => p.namespace !== undefined);
  if (!from) return [];
  const out: LabProbe[] = [];
  let sport = DISTRIBUTION_SPORTS;
  for (const s of servicePorts(world).filter((s) => s.proto === "udp")) {
    for (let i = 0; i < DISTRIBUTION_PROBES; i++) {
      sport++;
      out.push({
        label: `${from.name} → ${s.clusterIp}:${s.port} udp #${i + 1} ${LABEL}`,
        key: sport,
        probe: { from: from.name, to: String(s.clusterIp), proto: "udp", port: s.port, sport },
      });
    }
  }
  return out;
}

/**
 * Whether a probe is one of {@linkcode distributionProbes}.
 *
 * @param p A lab probe.
 * @returns True for a distribution probe.
 */
export function isDistributionProbe(p: LabProbe): boolean {
  return p.label.endsWith(LABEL);
}

/** What the Service checks need of a probe's row. */
export interface ServiceRow {
  readonly probe: LabProbe;
  /** The endpoint Linux's random rules chose, when the probe met them. */
  readonly endpoint?: string;
}

type NatStep = Extract<Step, { kind: "nat" }>;

function natSteps(t: Trace): { ns: string; step: NatStep }[] {
  return t.hops.flatMap((h) =>
    h.steps.filter((s): s is NatStep => s.kind === "nat").map((step) => ({
      ns: h.at.name,
      step,
    }))
  );
}

/**
 * Counts where the distribution probes landed and compares each share with
 * the probability the model gives the endpoint (within
 * {@linkcode DISTRIBUTION_SIGMAS} standard deviations).
 *
 * @param world The world.
 * @param rows The lab's rows (only the distribution probes are read).
 * @returns One distribution per Service, and the shares out of tolerance.
 */
export function distributions(
  world: World,
  rows: readonly ServiceRow[],
): { distributions: Distribution[]; differences: string[] } {
  const bySvc = new Map<string, ServiceRow[]>();
  for (const r of rows.filter((r) => isDistributionProbe(r.probe))) {
    const key = `${r.probe.probe.to}:${r.probe.probe.port}/udp`;
    bySvc.set(key, [...(bySvc.get(key) ?? []), r]);
  }
  const out: Distribution[] = [];
  const differences: string[] = [];
  for (const [service, group] of bySvc) {
    const first = trace(world, group[0].probe.probe);
    const nat = first.ok
      ? natSteps(first.value).find((n) => n.step.choices !== undefined)?.step
      : undefined;
    const n = group.length;
    const endpoints = (nat?.choices ?? []).map((c) => {
      const addr = c.to.split(":")[0];
      const picked = group.filter((r) => r.endpoint === addr).length;
      const p = c.probability;
      const tolerance = DISTRIBUTION_SIGMAS * Math.sqrt(p * (1 - p) / n);
      if (Math.abs(picked / n - p) > tolerance) {
        differences.push(
          `${service}: ${c.to} picked ${picked} of ${n} times (${(picked / n).toFixed(2)}), ` +
            `the rules give it ${p.toFixed(2)} ± ${tolerance.toFixed(2)}`,
        );
      }
      return { endpoint: c.to, probability: p, picked, tolerance };
    });
    out.push({ service, probes: n, endpoints });
  }
  return { distributions: out, differences };
}

/** One conntrack entry: the original and the reply direction's tuples. */
interface Entry {
  readonly orig: readonly string[];
  readonly reply: readonly string[];
}

/** Reads `conntrack -L` lines into entries (src, dst, sport, dport per direction). */
export function parseConntrack(text: string): Entry[] {
  return text.split("\n").flatMap((line) => {
    const f = [...line.matchAll(/\b(src|dst|sport|dport)=(\S+)/g)].map((m) => m[2]);
    return f.length >= 8 ? [{ orig: f.slice(0, 4), reply: f.slice(4, 8) }] : [];
  });
}

/**
 * Compares, for every Service probe Linux answered through a DNAT, the
 * entry conntrack keeps on the node that did the DNAT with the model's
 * DNAT on the branch Linux took: the original tuple as sent, the reply
 * tuple from the endpoint to the address the endpoint saw (after any
 * masquerade; the port a `--random-fully` masquerade picks is not
 * compared).
 *
 * @param lab The open lab (its conntrack tables are read).
 * @param rows The probes' rows.
 * @returns How many were compared, and what differs.
 */
export async function compareConntrack(
  lab: Lab,
  rows: readonly ServiceRow[],
): Promise<{ compared: number; differences: string[] }> {
  const differences: string[] = [];
  let compared = 0;
  const tables = new Map<string, Promise<Entry[]>>();
  const table = (ns: string) => {
    if (!tables.has(ns)) {
      tables.set(
        ns,
        lab.exec(ns, ["conntrack", "-L", "-p", "udp"]).then((r) => parseConntrack(r.stdout)),
      );
    }
    return tables.get(ns)!;
  };
  for (const r of rows) {
    if (r.endpoint === undefined || r.probe.probe.proto !== "udp") continue;
    const t = trace(lab.world, { ...r.probe.probe, branch: r.endpoint });
    if (!t.ok || t.value.verdict.kind !== "delivered" && !t.value.reply) continue;
    const nats = natSteps(t.value);
    const dnat = nats.find((n) => n.step.before.dst !== n.step.after.dst);
    if (!dnat) continue;
    const snat = nats.find((n) =>
      n.ns === dnat.ns && n.step.hook === "POSTROUTING" && n.step.before.src !== n.step.after.src
    );
    const b = dnat.step.before;
    const orig = [b.src, b.dst, b.sport, b.dport].map(String);
    const seen = snat ? snat.step.after.src : b.src;
    const reply = [dnat.step.after.dst, seen, dnat.step.after.dport].map(String);
    const entries = await table(dnat.ns);
    const found = entries.find((e) => e.orig.join(" ") === orig.join(" "));
    compared++;
    if (!found) {
      differences.push(
        `${r.probe.label}: no conntrack entry on ${dnat.ns} for ${orig[0]}:${orig[2]} → ${
          orig[1]
        }:${orig[3]}`,
      );
      continue;
    }
    const got = [found.reply[0], found.reply[1], found.reply[2]];
    if (got.join(" ") !== reply.join(" ")) {
      differences.push(
        `${r.probe.label}: conntrack on ${dnat.ns} expects the reply ${got[0]}:${got[2]} → ${
          got[1]
        }, the model ${reply[0]}:${reply[2]} → ${reply[1]}`,
      );
    }
  }
  return { compared, differences };
}

/**
 * Both Service checks of a lab run, or undefined for a world without a
 * UDP Service.
 *
 * @param lab The open lab.
 * @param rows The probes' rows, distribution probes included.
 * @returns The checks.
 */
export async function checkServices(
  lab: Lab,
  rows: readonly ServiceRow[],
): Promise<ServiceCheck | undefined> {
  if (!servicePorts(lab.world).some((s) => s.proto === "udp")) return undefined;
  const ct = await compareConntrack(lab, rows);
  const d = distributions(lab.world, rows);
  return {
    distributions: d.distributions,
    conntrackCompared: ct.compared,
    differences: [...ct.differences, ...d.differences],
  };
}

/**
 * The checks as lines for the lab's report.
 *
 * @param c The checks.
 * @returns Text lines.
 */
export function formatServiceCheck(c: ServiceCheck): string[] {
  const lines = [
    "",
    `conntrack: ${c.conntrackCompared} Service flow(s) compared with the model's DNAT: ${
      c.differences.some((d) => d.includes("conntrack")) ? "some DISAGREE" : "all agree"
    }`,
  ];
  for (const d of c.distributions) {
    const shares = d.endpoints.map((e) =>
      `${e.endpoint} ${e.picked}/${d.probes} (rules ${e.probability.toFixed(2)} ± ${
        e.tolerance.toFixed(2)
      })`
    );
    lines.push(`endpoints of ${d.service}: ${shares.join(", ")}`);
  }
  lines.push(
    `distribution tolerance: ${DISTRIBUTION_SIGMAS} standard deviations of a binomial share ` +
      `over ${DISTRIBUTION_PROBES} probes`,
  );
  lines.push(...c.differences.map((d) => `    ✗ ${d}`));
  return lines;
}
