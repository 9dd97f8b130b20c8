/**
 * `deno task test` — THE test command: type check (code and JSDoc
 * examples), lint, format check, then the unit and property tests, the
 * browser tests and the real-Linux lab tests, each in its own process,
 * with one summary at the end. Exits non-zero when any step fails.
 *
 * `deno task test --only unit,lint` runs a subset while developing.
 *
 * Skips: a test file skips only through `skipSuite` (tests/support/skip.ts),
 * which prints one marker line with the reason; the summary line of each
 * step counts them. With `CI=1` (set by `.ci/run`) any skip fails its
 * step: CI installs everything, so a skip there means a test did not run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SKIP_MARK } from "./support/skip.ts";

interface Step {
  readonly name: string;
  readonly key: string;
  readonly args: readonly string[];
  /** Test files this step runs, when it runs tests. */
  readonly files?: () => string[];
}

function testFiles(dir: string): () => string[] {
  return () => {
    const out: string[] = [];
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.isFile && e.name.endsWith(".test.ts")) out.push(`${dir}/${e.name}`);
      }
    } catch {
      // a missing folder holds no tests
    }
    return out.sort();
  };
}

const STEPS: readonly Step[] = [
  { key: "deps", name: "dependencies (deno.lock)", args: ["install", "--frozen"] },
  {
    key: "check",
    name: "type check",
    args: [
      "check",
      "src/",
      "tests/",
      "bench/",
      "tools/",
      "lessons/components/",
      "observablehq.config.ts",
    ],
  },
  { key: "doc", name: "JSDoc examples", args: ["check", "--doc-only", "src/"] },
  { key: "lint", name: "lint", args: ["lint"] },
  { key: "fmt", name: "format", args: ["fmt", "--check"] },
  {
    key: "unit",
    name: "unit and property tests",
    args: ["run", "-A", "tests/uvu.ts"],
    files: testFiles("tests"),
  },
  {
    key: "browser",
    name: "browser tests",
    args: ["run", "-A", "tests/uvu.ts"],
    files: testFiles("tests/browser"),
  },
  {
    key: "lab",
    name: "real Linux lab",
    args: ["run", "-A", "tests/uvu.ts"],
    files: testFiles("tests/lab"),
  },
];

interface Outcome {
  readonly step: Step;
  readonly code: number;
  readonly seconds: number;
  readonly counts?: string;
  /** The reasons of every skip the step's files announced. */
  readonly skips?: readonly string[];
}

const CI = Deno.env.get("CI") === "1" || Deno.env.get("CI") === "true";

async function runStep(step: Step): Promise<Outcome> {
  const files = step.files?.() ?? [];
  const started = performance.now();
  console.log(`\n━━ ${step.name} ━━`);
  if (step.files && files.length === 0) {
    console.log("no test files");
    return { step, code: 0, seconds: 0, counts: "no tests" };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [...step.args, ...files],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let captured = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    captured += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  // deno-lint-ignore no-control-regex
  const plain = captured.replace(/\x1b\[[0-9;]*m/g, "");
  const skips = plain.split("\n").filter((l) => l.startsWith(SKIP_MARK))
    .map((l) => l.slice(SKIP_MARK.length).trim());
  const failed = code !== 0 || (CI && skips.length > 0);
  if (CI && skips.length > 0) {
    console.log(`CI=1: ${skips.length} skip(s) count as failures: ${skips.join("; ")}`);
  }
  return {
    step,
    code: failed ? (code || 1) : 0,
    seconds: (performance.now() - started) / 1000,
    counts: countsOf(captured),
    skips,
  };
}

/** uvu prints "Total: N / Passed: N / Skipped: N"; colour codes are stripped first. */
function countsOf(output: string): string | undefined {
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const total = /Total:\s+(\d+)/.exec(plain)?.[1];
  const passed = /Passed:\s+(\d+)/.exec(plain)?.[1];
  const skipped = /Skipped:\s+(\d+)/.exec(plain)?.[1];
  return total
    ? `${passed}/${total} passed${skipped && skipped !== "0" ? `, ${skipped} skipped` : ""}`
    : undefined;
}

const { values } = parseArgs({ args: Deno.args, options: { only: { type: "string" } } });
const only = values.only?.split(",");
const unknown = only?.filter((k) => !STEPS.some((s) => s.key === k)) ?? [];
if (unknown.length > 0) {
  console.error(
    `deno task test: unknown step ${unknown.join(", ")}; steps are ${
      STEPS.map((s) => s.key).join(", ")
    }`,
  );
  Deno.exit(2);
}
const outcomes: Outcome[] = [];
for (const step of STEPS) if (!only || only.includes(step.key)) outcomes.push(await runStep(step));

console.log("\n━━ summary ━━");
for (const o of outcomes) {
  const status = o.code === 0 ? "ok  " : "FAIL";
  console.log(
    `${status}  ${o.step.name.padEnd(26)} ${o.seconds.toFixed(1).padStart(6)} s  ${o.counts ?? ""}${
      o.skips?.length ? ` — SKIPPED ${o.skips.length}: ${o.skips.join("; ")}` : ""
    }`,
  );
}
const failed = outcomes.filter((o) => o.code !== 0);
console.log(
  failed.length === 0
    ? "\nall steps passed"
    : `\n${failed.length} step(s) failed: ${failed.map((o) => o.step.name).join(", ")}`,
);
Deno.exit(failed.length === 0 ? 0 : 1);
