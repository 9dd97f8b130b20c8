/**
 * The pause container for real. A "holder" process (`unshare --net sleep
 * infinity`, which is all a pause container does) owns a new network
 * namespace; a veth wires it (by the holder's PID) to a bridge in a lab
 * namespace and it gets an IP. An "app" process joins the namespace with
 * `nsenter` and serves UDP. Killing and restarting the app keeps the
 * namespace (same inode) and its IP; once the holder is gone too, the
 * namespace and its veth vanish.
 *
 * Everything the demo starts is killed by its process id, and the bridge
 * namespace is removed, on every path (errors and SIGINT/SIGTERM too).
 *
 * @module
 */
import { AGENT_PY, python } from "./agent.js";
import { PINNED_SYSCTLS } from "./export.js";
import { namespacesWithPrefix, onInterrupt, run, sleep, uniquePrefix } from "./linux.js";

/** One step of the demo: what was done, what Linux showed, whether it is as expected. */
export interface PauseStep {
  readonly step: string;
  readonly observed: string;
  readonly expected: boolean;
}

/** The whole demo. */
export interface PauseDemo {
  readonly steps: readonly PauseStep[];
  /** True when every step showed what the pause container promises. */
  readonly holds: boolean;
}

const POD_IP = "10.99.0.2";
const BRIDGE_IP = "10.99.0.1";

class Proc {
  readonly child: Deno.ChildProcess;
  constructor(argv: readonly string[]) {
    this.child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }
  get pid(): number {
    return this.child.pid;
  }
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.child.status;
  }
}

/**
 * Runs the demo (root on Linux; needs unshare, nsenter, sleep, python3, ip, ping).
 *
 * @param options The prefix of the bridge namespace's name.
 * @returns What each step showed.
 */
export async function runPauseDemo(options: { prefix?: string } = {}): Promise<PauseDemo> {
  const prefix = options.prefix ?? uniquePrefix();
  const bridgeNs = `${prefix}pause-br`;
  const procs: Proc[] = [];
  const cleanup = async () => {
    await Promise.all(procs.map((p) => p.kill()));
    for (const ns of await namespacesWithPrefix(prefix)) await run(["ip", "netns", "del", ns]);
  };
  const unregister = onInterrupt(cleanup);
  const steps: PauseStep[] = [];
  const note = (step: string, observed: string, expected: boolean) =>
    steps.push({ step, observed, expected });
  try {
    const must = async (argv: string[]) => {
      const r = await run(argv);
      if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    const pinned = PINNED_SYSCTLS.map((s) => `${s.key}=${s.value}`);
    await must(["ip", "netns", "add", bridgeNs]);
    await must(["ip", "netns", "exec", bridgeNs, "sysctl", "-qew", ...pinned]);
    await must(["ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
    await must(["ip", "-n", bridgeNs, "addr", "add", `${BRIDGE_IP}/24`, "dev", "br0"]);
    await must(["ip", "-n", bridgeNs, "link", "set", "br0", "up"]);

    const holder = new Proc(["unshare", "--net", "sleep", "infinity"]);
    procs.push(holder);
    const inode = await waitFor(
      () => netnsOf(holder.pid),
      (v) => v !== undefined && v !== rootNetns(),
    );
    note(
      `start the holder: unshare --net sleep infinity (pid ${holder.pid})`,
      `its network namespace is ${inode}`,
      inode !== undefined,
    );
    const inPod = (argv: string[]) =>
      must(["nsenter", `--net=/proc/${holder.pid}/ns/net`, ...argv]);
    await inPod(["sysctl", "-qew", ...pinned]);
    await must([
      "ip",
      "-n",
      bridgeNs,
      "link",
      "add",
      "vpod",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      String(holder.pid),
    ]);
    await must(["ip", "-n", bridgeNs, "link", "set", "vpod", "master", "br0", "up"]);
    await inPod(["ip", "addr", "add", `${POD_IP}/24`, "dev", "eth0"]);
    await inPod(["ip", "link", "set", "lo", "up"]);
    await inPod(["ip", "link", "set", "eth0", "up"]);
    const ping = async () => {
      const r = await run(["ip", "netns", "exec", bridgeNs, "ping", "-n", "-c1", "-W1", POD_IP]);
      return r.code === 0;
    };
    const wired = await ping();
    note(
      `wire a veth into it by pid (ip link add vpod type veth peer name eth0 netns ${holder.pid}) and give it ${POD_IP}`,
      `ping ${POD_IP} from the bridge: ${wired ? "reply" : "no reply"}`,
      wired,
    );

    let sport = 41000;
    const udp = async () => {
      const r = await run([
        "ip",
        "netns",
        "exec",
        bridgeNs,
        python(),
        "-c",
        AGENT_PY,
        "send",
        POD_IP,
        "8080",
        String(sport++),
        "64",
        "1",
        "0",
        "1000",
      ]);
      const v = JSON.parse(r.stdout.trim() || '{"kind":"nothing"}');
      return v.kind === "reply" ? "reply" : v.kind === "icmp" ? "ICMP port unreachable" : v.kind;
    };
    const startApp = async () => {
      const app = new Proc([
        "nsenter",
        `--net=/proc/${holder.pid}/ns/net`,
        python(),
        "-u",
        "-c",
        AGENT_PY,
        "listen",
        "8080",
      ]);
      procs.push(app);
      await waitFor(udp, (v) => v === "reply");
      return app;
    };
    const ipInPod = async () => {
      const out = await inPod(["ip", "-o", "-4", "addr", "show", "dev", "eth0"]);
      return /inet ([0-9.]+)/.exec(out)?.[1];
    };

    let app = await startApp();
    const appNs = await netnsOf(app.pid);
    const first = await udp();
    note(
      `start the app in it: nsenter --net=/proc/${holder.pid}/ns/net ... (pid ${app.pid})`,
      `app's namespace ${appNs}; UDP to ${POD_IP}:8080: ${first}`,
      appNs === inode && first === "reply",
    );

    await app.kill();
    const [kept, ip, pinged, served] = [
      await netnsOf(holder.pid),
      await ipInPod(),
      await ping(),
      await udp(),
    ];
    note(
      "kill the app",
      `namespace ${kept}, IP ${ip}, ping ${pinged ? "replies" : "fails"}, UDP: ${served}`,
      kept === inode && ip === POD_IP && pinged && served !== "reply",
    );

    app = await startApp();
    const [again, ip2, served2] = [await netnsOf(app.pid), await ipInPod(), await udp()];
    note(
      `restart the app (pid ${app.pid})`,
      `namespace ${again}, IP ${ip2}, UDP: ${served2}`,
      again === inode && ip2 === POD_IP && served2 === "reply",
    );

    await app.kill();
    await holder.kill();
    const gone = await waitFor(
      async () => (await run(["ip", "-n", bridgeNs, "link", "show", "vpod"])).code !== 0,
      (v) => v,
    );
    const answered = await ping();
    note(
      "stop the app, then kill the holder (as the kubelet does when the pod goes)",
      `veth vpod ${gone ? "vanished from the bridge" : "is still there"}; ping ${
        answered ? "replies" : "gets no reply"
      }`,
      gone && !answered,
    );
  } finally {
    await cleanup();
    unregister();
  }
  return { steps, holds: steps.length === 6 && steps.every((s) => s.expected) };
}

async function netnsOf(pid: number): Promise<string | undefined> {
  try {
    return await Deno.readLink(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

let root: string | undefined;
function rootNetns(): string | undefined {
  root ??= Deno.readLinkSync("/proc/self/ns/net");
  return root;
}

/** Polls `get` until `done` holds or 3 s pass; returns the last value. */
async function waitFor<T>(get: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const until = performance.now() + 3000;
  let v = await get();
  while (!done(v) && performance.now() < until) {
    await sleep(50);
    v = await get();
  }
  return v;
}

/**
 * The demo as numbered lines.
 *
 * @param demo The demo's steps.
 * @returns Text for a terminal.
 */
export function formatPauseDemo(demo: PauseDemo): string {
  return [
    ...demo.steps.map((s, i) => `${i + 1}. ${s.step}\n   ${s.expected ? "✓" : "✗"} ${s.observed}`),
    "",
    demo.holds
      ? "The namespace and its IP outlive the app; they go with the holder."
      : "UNEXPECTED: see the ✗ steps above.",
  ].join("\n");
}
