/**
 * `deno task lab --fuzz` in CI: every broken world that ever disagreed with
 * Linux, replayed by its seed, and a few fresh worlds from a fixed seed
 * (FUZZ_SEED and FUZZ_N change them). A failure prints each disagreement
 * with the command that replays its world alone.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyMutation } from "../../src/fuzz/mutate.js";
import { formatFuzzCase, type FuzzReport, runFuzz } from "../../src/lab/fuzz.js";
import { runLab } from "../../src/lab/runner.js";
import { buildScenario } from "../../src/scenario/build.js";
import { loadScenario } from "../../src/scenario/load.js";
import { must } from "../support/world.ts";
import { assertAgrees, envNumber, skipReason } from "./support.ts";

/**
 * Worlds that disagreed once: `[N, seed, index]` as printed by
 * `deno task lab --fuzz N --seed S --only I`, and what was wrong.
 */
const REGRESSIONS: readonly [number, number, number, string][] = [
  [6, 1, 4, "loader: a gateway whose connected route was deleted (Linux: invalid gateway)"],
  [40, 2, 16, "VXLAN outer packet without a route: the node's own sender is told nothing"],
  [
    200,
    1,
    52,
    "cold neighbour cache: a pod's 9000-byte frame too big for its own veth peer is lost silently (another sender's ARP request had left an entry, Linux said ENOBUFS)",
  ],
];

function failures(r: FuzzReport): string[] {
  return r.cases.flatMap((c) => {
    const text = formatFuzzCase(c, r.seed, r.n);
    return text ? [text] : [];
  });
}

if (!(await skipReason())) {
  for (const [n, seed, only, what] of REGRESSIONS) {
    test(`lab fuzz regression (--fuzz ${n} --seed ${seed} --only ${only}): ${what}`, async () => {
      const r = await runFuzz({ n, seed, only });
      assert.equal(failures(r), []);
      assert.ok(r.cases.length === 1, "the world ran");
    });
  }

  test("lab: a static bridge FDB entry on the wrong port is moved by learning (each pod's port in turn)", async () => {
    const doc = must(buildScenario({ mode: "single-host", pods: 3 }));
    const w = must(loadScenario(doc));
    const node = w.namespaces.find((n) => n.name === "node-1")!;
    const mac = w.namespaces.find((n) =>
      n.name === "pod-c"
    )!.devices.find((d) => d.name === "eth0")!
      .mac;
    const ports = node.devices.filter((d) => d.master === "cni0");
    for (const port of ports) { // one lab at a time: each is small
      const line = `${mac} dev ${port.name} master cni0 static`;
      const broken = must(
        loadScenario(applyMutation(doc, { kind: "fdb-add", ns: "node-1", line })),
      );
      assertAgrees(await runLab(broken), `${line}: `);
    }
  });

  test("lab fuzz: fresh broken worlds from a fixed seed agree with Linux", async () => {
    const seed = envNumber("FUZZ_SEED", 20261202);
    const n = envNumber("FUZZ_N", 2);
    const r = await runFuzz({ n, seed, labsAtOnce: 2 });
    const bad = failures(r);
    if (bad.length > 0) {
      assert.unreachable(
        `seed ${seed} (replay: FUZZ_SEED=${seed} FUZZ_N=${n}):\n${bad.join("\n")}`,
      );
    }
    assert.ok(r.probes > 0, "the lab sent probes");
  });
}

test.run();
