/**
 * The cell sandbox: where a reader's code runs, and the only way the page
 * talks to it.
 *
 * A hidden `<iframe sandbox="allow-scripts">` (an opaque origin: no cookies,
 * no storage, no access to the page) holds a document whose
 * Content-Security-Policy is `default-src 'none'`: it may run its own
 * inline script (by nonce), compile code (`'unsafe-eval'`, which cells need)
 * and start workers from `blob:` URLs, and nothing else — no request of any
 * kind. The page fetches the notebook worker's bundle once, hands the iframe
 * the bytes as a `Blob`, and the iframe starts every worker from that one
 * `blob:` URL; a `blob:` worker inherits the iframe's policy, so the browser
 * refuses `fetch`, `import()`, WebSockets, fonts, `importScripts` and nested
 * workers of other URLs in the cell, whatever name they go by.
 *
 * One worker runs one cell: the page keeps one worker started in advance,
 * gives each run its own, and has it terminated when the run answers or
 * after the time limit. Answers come back on a `MessagePort` as JSON text;
 * {@linkcode readAnswer} measures, parses and checks them before the page
 * uses any of it.
 *
 * @module
 */
import { type CellAnswer, type CellError, readAnswer } from "../kernel/notebook/protocol.js";

/** The notebook worker, bundled into one script by `deno task build` (tools/site.ts). */
const WORKER_BUNDLE = import.meta.resolve("../sandbox/cell-worker.js");

/** How long the sandbox or a worker may take to start before the run is given up. */
const STARTUP_MS = 20_000;

/** How long a sandbox that is alive takes, at most, to answer a ping. */
const PING_MS = 1_000;

const SANDBOX_LOST =
  "The sandbox stopped answering (the cell may have used up its memory); a new one is ready: run the cell again";

/**
 * The sandbox document's policy. `script-src` names the bootstrap's nonce
 * and `'unsafe-eval'` (a cell is compiled with the `Function` constructor);
 * `worker-src blob:` lets the bootstrap start workers from the bundle's
 * `blob:` URL. Everything else — connect, script URLs, fonts, images,
 * frames, media — falls back to `'none'`.
 *
 * @param nonce The bootstrap script's nonce.
 * @returns The policy text.
 */
export function sandboxPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'unsafe-eval'`,
    "worker-src blob:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * Runs inside the sandbox iframe (its source is written into the iframe's
 * document). Takes the worker bundle and a control port from the first
 * message, then starts and terminates workers as the page asks. It never
 * listens to a worker's messages: answers go from each worker straight to
 * the page on the port the page gave it.
 */
function bootstrap() {
  let bundle: string | undefined;
  const workers = new Map<number, Worker>();
  addEventListener("message", (event: MessageEvent) => {
    const control = event.ports[0];
    if (
      event.source !== parent || bundle !== undefined || control === undefined ||
      !(event.data?.bundle instanceof Blob)
    ) return;
    bundle = URL.createObjectURL(event.data.bundle);
    const failed = (id: number, message: unknown) =>
      control.postMessage({ type: "failed", id, message: String(message).slice(0, 500) });
    control.onmessage = ({ data, ports }: MessageEvent) => {
      const id = data?.id;
      if (typeof id !== "number") return;
      if (data.type === "spawn" && ports[0] !== undefined) {
        try {
          const worker = new Worker(bundle!, { name: `podnet-cell-${id}` });
          worker.onerror = (e) => failed(id, e.message || "The worker did not start");
          worker.postMessage(null, [ports[0]]);
          workers.set(id, worker);
        } catch (e) {
          failed(id, e);
        }
      } else if (data.type === "kill") {
        workers.get(id)?.terminate();
        workers.delete(id);
      } else if (data.type === "ping") control.postMessage({ type: "pong", id });
    };
    control.postMessage({ type: "started" });
  });
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, "x");
}

/** The sandbox document: its policy, then the bootstrap script. */
export function sandboxDocument(nonce: string): string {
  const script = `(${bootstrap.toString()})();`;
  if (script.includes("</")) throw new Error("The sandbox bootstrap must not contain </");
  return `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${sandboxPolicy(nonce)}">` +
    `<title>podnet cell sandbox</title></head>` +
    `<body><script nonce="${nonce}">${script}</script></body></html>`;
}

let bundleBlob: Promise<Blob> | undefined;

/** The worker bundle, fetched once per page and shared by every worker of every cell. */
function workerBundle(): Promise<Blob> {
  bundleBlob ??= fetch(WORKER_BUNDLE).then(async (response) => {
    if (!response.ok) throw new Error(`The cell worker's code did not load (${response.status})`);
    return new Blob([await response.blob()], { type: "text/javascript" });
  });
  bundleBlob.catch(() => (bundleBlob = undefined));
  return bundleBlob;
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });
}

interface Frame {
  readonly iframe: HTMLIFrameElement;
  readonly control: MessagePort;
  /** Who waits for the bootstrap's word on an id: why a worker did not start, or a ping's pong. */
  readonly waiting: Map<number, (message: string) => void>;
}

async function openFrame(): Promise<Frame> {
  const nonce = randomNonce();
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.setAttribute("aria-hidden", "true");
  iframe.setAttribute("tabindex", "-1");
  iframe.setAttribute("referrerpolicy", "no-referrer");
  iframe.title = "podnet cell sandbox";
  iframe.dataset.testid = "cell-sandbox";
  iframe.style.display = "none";
  const loaded = new Promise((resolve) => iframe.addEventListener("load", resolve, { once: true }));
  iframe.srcdoc = sandboxDocument(nonce);
  document.body.append(iframe);
  const [bundle] = await Promise.all([workerBundle(), loaded]);
  const channel = new MessageChannel();
  const waiting = new Map<number, (message: string) => void>();
  const started = new Promise<void>((resolve) => {
    channel.port1.onmessage = ({ data }) => {
      if (data?.type === "started") resolve();
      else if (data?.type === "failed" && typeof data.id === "number") {
        waiting.get(data.id)?.(String(data.message).slice(0, 500));
      } else if (data?.type === "pong" && typeof data.id === "number") {
        waiting.get(data.id)?.("pong");
      }
    };
  });
  // An opaque origin has no name to target: "*" is the only way to reach it.
  iframe.contentWindow!.postMessage({ bundle }, "*", [channel.port2]);
  await within(started, STARTUP_MS, "The cell sandbox did not start");
  return { iframe, control: channel.port1, waiting };
}

/** A worker of the sandbox, started and waiting for its one run. */
interface Runner {
  readonly id: number;
  readonly port: MessagePort;
  /** `true` once the worker is ready; a message when it failed to start. */
  readonly ready: Promise<true | string>;
  readonly frame: Frame;
}

/** What a run ended with: the checked answer, or that it ran out of time. */
export type SandboxOutcome =
  | { readonly kind: "answer"; readonly answer: CellAnswer }
  | { readonly kind: "timeout" };

const failure = (kind: CellError["kind"], message: string): SandboxOutcome => ({
  kind: "answer",
  answer: { ok: false, error: { kind, message }, ms: 0 },
});

/**
 * Runs cells in fresh sandboxed workers, one worker per run. One sandbox
 * serves every cell of a page; get it with {@linkcode cellSandbox}.
 */
export class CellSandbox {
  #frame?: Promise<Frame>;
  #spare?: Promise<Runner>;
  #next = 1;

  #openFrame(): Promise<Frame> {
    if (this.#frame) return this.#frame;
    const frame = openFrame();
    this.#frame = frame;
    // A sandbox that failed to start is tried again on the next run.
    frame.catch(() => this.#frame === frame && (this.#frame = undefined));
    return frame;
  }

  async #spawn(): Promise<Runner> {
    const frame = await this.#openFrame();
    const id = this.#next++;
    const channel = new MessageChannel();
    const ready = new Promise<true | string>((resolve) => {
      channel.port1.onmessage = ({ data }) => {
        if (data?.type === "ready") resolve(true);
      };
      frame.waiting.set(id, resolve);
    });
    frame.control.postMessage({ type: "spawn", id }, [channel.port2]);
    return { id, port: channel.port1, ready, frame };
  }

  #kill(runner: Runner) {
    runner.frame.control.postMessage({ type: "kill", id: runner.id });
    runner.frame.waiting.delete(runner.id);
    runner.port.onmessage = null;
    runner.port.close();
  }

  /**
   * Throws away a sandbox that is broken (a worker did not start, or it no
   * longer answers): removing the iframe ends all its workers; the next run
   * opens a new one.
   */
  async #discard(frame: Frame) {
    const current = await this.#frame?.catch(() => undefined);
    if (current === frame) {
      this.#frame = undefined;
      this.#spare = undefined;
    }
    frame.control.close();
    frame.iframe.remove();
  }

  /** Whether the sandbox's iframe still answers (a worker that loops does not stop it). */
  async #alive(frame: Frame): Promise<boolean> {
    const id = this.#next++;
    const answered = new Promise<boolean>((resolve) => {
      frame.waiting.set(id, () => resolve(true));
      setTimeout(() => resolve(false), PING_MS);
    });
    frame.control.postMessage({ type: "ping", id });
    const alive = await answered;
    frame.waiting.delete(id);
    return alive;
  }

  /** Starts a worker now, so the next run does not wait for one. */
  warm(): void {
    if (this.#spare) return;
    const spare = this.#spawn();
    this.#spare = spare;
    spare.catch(() => this.#spare === spare && (this.#spare = undefined));
  }

  /**
   * Runs one cell in a worker of its own, then has that worker terminated.
   *
   * @param request The cell's code and the base world as scenario JSON text.
   * @param timeoutMs How long the cell may run.
   * @returns The checked answer, or a timeout; never rejects.
   */
  async run(request: { code: string; base: string }, timeoutMs: number): Promise<SandboxOutcome> {
    const next = this.#spare ?? this.#spawn();
    this.#spare = undefined;
    this.warm();
    let runner: Runner;
    try {
      runner = await next;
    } catch (e) {
      return failure("sandbox", (e as Error).message);
    }
    let ready: true | string;
    try {
      ready = await within(runner.ready, STARTUP_MS, "The cell's worker did not start");
    } catch (e) {
      ready = (e as Error).message;
    }
    if (ready !== true) {
      this.#kill(runner);
      await this.#discard(runner.frame);
      return failure("sandbox", ready);
    }
    return await new Promise<SandboxOutcome>((resolve) => {
      let finished = false;
      const done = (outcome: SandboxOutcome) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        clearInterval(watchdog);
        this.#kill(runner);
        resolve(outcome);
      };
      // A cell that used up its memory can take the iframe's process down
      // with it: then say so at once, and start a new sandbox for the next run.
      const lost = async () => {
        await this.#discard(runner.frame);
        done(failure("sandbox", SANDBOX_LOST));
      };
      const watchdog = setInterval(async () => {
        if (!finished && !(await this.#alive(runner.frame))) await lost();
      }, PING_MS);
      // Out of time: whatever arrives later is ignored.
      let expired = false;
      const expire = async (outcome: SandboxOutcome) => {
        expired = true;
        if (await this.#alive(runner.frame)) done(outcome);
        else await lost();
      };
      // Loading the lesson's world is not the cell's time (it is bounded
      // apart); the cell's limit starts when the worker says it is loaded.
      let loaded = false;
      let timer = setTimeout(
        () => expire(failure("sandbox", "The cell's worker did not load the lesson's world")),
        STARTUP_MS,
      );
      runner.port.onmessage = ({ data }) => {
        if (expired) return;
        if (data?.type === "loaded" && !loaded) {
          loaded = true;
          clearTimeout(timer);
          timer = setTimeout(() => expire({ kind: "timeout" }), timeoutMs);
        } else if (data?.type === "answer") {
          const answer = readAnswer(data.text);
          done({
            kind: "answer",
            answer: answer.ok ? answer.value : { ok: false, error: answer.error, ms: 0 },
          });
        }
      };
      runner.port.postMessage({ type: "run", code: request.code, base: request.base });
    });
  }
}

let shared: CellSandbox | undefined;

/** The page's one sandbox, made on first use. */
export function cellSandbox(): CellSandbox {
  return (shared ??= new CellSandbox());
}
