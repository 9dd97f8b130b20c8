/**
 * `deno task verify <scenario.json> [--json]` — checks the network model's
 * invariants and, when the nodes have kube-proxy's rules, the Service
 * rules (every pod reaches every ClusterIP, every external client every
 * NodePort, on every branch, with the reply back). Exit code: 0 when all
 * hold, 1 when one fails (the counterexamples are listed), 2 for bad input.
 *
 * @module
 */
import { checkInvariants } from "../invariants/invariants.js";
import {
  nodePortReachability,
  nodePorts,
  servicePorts,
  serviceReachability,
} from "../invariants/services.js";
import type { ServiceProblem } from "../invariants/services.js";
import type { World } from "../model/world.js";
import { describeDrop } from "../render/describe.js";
import { describeCounterexample, formatInvariants } from "../render/text.js";
import { readArgs, readWorld, run, UsageError } from "./common.js";

/** One Service rule's outcome, as the command prints it. */
interface ServiceRule {
  readonly name: "service-reachability" | "nodeport-reachability";
  readonly holds: boolean;
  readonly checked: number;
  readonly counterexamples: readonly string[];
}

function problemText(p: ServiceProblem): string {
  return p.kind === "dropped" ? describeDrop(p.drop, "en") : "delivered without any DNAT";
}

/** The Service rules of a world with kube-proxy's rules (none without them). */
function serviceRules(world: World): ServiceRule[] {
  const out: ServiceRule[] = [];
  if (servicePorts(world).length > 0) {
    out.push(
      ruleOf(
        "service-reachability",
        serviceReachability(world),
        (c) =>
          `${c.from} → ${c.service.clusterIp}:${c.service.port}/${c.service.proto} via ${c.endpoint}`,
      ),
    );
  }
  if (nodePorts(world).length > 0) {
    out.push(
      ruleOf(
        "nodeport-reachability",
        nodePortReachability(world),
        (c) =>
          `${c.from} → ${c.addr}:${c.nodePort.port}/${c.nodePort.proto} (${c.node}) via ${c.endpoint}`,
      ),
    );
  }
  return out;
}

/** A Service rule's line: whether it holds, and each counterexample as "probe: problem". */
function ruleOf<C extends { readonly problem: ServiceProblem }>(
  name: ServiceRule["name"],
  r: { readonly holds: boolean; readonly checked: number; readonly counterexamples: readonly C[] },
  probe: (c: C) => string,
): ServiceRule {
  return {
    name,
    holds: r.holds,
    checked: r.checked,
    counterexamples: r.counterexamples.map((c) => `${probe(c)}: ${problemText(c.problem)}`),
  };
}

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
  const services = serviceRules(world);
  const holds = results.every((r) => r.holds) && services.every((r) => r.holds);
  if (values.json) {
    console.log(JSON.stringify(
      {
        scenario: world.name,
        holds,
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
        services: services.map((r) => ({
          ...r,
          counterexamples: r.counterexamples.slice(0, limit),
          more: Math.max(0, r.counterexamples.length - limit),
        })),
      },
      null,
      2,
    ));
  } else {
    const lines = services.flatMap((r) => [
      `${r.holds ? "holds " : "FAILS "} ${r.name} (${r.checked} checked${
        r.holds ? "" : `, ${r.counterexamples.length} counterexamples`
      })`,
      ...r.counterexamples.slice(0, limit).map((c) => `         ${c}`),
      ...(r.counterexamples.length > limit
        ? [`         ... and ${r.counterexamples.length - limit} more`]
        : []),
    ]);
    console.log(`${world.name}:\n${formatInvariants(results, limit)}`);
    if (lines.length) console.log(lines.join("\n"));
  }
  return holds ? 0 : 1;
}

if (import.meta.main) run("verify", USAGE, main);
