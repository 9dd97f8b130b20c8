/**
 * `deno task verify <scenario.json> [--json]` — checks the network model's
 * invariants. Exit code: 0 when all hold, 1 when one fails (the
 * counterexamples are listed), 2 for bad input.
 *
 * @module
 */
import { checkInvariants } from "../invariants/invariants.js";
import { describeCounterexample, formatInvariants } from "../render/text.js";
import { readArgs, readWorld, run, UsageError } from "./common.js";

const USAGE = "deno task verify <scenario.json> [--json] [--limit N]";

function main(): number {
  const { values, positionals } = readArgs(Deno.args, {
    json: { type: "boolean" },
    limit: { type: "string" },
  });
  if (positionals.length !== 1) {
    throw new UsageError(`Expected 1 argument, got ${positionals.length}`);
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError("--limit needs a whole number");
  const world = readWorld(positionals[0]);
  const results = checkInvariants(world);
  if (values.json) {
    console.log(JSON.stringify(
      {
        scenario: world.name,
        holds: results.every((r) => r.holds),
        invariants: results.map((r) => ({
          name: r.name,
          holds: r.holds,
          checked: r.checked,
          counterexamples: r.counterexamples.slice(0, limit).map((c) => ({
            text: describeCounterexample(c),
            ...("trace" in c ? { ...c, trace: undefined, verdict: c.trace.verdict } : c),
          })),
          more: Math.max(0, r.counterexamples.length - limit),
        })),
      },
      null,
      2,
    ));
  } else {
    console.log(`${world.name}:\n${formatInvariants(results, limit)}`);
  }
  return results.every((r) => r.holds) ? 0 : 1;
}

if (import.meta.main) run("verify", USAGE, main);
