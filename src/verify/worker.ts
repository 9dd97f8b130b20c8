/**
 * A Web Worker for the heavy, one-off work of the scale lesson, so the page
 * stays responsive: building a 100-node cluster's scenario (the page loads
 * the document it gets back, which is much faster than building it) and
 * verifying a generated cluster at Kubernetes' limits.
 *
 * A page starts it with
 * `new Worker(import.meta.resolve("../kernel/verify/worker.js"), { type: "module" })`
 * and posts {@linkcode WorkerRequest}s; each gets one {@linkcode WorkerReply}
 * with the same `id`. Outside a worker, importing this module does nothing
 * but export {@linkcode answer}.
 *
 * @module
 */
import { buildScenario, type ClusterSpec } from "../scenario/build.js";
import type { ScenarioDoc } from "../scenario/schema.js";
import type { GenerateSpec } from "./fabric.js";
import { type ScaleRun, verifyAtScale } from "./measure.js";

/** What a page asks the worker for. */
export type WorkerRequest =
  | { readonly id: number; readonly kind: "build"; readonly spec: ClusterSpec }
  | {
    readonly id: number;
    readonly kind: "scale";
    readonly spec: GenerateSpec;
    readonly edits?: number;
  };

/** The worker's answer to one request. */
export type WorkerReply =
  | {
    readonly id: number;
    readonly ok: true;
    readonly kind: "build";
    readonly doc: ScenarioDoc;
    readonly millis: number;
  }
  | { readonly id: number; readonly ok: true; readonly kind: "scale"; readonly run: ScaleRun }
  | { readonly id: number; readonly ok: false; readonly message: string };

/**
 * Answers one request (what the worker runs for each message).
 *
 * @param request The request.
 * @returns The reply; a refused spec or a thrown error becomes `ok: false`.
 * @example
 * ```ts
 * import { answer } from "./worker.js";
 * const r = answer({ id: 1, kind: "build", spec: { mode: "host-gw", nodes: 3 } });
 * r.ok && r.kind === "build" && r.doc.pods.length; // 6
 * ```
 */
export function answer(request: WorkerRequest): WorkerReply {
  const id = request?.id ?? -1;
  try {
    switch (request.kind) {
      case "build": {
        const start = performance.now();
        const doc = buildScenario(request.spec);
        if (!doc.ok) return { id, ok: false, message: `${doc.error.field}: ${doc.error.message}` };
        return { id, ok: true, kind: "build", doc: doc.value, millis: performance.now() - start };
      }
      case "scale": {
        const run = verifyAtScale(request.spec, { edits: request.edits });
        if (!run.ok) return { id, ok: false, message: `${run.error.field}: ${run.error.message}` };
        return { id, ok: true, kind: "scale", run: run.value };
      }
      default:
        return { id, ok: false, message: `Unknown request ${JSON.stringify(request)}` };
    }
  } catch (e) {
    return { id, ok: false, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

interface WorkerScope {
  addEventListener(type: "message", listener: (e: MessageEvent<WorkerRequest>) => void): void;
  postMessage(message: WorkerReply): void;
}

const workerScope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown })
  .WorkerGlobalScope;
const inWorker = typeof document === "undefined" && typeof workerScope === "function" &&
  globalThis instanceof workerScope;
if (inWorker) {
  const scope = globalThis as unknown as WorkerScope;
  scope.addEventListener("message", (e) => scope.postMessage(answer(e.data)));
}
