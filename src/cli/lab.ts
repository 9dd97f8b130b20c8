/**
 * `deno task lab <scenario.json>...` — builds each scenario in Linux network
 * namespaces (as root), sends every probe with ping and a UDP sender,
 * compares what Linux did with the kernel's trace and prints a table per
 * scenario. `deno task lab --pause` shows the pause container for real.
 * Exit code: 0 when every probe agrees, 1 on any disagreement or when the
 * run fails part-way (one line says why; everything built is removed
 * first), 2 when the lab cannot run here or the input is bad, 128 + the
 * signal's number after SIGHUP, SIGINT or SIGTERM (everything built is
 * removed first). See docs/lab.md.
 *
 * @module
 */
import { closeAll, labUnavailable } from "../lab/linux.js";
import { formatPauseDemo, runPauseDemo } from "../lab/pause.js";
import { disagreements as countDisagreements, formatReport, runLab } from "../lab/runner.js";
import { formatFuzzCase, formatFuzzSummary, runFuzz } from "../lab/fuzz.js";
import { escapeText } from "../text.js";
import { readArgs, readWorld, UsageError } from "./common.js";

const USAGE =
  "deno task lab <scenario.json>... [--json] [--no-extras] [--concurrency N] [--prefix P] | deno task lab --fuzz N [--seed S] [--only I] | deno task lab --pause";

async function main(): Promise<number> {
  const { values, positionals } = readArgs(Deno.args, {
    json: { type: "boolean" },
    "no-extras": { type: "boolean" },
    concurrency: { type: "string" },
    prefix: { type: "string" },
    pause: { type: "boolean" },
    fuzz: { type: "string" },
    seed: { type: "string" },
    only: { type: "string" },
  });
  const fuzz = values.fuzz === undefined ? undefined : wholeNumber("--fuzz", values.fuzz, 1);
  if (!values.pause && fuzz === undefined && positionals.length === 0) {
    throw new UsageError("Expected a scenario file");
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new UsageError("--concurrency needs a whole number above 0");
  }
  const worlds = positionals.map(readWorld);
  const why = await labUnavailable(values.pause ? ["unshare", "nsenter", "sleep"] : []);
  if (why) {
    console.error(`podnet lab: cannot run: ${why}`);
    return 2;
  }
  if (fuzz !== undefined) {
    const seed = values.seed === undefined
      ? Date.now() % 2 ** 31
      : wholeNumber("--seed", values.seed, 0);
    const only = values.only === undefined ? undefined : wholeNumber("--only", values.only, 0);
    console.log(`podnet lab: fuzz ${fuzz} broken worlds from seed ${seed}`);
    const report = await runFuzz({
      n: fuzz,
      seed,
      only,
      concurrency,
      onCase: (c) => {
        const text = formatFuzzCase(c, seed, fuzz);
        if (text) console.log(text);
      },
    });
    console.log(formatFuzzSummary(report));
    return report.disagreements === 0 && report.unobserved === 0 ? 0 : 1;
  }
  if (values.pause) {
    const demo = await runPauseDemo({ prefix: values.prefix });
    console.log(values.json ? JSON.stringify(demo, null, 2) : formatPauseDemo(demo));
    return demo.holds ? 0 : 1;
  }
  let disagreements = 0;
  for (const world of worlds) {
    const report = await runLab(world, {
      concurrency,
      prefix: values.prefix,
      extras: !values["no-extras"],
    });
    disagreements += countDisagreements(report);
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report) + "\n");
  }
  return disagreements === 0 ? 0 : 1;
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= min)) {
    throw new UsageError(`${flag} needs a whole number of at least ${min}`);
  }
  return n;
}

/** An error as one line: its message, never a stack trace. */
function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return escapeText(text.replace(/\s*\n\s*/g, " | "), 500);
}

/** A failure nobody caught: remove what the lab built, say why in one line, exit 1. */
async function crash(e: unknown): Promise<never> {
  await closeAll();
  console.error(`podnet lab: failed: ${oneLine(e)}`);
  Deno.exit(1);
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    void crash(ev.reason);
  });
  globalThis.addEventListener("error", (ev) => {
    ev.preventDefault();
    void crash(ev.error ?? ev.message);
  });
  let code: number;
  try {
    code = await main();
  } catch (e) {
    if (!(e instanceof UsageError)) await crash(e);
    console.error(`podnet lab: ${oneLine(e)}\nusage: ${USAGE}`);
    code = 2;
  }
  Deno.exit(code);
}
