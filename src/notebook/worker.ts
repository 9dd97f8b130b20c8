/**
 * The notebook worker: runs readers' cells away from the page. It holds the
 * kernel, answers `run` requests with plain data, and has no way to reach
 * the page's DOM or storage. Before any cell runs, it takes away the
 * network and storage APIs a worker would otherwise have, so a shared link
 * cannot send anything anywhere. The page stops a cell that runs too long by
 * terminating this worker.
 *
 * @module
 */
import { runCellCode } from "./compile.js";
import type { RunRequest, RunResponse } from "./protocol.js";

const scope = globalThis as unknown as {
  postMessage(message: RunResponse): void;
  onmessage: ((event: MessageEvent<RunRequest>) => void) | null;
};
const reply = scope.postMessage.bind(scope);

const TAKEN_AWAY = [
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "WebTransport",
  "EventSource",
  "importScripts",
  "indexedDB",
  "caches",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "postMessage",
  "close",
];

/** Replaces each name on the global object and on every prototype it inherits from. */
function takeAway(names: readonly string[]) {
  for (
    let o: object | null = globalThis;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const name of names) {
      if (!Object.prototype.hasOwnProperty.call(o, name) && o !== globalThis) continue;
      try {
        Object.defineProperty(o, name, { value: undefined, writable: false, configurable: false });
      } catch {
        // a property the engine will not let go of stays
      }
    }
  }
}

takeAway(TAKEN_AWAY);

scope.onmessage = async (event) => {
  const request = event.data;
  if (request?.type !== "run") return;
  const started = performance.now();
  const result = await runCellCode(String(request.code), request.base);
  const ms = performance.now() - started;
  reply(
    result.ok
      ? { type: "result", id: request.id, ok: true, value: result.value, ms }
      : { type: "result", id: request.id, ok: false, error: result.error, ms },
  );
};
