/**
 * Differential testing against Linux on broken worlds: `deno task lab
 * --fuzz N --seed S` draws N small clusters from the seed, breaks each with
 * the mutations of `src/fuzz/mutate.ts`, builds it in namespaces, sends the
 * wide set of probes (every namespace kind to pods, to every node address,
 * to DNATed and unassigned addresses) and prints every disagreement with
 * the seed and the world's index, which replay it alone (`--only I`).
 *
 * A world Linux refuses to build is a disagreement too (the loader accepted
 * what `ip` or `iptables` refuses); a world whose lab could not run (an
 * agent did not start, a capture lost frames) is counted apart, as "not
 * observed", never as agreement.
 *
 * @module
 */
import fc from "fast-check";
import { type BrokenWorld, brokenWorlds, describeMutation } from "../fuzz/mutate.js";
import { type LabReport, runLab, type RunOptions } from "./runner.js";

/** What {@linkcode runFuzz} needs. */
export interface FuzzOptions extends RunOptions {
  /** How many worlds. */
  readonly n: number;
  /** The fast-check seed the worlds are drawn from. */
  readonly seed: number;
  /** Run only the world with this index (0-based) of the N. */
  readonly only?: number;
  /** Labs at once (default 3). */
  readonly labsAtOnce?: number;
  /** Called as each world finishes, in the order they finish. */
  readonly onCase?: (c: FuzzCase) => void;
}

/** One broken world and what the lab made of it. */
export interface FuzzCase {
  readonly index: number;
  readonly world: BrokenWorld;
  /** How it ended: every probe compared, Linux refused to build it, or the lab could not observe. */
  readonly outcome:
    | { readonly kind: "compared"; readonly report: LabReport }
    | { readonly kind: "refused"; readonly message: string }
    | { readonly kind: "unobserved"; readonly message: string };
}

/** A whole fuzz run. */
export interface FuzzReport {
  readonly seed: number;
  readonly n: number;
  readonly cases: readonly FuzzCase[];
  readonly probes: number;
  /** Probes where the kernel and Linux differ, plus worlds Linux refused to build. */
  readonly disagreements: number;
  readonly unobserved: number;
}

/**
 * Draws the worlds, runs a lab for each and collects the disagreements.
 *
 * @param options How many, the seed, and the lab's options.
 * @returns The report.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const worlds = fc.sample(brokenWorlds(), { seed: options.seed, numRuns: options.n });
  const indices = worlds.map((_, i) => i).filter((i) =>
    options.only === undefined || i === options.only
  );
  const cases: FuzzCase[] = [];
  let next = 0;
  const worker = async () => {
    while (next < indices.length) {
      const index = indices[next++];
      const c = await runCase(index, worlds[index], options);
      cases.push(c);
      options.onCase?.(c);
    }
  };
  await Promise.all(Array.from({ length: options.labsAtOnce ?? 3 }, worker));
  cases.sort((a, b) => a.index - b.index);
  const rows = cases.flatMap((c) => (c.outcome.kind === "compared" ? c.outcome.report.rows : []));
  return {
    seed: options.seed,
    n: options.n,
    cases,
    probes: rows.length,
    disagreements: rows.filter((r) => r.differences.length > 0).length +
      cases.filter((c) => c.outcome.kind === "refused").length,
    unobserved: cases.filter((c) => c.outcome.kind === "unobserved").length,
  };
}

async function runCase(index: number, world: BrokenWorld, options: FuzzOptions): Promise<FuzzCase> {
  const first = await runOnce(index, world, options);
  // An agent that did not start on a busy machine says nothing about the
  // model: try once more before counting the world as not observed.
  return first.outcome.kind === "unobserved" ? await runOnce(index, world, options) : first;
}

async function runOnce(index: number, world: BrokenWorld, options: FuzzOptions): Promise<FuzzCase> {
  try {
    const report = await runLab(world.world, { ...options, wide: true });
    return { index, world, outcome: { kind: "compared", report } };
  } catch (e) {
    const message = (e as Error).message;
    const kind = /^Building the lab failed/.test(message) ? "refused" : "unobserved";
    return { index, world, outcome: { kind, message } };
  }
}

/**
 * One world's disagreements as text: how to replay it, the cluster, the
 * mutations as commands, and each disagreeing probe with its differences.
 * Empty when the world agrees.
 *
 * @param c A case.
 * @param seed The run's seed.
 * @param n The run's N.
 * @returns Text for a terminal.
 */
export function formatFuzzCase(c: FuzzCase, seed: number, n: number): string {
  const head = [
    `world ${c.index} of seed ${seed}: deno task lab --fuzz ${n} --seed ${seed} --only ${c.index}`,
    `  cluster: ${JSON.stringify(c.world.spec)}`,
    ...c.world.applied.map((m) => `  broken: ${describeMutation(m)}`),
  ];
  if (c.outcome.kind === "refused") {
    return [...head, `  ✗ Linux refused to build it: ${c.outcome.message}`].join("\n");
  }
  if (c.outcome.kind === "unobserved") {
    return [...head, `  ? the lab could not observe it: ${c.outcome.message}`].join("\n");
  }
  const bad = c.outcome.report.rows.filter((r) => r.differences.length > 0);
  if (bad.length === 0) return "";
  return [
    ...head,
    ...bad.flatMap((r) => [`  ✗ ${r.probe.label}`, ...r.differences.map((d) => `      ${d}`)]),
  ]
    .join("\n");
}

/**
 * The run's last lines: worlds, probes, disagreements, not observed.
 *
 * @param r A fuzz report.
 * @returns One line.
 */
export function formatFuzzSummary(r: FuzzReport): string {
  const compared = r.cases.filter((c) => c.outcome.kind === "compared").length;
  return `fuzz seed ${r.seed}: ${r.cases.length} worlds (${compared} built and probed), ` +
    `${r.probes} probes, ${r.disagreements} disagreement(s), ${r.unobserved} not observed`;
}
