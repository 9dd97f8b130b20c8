/**
 * Browser tests of the notebook cells: a reader's edit runs in the sandbox
 * and flips the verdict the way the kernel, run here, predicts; the
 * exercise reads the world the cell produced; an endless loop is stopped
 * within 3 s while the page keeps answering; syntax and runtime errors show
 * their line and column (`return {` typed by hand too, and a kernel error a
 * cell unwraps reads as its message); Reset and reloads behave; a share link
 * reproduces an edited cell in a fresh browser context once the reader
 * presses Run; and a link carrying script, `javascript:` or HTML runs
 * nothing in the page and shows the text as code.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason, launchBrowser, openPage } from "./harness.ts";
import {
  assertDropped,
  cell,
  codeOf,
  exampleWorld,
  ranAfter,
  run,
  runCode,
  runsOf,
  setCode,
  Site,
  status,
  valueOf,
} from "./cells.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import { encodeShare } from "../../lessons/kernel/notebook/share.js";
import { fabricFromWorld, nodeCells, Verifier } from "../../lessons/kernel/verify/mod.js";
import { CLUSTER } from "../../lessons/components/scale.ts";
import { skipSuite } from "../support/skip.ts";

const skip = browserSkipReason();
const site = new Site();
const open = (path: string) => site.open(path);

test.after(() => site.close());

const gateway = () => exampleWorld("gateway");

if (skip) {
  skipSuite("browser: notebook", skip);
} else {
  test("notebook: an edit that deletes a route drops the packet with the kernel's reason; the fix solves the exercise", async () => {
    await using p = await open("en/hosts");
    const world = gateway();
    const broken = kernel.unwrap(
      kernel.deleteRoute(world, "gateway", "10.244.1.0/24"),
      kernel.formatEditError,
    );
    const expected =
      kernel.unwrap(kernel.trace(broken, { from: "c", to: "a" }), kernel.formatProbeError).verdict;
    assert.is(expected.kind, "dropped");
    await runCode(
      p.page,
      "lost-route",
      'const r = kernel.deleteRoute(world, "gateway", "10.244.1.0/24");\nreturn { world: kernel.unwrap(r), probe: { from: "c", to: "a" } };',
    );
    await assertDropped(p.page, "lost-route-cell", expected);
    assert.is(
      await p.page.locator('[data-testid="hosts-fix-exercise"]').getAttribute("data-status"),
      "open",
    );

    await setCode(p.page, "lost-route", 'return { world, probe: { from: "a", to: "c" } };');
    await run(p.page, "lost-route", "keys");
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-verdict"),
      "delivered",
    );
    await p.page.waitForSelector('[data-testid="hosts-fix-exercise"][data-status="solved"]', {
      timeout: 10_000,
    });
    assert.equal(p.errors, []);
  });

  test("notebook: while (true) {} is stopped within 3 s and the page keeps answering", async () => {
    await using p = await open("en/hosts");
    await setCode(p.page, "lost-route", "while (true) {}");
    const before = await runsOf(p.page, "lost-route");
    const started = Date.now();
    await p.page.click('[data-testid="cell-lost-route-run"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-state="running"]`);
    const labVerdict = p.page.locator('[data-testid="lab-verdict"]');
    const toBefore = await labVerdict.getAttribute("data-namespace");
    await p.page.selectOption('[data-testid="lab-to"]', "b");
    await p.page.waitForFunction(
      (ns) =>
        document.querySelector('[data-testid="lab-verdict"]')?.getAttribute("data-namespace") !==
          ns,
      toBefore,
      { timeout: 2_000 },
    );
    assert.ok(Date.now() - started < 2_000, "the page answered input while the cell was looping");
    await ranAfter(p.page, "lost-route", before, 3_500);
    const took = Date.now() - started;
    assert.ok(took < 3_000, `stopped after ${took} ms`);
    assert.match(await status(p.page, "lost-route"), /Stopped after 2 s/);
    assert.is(await p.page.locator(cell("lost-route")).getAttribute("data-state"), "error");
    await runCode(p.page, "lost-route", 'return { world, probe: { from: "a", to: "b" } };');
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-verdict"),
      "delivered",
      "a new worker runs the next cell",
    );
  });

  test("notebook: the scale page's cell breaks the 100-node cluster in code and the heatmap follows", async () => {
    await using p = await open("en/scale");
    const base = kernel.unwrap(kernel.buildWorld(CLUSTER), (e) => e.message);
    const expected = (world: kernel.World) => {
      const c = nodeCells(new Verifier(fabricFromWorld(world)));
      return Array.from(
        c.failing,
        (f, k) => `${Math.floor(k / c.nodes.length)}>${k % c.nodes.length}:${f}`,
      )
        .filter((x) => !x.endsWith(":0"));
    };
    const shown = async () =>
      await p.page.locator('[data-testid="scale-code-grid"]').evaluate((svg) =>
        [...svg.querySelectorAll("rect[data-from]")]
          .map((r) =>
            `${r.getAttribute("data-from")}>${r.getAttribute("data-to")}:${
              r.getAttribute("data-failing")
            }`
          )
          .filter((x) => !x.endsWith(":0"))
      );
    let w = kernel.unwrap(
      kernel.deleteRoute(base, "node-7", "10.244.42.0/24"),
      kernel.formatEditError,
    );
    w = kernel.unwrap(kernel.setIpForward(w, "node-60", false), kernel.formatEditError);
    await p.page.waitForFunction(
      () =>
        document.querySelector('[data-testid="scale-code-recheck"]')?.textContent?.includes(
          "incremental",
        ),
      null,
      { timeout: 30_000 },
    );
    assert.equal((await shown()).sort(), expected(w).sort(), "the lesson's cell");
    await setCode(
      p.page,
      "scale-code",
      'return { world: kernel.unwrap(kernel.deleteRoute(world, "node-3", "10.244.9.0/24")) };',
    );
    await run(p.page, "scale-code");
    const again = kernel.unwrap(
      kernel.deleteRoute(base, "node-3", "10.244.9.0/24"),
      kernel.formatEditError,
    );
    await p.page.waitForFunction(
      () =>
        document.querySelectorAll(
          '[data-testid="scale-code-grid"] rect[data-from]:not([data-failing="0"])',
        ).length === 1,
      null,
      { timeout: 30_000 },
    );
    assert.equal((await shown()).sort(), expected(again).sort(), "the reader's cell");
    assert.equal(p.errors, []);
  });

  test("notebook: a syntax error shows its line and column in the status and in the editor", async () => {
    await using p = await open("en/hosts");
    await runCode(p.page, "lost-route", "const a = 1;\nconst b = ;\nreturn { world };");
    assert.match(
      await status(p.page, "lost-route"),
      /Syntax error — Line 2, column 11: Unexpected token/,
    );
    assert.ok(
      await p.page.locator(`${cell("lost-route")} .cm-lintRange-error`).count() >= 1,
      "the editor marks the error",
    );
    await runCode(p.page, "lost-route", "const w = world;\n\nw.nothing.here;\nreturn { world };");
    assert.match(
      await status(p.page, "lost-route"),
      /Error while running — Line 3, column \d+: TypeError/,
    );
  });

  test("notebook: edits survive a reload, and Reset brings back the lesson's code and verdict", async () => {
    await using p = await open("en/hosts");
    const original = await codeOf(p.page, "lost-route");
    await setCode(p.page, "lost-route", 'return { world, probe: { from: "a", to: "b" } };');
    await p.page.reload();
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="1"]`, { timeout: 30_000 });
    assert.is(
      await codeOf(p.page, "lost-route"),
      'return { world, probe: { from: "a", to: "b" } };',
    );
    assert.match(
      await p.page.locator('[data-testid="cell-lost-route-origin"]').textContent() ?? "",
      /edited/,
    );
    await p.page.click('[data-testid="cell-lost-route-reset"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="2"]`, { timeout: 30_000 });
    assert.is(await codeOf(p.page, "lost-route"), original);
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-reason"),
      "no-route",
    );
    await p.page.reload();
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="1"]`, { timeout: 30_000 });
    assert.is(await codeOf(p.page, "lost-route"), original, "Reset also forgets the saved edit");
  });

  test("notebook: a share link reproduces an edited cell in a fresh browser context once Run is pressed", async () => {
    await using p = await open("ko/hosts");
    const edited =
      'const r = kernel.setIpForward(world, "gateway", false);\nreturn { world: kernel.unwrap(r), probe: { from: "a", to: "c" } };';
    await runCode(p.page, "lost-route", edited);
    await p.page.click('[data-testid="cell-lost-route-share"]');
    const link = await p.page.locator('[data-testid="cell-lost-route-link"]').inputValue();
    assert.match(link, /\/ko\/hosts#cell=lost-route&code=/);
    await using fresh = await launchBrowser();
    const q = await openPage(fresh, link, { timeout: 30_000 });
    try {
      await q.page.waitForSelector(`${cell("lost-route")}[data-state="idle"]`, { timeout: 30_000 });
      assert.is(await codeOf(q.page, "lost-route"), edited);
      assert.ok(await q.page.locator('[data-testid="cell-lost-route-banner"]').isVisible());
      assert.is(await runsOf(q.page, "lost-route"), 0, "the link's code waits for Run");
      await run(q.page, "lost-route");
      const v = q.page.locator('[data-testid="lost-route-cell-verdict"]');
      assert.is(await v.getAttribute("data-reason"), "ip-forward-off");
      assert.equal(q.errors, []);
    } finally {
      await q.close();
    }
  });

  test("notebook: links carrying script, javascript: or HTML run nothing in the page and show the text as code", async () => {
    const payloads = [
      "</script><script>window.__pwned = 1</script>",
      '<img src=x onerror="window.__pwned = 2"><b id="pwned">bold</b>',
      "javascript:window.__pwned = 3",
      'document.body.innerHTML = "<h1 id=pwned>owned</h1>"; window.__pwned = 4; return { world };',
      "self.postMessage = 1; return { world, origin: self.origin, document: typeof document, parent: typeof parent, storage: typeof localStorage };",
    ];
    for (const code of payloads) {
      const q = await site.open(`en/hosts#${encodeShare("lost-route", code)}`, { settled: false });
      try {
        await q.page.waitForSelector(`${cell("lost-route")}[data-state="idle"]`, {
          timeout: 30_000,
        });
        assert.is(await codeOf(q.page, "lost-route"), code, "the code is shown as text");
        await run(q.page, "lost-route");
        const page = await q.page.evaluate(() => ({
          pwned: (window as unknown as { __pwned?: number }).__pwned,
          injected: document.querySelectorAll('#pwned, img[src="x"]').length,
          title: document.querySelector("h1")?.textContent,
        }));
        assert.is(page.pwned, undefined, code);
        assert.is(page.injected, 0, code);
        assert.is(page.title, "Pods on different hosts");
        const value = await valueOf(q.page, "lost-route");
        if (code.startsWith("self.postMessage")) {
          assert.ok(value.ok, value.error);
          assert.equal(
            value.value,
            { origin: "null", document: "undefined", parent: "undefined", storage: "undefined" },
            "the cell runs in a worker of an opaque origin, away from the page and its storage",
          );
        } else {
          assert.not.ok(value.ok, code);
        }
        assert.equal(q.externalRequests, []);
      } finally {
        await q.close();
      }
    }
    const q = await site.open("en/hosts#cell=<script>alert(1)</script>&code=YQ");
    try {
      assert.not.ok(
        await q.page.locator('[data-testid="cell-lost-route-banner"]').isVisible(),
        "a malformed link is ignored",
      );
      assert.match(await codeOf(q.page, "lost-route"), /deleteRoute/);
    } finally {
      await q.close();
    }
  });

  test("notebook: `return {` typed by hand is a syntax error, and an unwrapped kernel error shows its message", async () => {
    await using p = await open("en/hosts");
    await setCode(p.page, "lost-route", "return {", "type");
    assert.is(
      await codeOf(p.page, "lost-route"),
      "return {",
      "no bracket is closed for the reader",
    );
    await run(p.page, "lost-route");
    assert.match(await status(p.page, "lost-route"), /^Syntax error — Line 1, column 9: /);
    await runCode(
      p.page,
      "lost-route",
      'return { world: kernel.unwrap(kernel.deleteRoute(world, "gateway", "10.9.9.0/24")) };',
    );
    const text = await status(p.page, "lost-route");
    const expected = kernel.deleteRoute(gateway(), "gateway", "10.9.9.0/24");
    assert.ok(!expected.ok);
    if (!expected.ok) {
      assert.ok(
        text.endsWith(`Error: gateway: ${expected.error.message}`),
        `the kernel's message, not [object Object]: ${text}`,
      );
    }
    assert.not.match(text, /object Object/);
  });
}

test.run();
