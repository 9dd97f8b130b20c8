/**
 * The notebook worker: runs one reader's cell and answers with plain JSON
 * text. The page bundles this module into one script, and a sandboxed
 * iframe (opaque origin, a Content-Security-Policy that allows no fetch of
 * any kind) starts it from a `blob:` URL, so the browser itself refuses every
 * request the cell could make — `fetch`, `import()`, WebSockets, fonts,
 * storage and whatever a future browser adds — not a list of deleted names.
 *
 * One worker runs one cell, and tells the page when it has loaded the
 * lesson's base world: the cell's time limit starts then. The page sends
 * the run request on a
 * `MessagePort` that arrives before any cell code runs; the answer goes back
 * on that port through a `postMessage` bound at start, so a cell that
 * replaces `postMessage`, `onmessage` or `JSON.stringify` cannot forge the
 * channel, only its own answer (which the page checks as it checks any
 * answer). Then the page has this worker terminated: nothing a cell leaves
 * behind — timers, handlers, changed globals — outlives its run.
 *
 * @module
 */
import { runCellCode } from "./compile.js";
import { CELL_LIMITS } from "./limits.js";
import type { CellAnswer, RunRequest, WorkerMessage } from "./protocol.js";
import { writeAnswer } from "./protocol.js";
import type { ScenarioDoc } from "../scenario/schema.js";

/** A worker global scope, as far as this module uses it. */
interface Scope {
  onmessage: ((event: MessageEvent) => void) | null;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

const scope = globalThis as unknown as Scope;
const now = performance.now.bind(performance);
const MAX = CELL_LIMITS.answerChars;
/** Sent when the answer the worker made is not text within the limit (a cell changed the realm). */
const REFUSED = JSON.stringify(
  {
    ok: false,
    error: {
      kind: "sandbox",
      message: "The cell changed the sandbox's own functions; its answer was refused",
    },
    ms: 0,
  } satisfies CellAnswer,
);

// A cell's uncaught errors stay here: they never reach the iframe that
// started this worker (whose thread should not copy a cell's strings).
scope.addEventListener("error", (event) => event.preventDefault());
scope.addEventListener("unhandledrejection", (event) => event.preventDefault());

async function answer(request: RunRequest, loaded: () => void): Promise<string> {
  let started = now();
  let base: ScenarioDoc;
  try {
    base = JSON.parse(String(request.base));
  } catch {
    return writeAnswer({
      ok: false,
      error: { kind: "base", message: "The base world is not JSON" },
    }, 0);
  }
  const result = await runCellCode(String(request.code), base, {
    loaded() {
      started = now();
      loaded();
    },
  });
  return writeAnswer(result, now() - started);
}

scope.onmessage = (event) => {
  const port = event.ports[0];
  if (port === undefined) return;
  scope.onmessage = null;
  const send = port.postMessage.bind(port) as (message: WorkerMessage) => void;
  let ran = false;
  port.onmessage = async (e: MessageEvent<RunRequest>) => {
    if (ran || e.data?.type !== "run") return;
    ran = true;
    let text: unknown;
    try {
      text = await answer(e.data, () => send({ type: "loaded" }));
    } catch {
      text = REFUSED;
    }
    send({ type: "answer", text: typeof text === "string" && text.length <= MAX ? text : REFUSED });
  };
  send({ type: "ready" });
};
