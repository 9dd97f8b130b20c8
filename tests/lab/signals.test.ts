/**
 * The lab cleans up on every signal it can catch: SIGHUP (a closed
 * terminal), SIGINT and SIGTERM, each sent at a random (seeded) moment of
 * a run — while the script builds, while the agents start, while probes
 * fly — leave zero namespaces and zero processes with the lab's prefix,
 * and the root namespace's links, addresses, routes and iptables rules
 * exactly as they were. A run that fails part-way says why in one line
 * and exits non-zero.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { run, sleep } from "../../src/lab/linux.js";
import { replayParameters } from "../support/property.ts";
import { labNamespaces, rootState, skipReason } from "./support.ts";

const ROOT = new URL("../../", import.meta.url);

/** Process ids whose command line mentions `text` (the lab's prefix). */
function processesWith(text: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || e.name === String(Deno.pid)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (cmd.includes(text)) out.push(`${e.name}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const until = async (ok: () => Promise<boolean> | boolean, ms: number) => {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) return false;
    await sleep(50);
  }
  return true;
};

const CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

if (!(await skipReason())) {
  const seed = replayParameters().seed ?? (Date.now() % 2 ** 31);
  console.log(`lab signals: seed ${seed} (FC_SEED=${seed} replays the moments)`);
  // One moment per signal, from the first command to the probes: 0.2 s to 14 s after start.
  const moments = fc.sample(fc.integer({ min: 200, max: 14_000 }), { numRuns: 3, seed });

  (["SIGHUP", "SIGINT", "SIGTERM"] as const).forEach((signal, i) => {
    test(`lab: ${signal} ${moments[i]} ms into a run leaves no namespace, no process, the root unchanged`, async () => {
      const before = await rootState();
      const prefix = `psg${i}${Deno.pid.toString(36)}-`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "src/cli/lab.ts", "lessons/scenarios/vxlan.json", "--prefix", prefix],
        cwd: ROOT,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await sleep(moments[i]);
      try {
        child.kill(signal);
      } catch {
        // the run ended already
      }
      const status = await child.status;
      const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
      assert.ok(
        status.code === CODES[signal] || status.code === 0,
        `exit ${status.code} (seed ${seed}): ${stderr}`,
      );
      assert.not.match(stderr, /^\s+at /m, `a stack trace (seed ${seed})`);
      assert.equal(await labNamespaces(prefix), [], `seed ${seed}`);
      assert.ok(
        await until(() => processesWith(prefix).length === 0, 3000),
        `left running (seed ${seed}): ${processesWith(prefix).join("; ")}`,
      );
      assert.is(await rootState(), before, `seed ${seed}`);
    });
  });

  test("lab: a run that fails part-way exits 1 with one line, after removing what it built", async () => {
    const before = await rootState();
    const prefix = `pfl${Deno.pid.toString(36)}-`;
    // A namespace with the prefix exists already: the lab refuses to adopt it, mid-way.
    await run(["ip", "netns", "add", `${prefix}node-1`]);
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "src/cli/lab.ts", "lessons/scenarios/vxlan.json", "--prefix", prefix],
        cwd: ROOT,
        stdout: "null",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr).trim();
      assert.is(out.code, 1, stderr);
      assert.is(stderr.split("\n").length, 1, stderr);
      assert.match(stderr, /^podnet lab: failed: Namespaces with prefix .* exist already/);
    } finally {
      await run(["ip", "netns", "del", `${prefix}node-1`]);
    }
    assert.equal(await labNamespaces(prefix), []);
    assert.is(await rootState(), before);
  });
}

test.run();
