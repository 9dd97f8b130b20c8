/**
 * The lab on a real Linux box (Deno APIs; root). {@linkcode Lab.open}
 * builds a world in network namespaces with the exported script, starts an
 * agent in every namespace, and {@linkcode Lab.close} kills them and
 * removes every namespace with the lab's prefix. Closing is guaranteed:
 * callers use `try/finally`, and SIGINT, SIGTERM and SIGHUP (a closed
 * terminal) close every open lab
 * before the process exits.
 *
 * Safety: every command names a lab namespace (`ip -n NS`, `ip netns exec
 * NS`); nothing is created, addressed or routed in the root namespace.
 *
 * @module
 */
import type { World } from "../model/world.js";
import { AGENT_PY, python } from "./agent.js";
import { exportLab, type LabPlan, scriptOf } from "./export.js";
import {
  addPods,
  type CniCheck,
  type CniMade,
  type CniPod,
  deletePods,
  fastArp,
  readPods,
  withoutSandboxes,
} from "./cni.js";
import { type AgentReport, parseAgentLine } from "./observe.js";

/** The programs the lab runs. */
export const LAB_TOOLS = [
  "ip",
  "bridge",
  "ping",
  "python3",
  "iptables",
  "sysctl",
  "xargs",
] as const;

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a finished command printed. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program and waits for it.
 *
 * @param argv The program and its arguments.
 * @param stdin Text for its standard input.
 * @param started Gets the running child (to kill it if need be).
 * @returns Exit code and output.
 */
export async function run(
  argv: readonly string[],
  stdin?: string,
  started?: (child: Deno.ChildProcess) => void,
): Promise<CommandResult> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  started?.(child);
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Why the lab cannot run here, or `undefined` when it can: Linux, root and
 * the tools in {@linkcode LAB_TOOLS}.
 *
 * @param tools Programs needed besides the lab's own.
 * @returns One line saying what is missing.
 */
export async function labUnavailable(tools: readonly string[] = []): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return `the lab needs Linux (this is ${Deno.build.os})`;
  if (Deno.uid() !== 0) return "the lab needs root (it creates network namespaces)";
  const missing: string[] = [];
  for (const t of [...LAB_TOOLS, ...tools]) {
    const r = await run(["sh", "-c", `command -v ${t}`]);
    if (r.code !== 0) missing.push(t);
  }
  if (missing.length > 0) return `the lab needs ${missing.join(", ")} (not found on PATH)`;
  return undefined;
}

/**
 * A prefix no other run uses: the process id and random letters
 * (`pl1a2bxq-`), so concurrent runs never collide.
 *
 * @returns The prefix.
 */
export function uniquePrefix(): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 4);
  return `pl${Deno.pid.toString(36)}${rand}-`;
}

/** The lab namespaces that exist now, with a given prefix. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const r = await run(["ip", "netns", "list"]);
  return r.stdout.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(prefix));
}

/** A long-running agent whose reports are collected as they arrive. */
class Agent {
  readonly reports: AgentReport[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #ready: Promise<void>;
  readonly #done: Promise<void>;
  #stderr = "";

  constructor(readonly namespace: string, args: readonly string[]) {
    this.#child = new Deno.Command("ip", {
      args: ["netns", "exec", namespace, python(), "-u", "-c", AGENT_PY, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let ready!: () => void;
    this.#ready = new Promise((r) => (ready = r));
    this.#done = Promise.all([
      this.#read(this.#child.stdout, (line) => {
        const r = parseAgentLine(line);
        if (r?.t === "ready") ready();
        else if (r) this.reports.push(r);
      }),
      this.#read(this.#child.stderr, (line) => (this.#stderr += line + "\n")),
    ]).then(() => ready());
  }

  async #read(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  }

  /** Waits until the agent's sockets are open; throws if it died. */
  async ready(ms = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), ms)));
    const ok = await Promise.race([this.#ready.then(() => "ok" as const), late]);
    clearTimeout(timer);
    if (ok === "late") throw new Error(`Lab agent in ${this.namespace} did not start in ${ms} ms`);
    const status = await Promise.race([this.#child.status, Promise.resolve(undefined)]);
    if (status !== undefined) {
      throw new Error(`Lab agent in ${this.namespace} exited: ${this.#stderr.trim()}`);
    }
  }

  /** Kills the agent (by its own process id) and waits for it. */
  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#done.catch(() => {});
  }
}

const cleanups = new Set<() => Promise<void>>();
let listening = false;

let stopping = false;

/** The signals the lab cleans up on, and the exit code each gives (128 + its number). */
const SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
type LabSignal = keyof typeof SIGNALS;

const onSignal = (signal: LabSignal) => async () => {
  // `deno task` forwards the signal its process group got too: act once.
  if (stopping) return;
  stopping = true;
  try {
    console.error(`\npodnet lab: ${signal}: removing everything the lab built`);
  } catch {
    // SIGHUP: the terminal may be gone; clean up all the same
  }
  await closeAll();
  Deno.exit(SIGNALS[signal]);
};
const handlers: Record<LabSignal, () => void> = {
  SIGHUP: onSignal("SIGHUP"),
  SIGINT: onSignal("SIGINT"),
  SIGTERM: onSignal("SIGTERM"),
};
const signals = Object.keys(SIGNALS) as LabSignal[];

/**
 * Runs every registered cleanup (each lab still open is closed): what a
 * command does before it exits on an error it did not expect.
 *
 * @returns When everything the open labs built is gone.
 */
export async function closeAll(): Promise<void> {
  // A lab that registered while others were closing is closed too: repeat
  // until every cleanup registered so far has run once.
  const ran = new Set<() => Promise<void>>();
  for (;;) {
    const pending = [...cleanups].filter((c) => !ran.has(c));
    if (pending.length === 0) return;
    for (const c of pending) ran.add(c);
    await Promise.all(pending.map((c) => c().catch(() => {})));
  }
}

/**
 * Registers a cleanup that SIGINT, SIGTERM and SIGHUP run before the process
 * exits; the signal listeners exist only while some cleanup is registered.
 *
 * @param cleanup Removes what the caller built; must be safe to call twice.
 * @returns Unregisters the cleanup.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  if (!listening) {
    listening = true;
    for (const s of signals) Deno.addSignalListener(s, handlers[s]);
  }
  return () => {
    cleanups.delete(cleanup);
    if (listening && cleanups.size === 0) {
      listening = false;
      for (const s of signals) Deno.removeSignalListener(s, handlers[s]);
    }
  };
}

/** Timings of one lab, in milliseconds. */
export interface LabTimings {
  namespaces: number;
  upMs: number;
  agentsMs: number;
  downMs?: number;
}

/** What {@linkcode Lab.open} needs. */
export interface LabOptions {
  /** Namespace-name prefix (default: {@linkcode uniquePrefix}). */
  readonly prefix?: string;
}

/** Pods the real CNI plugins make instead of the build script (see `cni.ts`). */
export interface CniOptions {
  /** The plugins' folder. */
  readonly dir: string;
  readonly pods: readonly CniPod[];
}

/** What the plugins made, and how it compares with the model. */
export interface CniResult {
  readonly check: CniCheck;
  readonly made: readonly CniMade[];
  /** Addresses host-local still held after DEL (set when the lab closes). */
  released?: readonly string[];
}

/** A world built in network namespaces, with an agent in each. */
/** How long {@linkcode Lab.open} waits for bridge ports to forward. */
const SETTLE_LIMIT_MS = 3000;

export class Lab {
  readonly #agents = new Map<string, Agent>();
  #closed?: Promise<void>;
  /** A folder for files of processes the lab runs (BIRD's configuration and sockets). */
  #scratch?: Promise<string>;
  #unregister = () => {};
  /** The build script while it runs. */
  #building?: Deno.ChildProcess;
  /** The pods the CNI plugins made, and what the lab read back (undefined: no plugins). */
  cni?: CniResult;
  #cniPods?: CniOptions;

  private constructor(
    readonly world: World,
    readonly plan: LabPlan,
    readonly timings: LabTimings,
  ) {}

  /**
   * Builds the world in namespaces and starts the agents. On any failure
   * everything built so far is removed before the error is thrown.
   *
   * @param world The world.
   * @param options The prefix.
   * @returns The open lab; close it in a `finally` block.
   */
  static async open(
    world: World,
    options: LabOptions = {},
    cni?: CniOptions,
  ): Promise<Lab> {
    // After a signal nothing new is built: the cleanup may already have
    // listed what exists, and a lab started now would outlive it.
    if (stopping) throw new Error("the lab is stopping after a signal");
    // The plugins make their pods' devices and routes; the script makes the rest.
    const built = cni ? withoutSandboxes(world, cni.pods) : world;
    const planned = exportLab(built, { prefix: options.prefix ?? uniquePrefix() });
    if (!planned.ok) throw new Error(`${planned.error.subject}: ${planned.error.message}`);
    const plan = planned.value;
    // Never adopt (and then remove) namespaces that another run made.
    const taken = await namespacesWithPrefix(plan.prefix);
    if (taken.length > 0) {
      throw new Error(`Namespaces with prefix ${plan.prefix} exist already: ${taken.join(", ")}`);
    }
    const timings: LabTimings = {
      namespaces: Object.keys(plan.namespaces).length + plan.segments.length,
      upMs: 0,
      agentsMs: 0,
    };
    const lab = new Lab(world, plan, timings);
    lab.#unregister = onInterrupt(() => lab.close());
    try {
      if (stopping) throw new Error("the lab is stopping after a signal");
      let t = performance.now();
      const built = await run(["sh", "-s", "up"], scriptOf(plan), (c) => (lab.#building = c));
      lab.#building = undefined;
      if (built.code !== 0) {
        throw new Error(
          `Building the lab failed: ${built.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        );
      }
      if (cni) {
        lab.#cniPods = cni;
        await addPods(lab, cni.dir, cni.pods);
        lab.cni = await readPods(lab, cni.dir, world, cni.pods);
        await fastArp(lab, cni.pods, lab.cni.made);
      }
      timings.upMs = performance.now() - t;
      t = performance.now();
      await lab.#startAgents();
      await lab.#settle();
      timings.agentsMs = performance.now() - t;
      return lab;
    } catch (e) {
      await lab.close();
      throw e;
    }
  }

  async #startAgents() {
    for (const ns of this.world.namespaces) {
      const pod = this.world.pods.find((p) => p.namespace === ns.name);
      const ports = new Set(
        pod?.containers.filter((c) => c.state === "running").flatMap((c) =>
          c.ports.filter((p) => p.protocol === "udp").map((p) => String(p.port))
        ) ?? [],
      );
      this.#agents.set(ns.name, new Agent(this.plan.namespaces[ns.name], ["listen", ...ports]));
    }
    for (const s of this.plan.segments) {
      this.#agents.set(`segment:${s.name}`, new Agent(s.namespace, ["sniff", s.bridge]));
    }
    await Promise.all([...this.#agents.values()].map((a) => a.ready()));
  }

  /**
   * Waits until every bridge port whose link has carrier forwards (a test
   * for the state, not a sleep): Linux enables a port only when it sees the
   * carrier, a moment after the link came up, and frames sent before are
   * lost — a flat layer-2 world's first ARP requests would fail. Gives up
   * after {@linkcode SETTLE_LIMIT_MS} (the probes then show what Linux does).
   */
  async #settle() {
    const namespaces = [
      ...Object.values(this.plan.namespaces),
      ...this.plan.segments.map((s) => s.namespace),
    ];
    const deadline = performance.now() + SETTLE_LIMIT_MS;
    for (const ns of namespaces) {
      while (performance.now() < deadline) {
        const out = await run(["bridge", "-n", ns, "link", "show"]);
        const waiting = out.stdout.split("\n").some((l) =>
          l.includes("LOWER_UP") && / state /.test(l) && !/ state forwarding /.test(l)
        );
        if (!waiting) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Reports of the agent in a model namespace (or `segment:NAME`). */
  reports(name: string): readonly AgentReport[] {
    return this.#agents.get(name)?.reports ?? [];
  }

  /**
   * Runs a program inside a model namespace of the lab.
   *
   * @param namespace The model's namespace name.
   * @param argv The program and its arguments.
   * @returns What it printed.
   */
  exec(namespace: string, argv: readonly string[]): Promise<CommandResult> {
    const ns = this.plan.namespaces[namespace];
    if (ns === undefined) throw new Error(`No lab namespace for ${namespace}`);
    return run(["ip", "netns", "exec", ns, ...argv]);
  }

  /**
   * A private folder for this lab's files, made on first use and removed
   * when the lab closes (after every process of its namespaces is killed).
   *
   * @returns The folder's path.
   */
  scratch(): Promise<string> {
    // While closing, the folder made before is still there (the CNI DEL reads it).
    if (this.#closed && this.#scratch === undefined) throw new Error("the lab is closed");
    this.#scratch ??= Deno.makeTempDir({ prefix: `${this.plan.prefix}files-` });
    return this.#scratch;
  }

  /** Linux namespace name of every model namespace. */
  get namespaces(): Readonly<Record<string, string>> {
    return this.plan.namespaces;
  }

  /**
   * Runs a program (argv only) and waits for it.
   *
   * @param argv The program and its arguments.
   * @param stdin Its input.
   * @returns What it printed.
   */
  command(argv: readonly string[], stdin?: string): Promise<CommandResult> {
    return run(argv, stdin);
  }

  /** Runs `ip -n NS ARGS` in a model namespace. */
  ip(namespace: string, args: readonly string[]): Promise<CommandResult> {
    return run(["ip", "-n", this.plan.namespaces[namespace], ...args]);
  }

  /**
   * Kills the agents, runs the teardown and removes any namespace left
   * with the lab's prefix. Safe to call more than once.
   *
   * @returns When everything is gone.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const t = performance.now();
      // Interrupted while building: stop the script first (by its pid), and
      // give a command it had started time to finish before sweeping.
      const building = this.#building;
      if (building) {
        try {
          building.kill("SIGKILL");
        } catch {
          // it has just finished
        }
        await building.status;
        await sleep(100);
      }
      await Promise.all([...this.#agents.values()].map((a) => a.stop()));
      // The kubelet's DEL, before the namespaces go: host-local must free every address.
      if (this.#cniPods && this.cni) {
        this.cni.released = await deletePods(this, this.#cniPods.dir, this.#cniPods.pods)
          .catch((e) => [`DEL failed: ${e instanceof Error ? e.message : e}`]);
      }
      await run(["sh", "-c", this.plan.down.join("\n")]);
      for (const ns of await namespacesWithPrefix(this.plan.prefix)) {
        await run(["ip", "netns", "del", ns]);
      }
      const scratch = await this.#scratch?.catch(() => undefined);
      if (scratch !== undefined) await Deno.remove(scratch, { recursive: true }).catch(() => {});
      this.timings.downMs = performance.now() - t;
      this.#unregister();
    })();
    return this.#closed;
  }
}
