/**
 * `deno task trace <scenario.json> <from> <to> [--json]` — traces one packet
 * and prints the hops as a table (or one JSON object). Exit code: 0 when
 * the packet is delivered, 1 when it is dropped, 2 for bad input.
 *
 * @module
 */
import { formatTrace, traceToJson } from "../render/text.js";
import { formatProbeError } from "../trace/probe.js";
import { trace } from "../trace/tracer.js";
import type { Protocol } from "../model/world.js";
import { readArgs, readWorld, run, UsageError } from "./common.js";

const USAGE =
  "deno task trace <scenario.json> <from pod[/container]|namespace> <to pod|IPv4> [--json] [--proto icmp|udp|tcp] [--port N] [--sport N] [--size BYTES] [--no-df] [--ttl N] [--branch ENDPOINT|seed:N] [--lang en|ko]";

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) {
    throw new UsageError(`--${flag} needs a whole number, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function main(): number {
  const { values, positionals } = readArgs(Deno.args, {
    json: { type: "boolean" },
    proto: { type: "string" },
    port: { type: "string" },
    sport: { type: "string" },
    size: { type: "string" },
    "no-df": { type: "boolean" },
    ttl: { type: "string" },
    branch: { type: "string" },
    lang: { type: "string" },
  });
  if (positionals.length !== 3) {
    throw new UsageError(`Expected 3 arguments, got ${positionals.length}`);
  }
  const lang = values.lang ?? "en";
  if (lang !== "en" && lang !== "ko") throw new UsageError("--lang must be en or ko");
  const [file, from, to] = positionals;
  const world = readWorld(file);
  const result = trace(world, {
    from,
    to,
    proto: values.proto as Protocol | undefined,
    port: int(values.port, "port"),
    sport: int(values.sport, "sport"),
    size: int(values.size, "size"),
    df: !values["no-df"],
    ttl: int(values.ttl, "ttl"),
    branch: values.branch,
  });
  if (!result.ok) throw new UsageError(formatProbeError(result.error));
  console.log(
    values.json
      ? JSON.stringify(traceToJson(result.value), null, 2)
      : formatTrace(result.value, lang),
  );
  return result.value.verdict.kind === "delivered" ? 0 : 1;
}

if (import.meta.main) run("trace", USAGE, main);
