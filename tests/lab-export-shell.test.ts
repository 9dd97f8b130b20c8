/**
 * The exported script is shell-safe by construction: for random strings in
 * every field of a scenario — names, mode, routes, FDB and neighbour
 * lines, iptables lines, descriptions — either the loader refuses the
 * document (and the export refuses the world), or the script, run by `sh`
 * with stand-ins that record their argv, runs exactly the commands the
 * plan means, with exactly their arguments, no other command, no file
 * written. And shellcheck finds nothing in the examples' scripts.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { exportLab, intendedArgv, type LabPlan, scriptOf } from "../src/lab/export.js";
import { loadScenario } from "../src/scenario/load.js";
import { replayParameters } from "./support/property.ts";
import { skipSuite } from "./support/skip.ts";
import { Standins } from "./support/standins.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const read = (name: string): Json =>
  JSON.parse(Deno.readTextFileSync(new URL(`../lessons/scenarios/${name}.json`, import.meta.url)));
const EXAMPLES = ["single-host", "same-range", "gateway", "host-gw", "vxlan", "nat"];

/** Every string in a document, with a setter. */
function leaves(doc: Json): { value: string; set: (s: string) => void }[] {
  const out: { value: string; set: (s: string) => void }[] = [];
  const walk = (v: Json, set: (x: Json) => void) => {
    if (typeof v === "string") out.push({ value: v, set });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, (y) => (v[i] = y)));
    else if (v !== null && typeof v === "object") {
      for (const k of Object.keys(v)) walk(v[k], (y) => (v[k] = y));
    }
  };
  walk(doc, () => {});
  return out;
}

/** Renames a word everywhere it stands alone (between spaces and slashes): a consistent rename. */
function rename(doc: Json, from: string, to: string) {
  for (const leaf of leaves(doc)) {
    const parts = leaf.value.split(/([\s/])/);
    if (parts.includes(from)) leaf.set(parts.map((p) => (p === from ? to : p)).join(""));
  }
}

const SHELL = [
  "$(touch pwned)",
  "`touch pwned`",
  ";touch pwned",
  "||touch pwned",
  "&&touch pwned",
  "\ntouch pwned\n",
  "'",
  '"',
  "\\",
  "\u0000",
  "\u001b[2J",
  "\u202e",
  "a b",
  ">pwned",
  "$HOME",
  "*",
  "#",
  "-n",
];

/** Hostile text, and names that pass the grammar with shell characters around them. */
const hostile = fc.oneof(
  fc.constantFrom(...SHELL),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...SHELL, "a", "0", "-", ".", "_"), maxLength: 6 }),
  fc.string({ unit: fc.constantFrom("a", "b", "0", "-", ".", "_"), minLength: 1, maxLength: 15 }),
);

/** Names the grammars accept, built from letters and the characters around shell syntax. */
const safeName = fc.string({
  unit: fc.constantFrom("a", "b", "0", "-", ".", "_"),
  minLength: 1,
  maxLength: 15,
}).filter((n) => /^[a-z0-9]/.test(n));

/** Printable hostile text: what may pass the screen (no control characters). */
const printable = fc.string({
  unit: fc.constantFrom("$(", ")", "`", ";", "|", "&", "'", "\\", ">", "*", "#", " ", "a", "-"),
  maxLength: 12,
});

/** One change to a document. */
const edit = fc.oneof(
  // any string leaf replaced, or hostile text added to it
  { arbitrary: fc.tuple(fc.constant("set" as const), fc.nat(), hostile), weight: 2 },
  { arbitrary: fc.tuple(fc.constant("append" as const), fc.nat(), hostile), weight: 1 },
  // a name renamed everywhere (so cross-references still hold)
  {
    arbitrary: fc.tuple(fc.constant("rename" as const), fc.nat(), fc.oneof(safeName, hostile)),
    weight: 3,
  },
  // an iptables comment, or a description, holding shell syntax
  { arbitrary: fc.tuple(fc.constant("comment" as const), fc.nat(), printable), weight: 2 },
  { arbitrary: fc.tuple(fc.constant("describe" as const), fc.nat(), printable), weight: 1 },
);

type Edit = ["set" | "append" | "rename" | "comment" | "describe", number, string];

const NAMES = (doc: Json): string[] => {
  const d = doc as {
    name: string;
    namespaces: { name: string; devices: { name: string }[] }[];
    pods: { name: string; containers: { name: string }[] }[];
    nodes: { name: string }[];
    segments: { name: string }[];
  };
  return [
    d.name,
    ...d.namespaces.flatMap((n) => [n.name, ...n.devices.map((x) => x.name)]),
    ...d.pods.flatMap((p) => [p.name, ...p.containers.map((c) => c.name)]),
    ...d.nodes.map((n) => n.name),
    ...d.segments.map((s) => s.name),
  ];
};

function apply(doc: Json, [kind, pick, s]: Edit) {
  const all = leaves(doc);
  if (kind === "set") all[pick % all.length].set(s);
  else if (kind === "append") {
    const leaf = all[pick % all.length];
    leaf.set(leaf.value + s);
  } else if (kind === "rename") {
    const names = NAMES(doc);
    rename(doc, names[pick % names.length], s);
  } else if (kind === "describe") {
    (doc as Record<string, Json>).description = { en: s, ko: `설명 ${s}` };
  } else {
    const nss = (doc as { namespaces: { iptables?: string[] }[] }).namespaces;
    const ns = nss[pick % nss.length];
    ns.iptables = [...(ns.iptables ?? []), `-A FORWARD -m comment --comment "${s}" -j ACCEPT`];
  }
}

let standins: Standins | undefined;
const counts = { refused: 0, ran: 0 };

test("export: any string in any field is refused by the loader, or the script runs exactly the plan's argv", async () => {
  standins = Standins.create();
  const property = fc.asyncProperty(
    fc.constantFrom(...EXAMPLES),
    fc.array(edit, { minLength: 1, maxLength: 2 }),
    async (name, edits) => {
      const doc = read(name);
      for (const e of edits) apply(doc, e as Edit);
      const world = loadScenario(doc);
      if (!world.ok) {
        counts.refused++;
        return;
      }
      const plan = exportLab(world.value, { prefix: "t-" });
      if (!plan.ok) {
        counts.refused++;
        return;
      }
      counts.ran++;
      const script = scriptOf(plan.value);
      for (const phase of ["up", "down"] as const) {
        const run = await standins!.run(script, [phase]);
        const header = phase === "up" ? [["ip", "netns", "list"], ["grep", "-q", "-e", "^t-"]] : [];
        const want = [...header, ...intendedArgv(plan.value, phase)];
        const sort = (x: string[][]) => x.map((a) => JSON.stringify(a)).sort();
        assert.is(run.stderr, "", `${phase}: stderr`);
        assert.is(run.code, 0, `${phase}: exit code`);
        assert.equal(run.files, [], `${phase}: files written`);
        // a pipeline's programs (ip | grep, ip | xargs) run at once, so their order is the
        // kernel's choice: up's check is compared as a set, then every command in order
        if (phase === "up") {
          assert.equal(sort(run.argv.slice(0, 2)), sort(header), phase);
          assert.equal(run.argv.slice(2), want.slice(2), phase);
        } else assert.equal(sort(run.argv), sort(want), phase);
      }
    },
  );
  const seed = replayParameters().seed ?? Date.now() ^ (Math.random() * 2 ** 31);
  console.log(`export shell property: seed ${seed} (FC_SEED=${seed} replays it)`);
  await fc.assert(property, {
    numRuns: 40,
    seed,
    includeErrorInReport: true,
    ...replayParameters(),
  });
  standins.close();
  console.log(`export shell property: ${counts.ran} scripts run, ${counts.refused} refused`);
  assert.ok(counts.ran >= 5, `only ${counts.ran} of the generated documents loaded`);
});

/** Each example's plan and script. */
function exampleScripts(): [string, LabPlan, string][] {
  return EXAMPLES.map((name) => {
    const world = loadScenario(read(name));
    if (!world.ok) throw new Error(`${name} does not load`);
    const plan = exportLab(world.value, { prefix: "t-" });
    if (!plan.ok) throw new Error(`${name}: ${plan.error.message}`);
    return [name, plan.value, scriptOf(plan.value)];
  });
}

test("export: the examples' scripts run exactly their plans' commands", async () => {
  const s = Standins.create();
  for (const [name, plan, script] of exampleScripts()) {
    const run = await s.run(script, ["up"]);
    assert.is(run.stderr, "", name);
    assert.equal(run.argv.slice(2), intendedArgv(plan, "up"), name);
  }
  s.close();
});

const shellcheck = await new Deno.Command("sh", { args: ["-c", "command -v shellcheck"] }).output();
if (shellcheck.code !== 0) {
  skipSuite(
    "shellcheck of the exported scripts",
    "shellcheck is not installed (apt-get install shellcheck)",
  );
} else {
  test("export: shellcheck finds nothing in the examples' scripts", async () => {
    for (const [name, , script] of exampleScripts()) {
      const check = new Deno.Command("shellcheck", {
        args: ["-s", "sh", "-"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = check.stdin.getWriter();
      await w.write(new TextEncoder().encode(script));
      await w.close();
      const out = await check.output();
      assert.is(out.code, 0, `${name}: ${new TextDecoder().decode(out.stdout)}`);
    }
  });
}

test("export: a world the loader refuses is refused by the export too", () => {
  const doc = read("single-host") as { namespaces: { devices: { name: string }[] }[] };
  const world = loadScenario(doc);
  assert.ok(world.ok);
  if (!world.ok) return;
  const ns = world.value.namespaces[0];
  const bad = {
    ...world.value,
    namespaces: [
      { ...ns, devices: ns.devices.map((d, i) => (i === 1 ? { ...d, name: "x;touch pwned" } : d)) },
      ...world.value.namespaces.slice(1),
    ],
  };
  const plan = exportLab(bad, { prefix: "t-" });
  assert.ok(!plan.ok);
  if (!plan.ok) assert.match(plan.error.message, "The scenario loader refuses this world");
});

test.run();
