/**
 * The pod lifecycle, driven by buttons: restart, stop or start a container,
 * kill the pause container, delete a pod and create it again (with or
 * without a pause container). Every button calls the kernel's lifecycle
 * function on the current world; the panel's value is the world after the
 * last action and the history of events, for the page to draw.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { PodEvent, PodSpec, World } from "../kernel/mod.js";
import { type Lang, type Phrase, say, UI } from "./i18n.js";
import type { ViewElement } from "./inputs.js";
import { pageStore } from "./cellstore.js";

/** The actions a panel may offer. */
export type LifecycleAction = "restart" | "stop" | "start" | "kill-pause" | "delete" | "create";

/** One thing the reader did and what happened (or why the kernel refused). */
export interface LogEntry {
  readonly action: string;
  readonly events: readonly PodEvent[];
  readonly error?: string;
}

/** The panel's value. */
export interface LifecycleValue {
  readonly world: World;
  readonly log: readonly LogEntry[];
}

const WORDS: Record<string, Phrase> = {
  restart: { en: "restart", ko: "재시작" },
  stop: { en: "stop", ko: "멈추기" },
  start: { en: "start", ko: "시작" },
  "kill-pause": { en: "kill pause", ko: "pause 죽이기" },
  delete: { en: "delete pod", ko: "파드 삭제" },
  create: { en: "create again", ko: "다시 만들기" },
  createBare: { en: "create without pause", ko: "pause 없이 만들기" },
  gone: { en: "deleted", ko: "삭제됨" },
  nothingYet: { en: "Nothing yet: press a button.", ko: "아직 없음: 버튼을 눌러 보세요." },
};

/**
 * Buttons for the lifecycle of some pods. Test ids:
 * `ID-POD-restart-CONTAINER`, `ID-POD-stop-CONTAINER`, `ID-POD-start-CONTAINER`,
 * `ID-POD-kill-pause`, `ID-POD-delete`, `ID-POD-create`, `ID-POD-create-bare`,
 * `ID-reset`, `ID-log` for the event list, `ID-kept` for the note shown
 * while earlier steps are replayed.
 *
 * With `keep`, the buttons pressed are kept per page in localStorage and
 * replayed on the starting world whenever the panel is built again (a
 * reload, a re-run of the cell above) until Reset.
 *
 * @param world The starting world.
 * @param options Language, test id prefix, which pods, which actions, whether to keep steps.
 * @returns A view whose value is {@linkcode LifecycleValue}.
 */
export function lifecyclePanel(
  world: World,
  options: {
    lang: Lang;
    id: string;
    pods?: readonly string[];
    actions?: readonly LifecycleAction[];
    keep?: boolean;
  },
): ViewElement<LifecycleValue> {
  const { lang, id } = options;
  const allowed = new Set(options.actions ?? ["restart", "kill-pause", "delete", "create"]);
  const names = options.pods ?? world.pods.map((p) => p.name);
  const specs = new Map<string, PodSpec>(
    world.pods.filter((p) => names.includes(p.name)).map((p) => [p.name, {
      name: p.name,
      node: p.node,
      pause: p.containers.some((c) => c.pause),
      containers: p.containers.filter((c) => !c.pause).map((c) => ({
        name: c.name,
        ports: c.ports,
      })),
    }]),
  );
  const rows = html`<div class="pn-lifecycle-rows"></div>` as HTMLElement;
  const log = html`<ol class="pn-log" data-testid=${`${id}-log`} reversed></ol>` as HTMLElement;
  const root = html`<div class="pn-lifecycle" data-testid=${`${id}-lifecycle`}>${rows}
    <div class="pn-log-head">${say(lang, UI.events)}</div>${log}</div>` as ViewElement<
    LifecycleValue
  >;
  root.value = { world, log: [] };
  const store = options.keep ? pageStore("steps", id) : undefined;
  let steps: string[] = [];
  type Run = (w: World) => ReturnType<typeof kernel.restartContainer>;
  const runs = new Map<string, { label: string; run: Run }>();

  const act = (label: string, run: Run, step: string, notify = true) => {
    steps = [...steps, step];
    store?.write(JSON.stringify(steps));
    const r = run(root.value.world);
    const entry: LogEntry = r.ok
      ? { action: label, events: r.value.events }
      : { action: label, events: [], error: `${r.error.subject}: ${r.error.message}` };
    root.value = {
      world: r.ok ? r.value.world : root.value.world,
      log: [...root.value.log, entry],
    };
    render();
    if (notify) root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const button = (testid: string, label: string, run: Run) => {
    const b =
      html`<button type="button" data-testid=${`${id}-${testid}`}>${label}</button>` as HTMLButtonElement;
    runs.set(testid, { label, run });
    b.addEventListener("click", () => act(label, run, testid));
    return b;
  };
  const w = (k: string) => say(lang, WORDS[k]);
  /** "restart app" in English, "app 재시작" in Korean. */
  const verb = (k: string, name: string) => (lang === "en" ? `${w(k)} ${name}` : `${name} ${w(k)}`);

  function podRow(name: string): HTMLElement {
    const pod = kernel.podNamed(root.value.world, name);
    const spec = specs.get(name)!;
    const buttons: HTMLElement[] = [];
    if (pod) {
      const verbs = [
        ["restart", "running", kernel.restartContainer],
        ["stop", "running", kernel.stopContainer],
        ["start", "exited", kernel.startContainer],
      ] as const;
      for (const c of pod.containers) {
        if (c.pause) continue;
        for (const [action, state, run] of verbs) {
          if (!allowed.has(action) || c.state !== state) continue;
          buttons.push(
            button(
              `${name}-${action}-${c.name}`,
              verb(action, c.name),
              (x) => run(x, `${name}/${c.name}`),
            ),
          );
        }
      }
      if (allowed.has("kill-pause") && pod.containers.some((c) => c.pause)) {
        buttons.push(
          button(`${name}-kill-pause`, w("kill-pause"), (x) => kernel.killPause(x, name)),
        );
      }
      if (allowed.has("delete")) {
        buttons.push(button(`${name}-delete`, w("delete"), (x) => kernel.deletePod(x, name)));
      }
    } else if (allowed.has("create")) {
      buttons.push(
        button(`${name}-create`, w("create"), (x) => kernel.createPod(x, { ...spec, pause: true })),
        button(
          `${name}-create-bare`,
          w("createBare"),
          (x) => kernel.createPod(x, { ...spec, pause: false }),
        ),
      );
    }
    const ip = pod ? kernel.podIp(root.value.world, pod)?.toString() : undefined;
    return html`
      <div class="pn-lifecycle-row" data-pod=${name}>
        <span
          class="pn-lifecycle-pod"><strong>${say(lang, UI.pod)} ${name}</strong> <code>${pod
            ? ip ?? say(lang, UI.noSandbox)
            : w("gone")}</code></span>
        <span class="pn-buttons">${buttons}</span>
      </div>
    ` as HTMLElement;
  }

  function render() {
    runs.clear();
    rows.replaceChildren(...names.map(podRow));
    kept.hidden = steps.length === 0 || !store;
    const entries = [...root.value.log].reverse();
    log.replaceChildren(
      ...(entries.length
        ? entries.map((e) =>
          html`<li><strong>${e.action}</strong>${
            e.error
              ? html`: <span class="pn-bad-text">${e.error}</span>`
              : html`<ul>${
                e.events.map((x) => html`<li>${kernel.describePodEvent(x, lang)}</li>`)
              }</ul>`
          }</li>`
        )
        : [html`<li class="pn-faint">${w("nothingYet")}</li>`]),
    );
  }
  const reset = html`<button type="button" data-testid=${`${id}-reset`}>${
    say(lang, UI.reset)
  }</button>` as HTMLButtonElement;
  const kept = html`<p class="pn-kept" data-testid=${`${id}-kept`} hidden>${
    say(lang, UI.keptActions)
  }</p>` as HTMLElement;
  reset.addEventListener("click", () => {
    root.value = { world, log: [] };
    steps = [];
    store?.write(undefined);
    render();
    root.dispatchEvent(new Event("input", { bubbles: true }));
  });
  rows.after(reset, kept);
  render();
  // Replay the kept steps while each still names a button the world offers.
  let saved: unknown = [];
  try {
    saved = JSON.parse(store?.read() ?? "[]");
  } catch {
    // a damaged entry replays nothing
  }
  for (const step of Array.isArray(saved) ? saved : []) {
    const found = typeof step === "string" ? runs.get(step) : undefined;
    if (!found) break;
    act(found.label, found.run, step, false);
  }
  return root;
}

/**
 * The pods of a world as a table: node, namespace, IP and containers
 * (restarts, state). Test id `ID-pods`; each row has `data-pod`,
 * `data-namespace` and `data-ip`.
 *
 * @param world The world.
 * @param options Language, test id prefix, which pods (default all).
 * @returns A table.
 */
export function podTable(
  world: World,
  options: { lang: Lang; id: string; pods?: readonly string[] },
): HTMLElement {
  const { lang } = options;
  const pods = world.pods.filter((p) => !options.pods || options.pods.includes(p.name));
  return html`
    <table class="pn-pods" data-testid=${`${options.id}-pods`}>
      <thead>
        <tr>
          <th>${say(lang, UI.pod)}</th>
          <th>${say(lang, UI.node)}</th>
          <th>${say(lang, UI.namespace)}</th>
          <th>${say(lang, UI.ip)}</th>
          <th>${say(lang, UI.containers)}</th>
        </tr>
      </thead>
      <tbody>${pods.map((p) => {
        const ip = kernel.podIp(world, p)?.toString();
        return html`
          <tr data-pod=${p.name} data-namespace=${p.namespace ?? ""} data-ip=${ip ?? ""}>
            <td>${p.name}</td>
            <td>${p.node}</td>
            <td><code>${p.namespace ?? "—"}</code></td>
            <td><code>${ip ?? "—"}</code></td>
            <td>${p.containers.map((c) =>
              html`
                <span class=${`pn-ctr-tag${c.pause ? " pn-ctr-pause" : ""}${
                  c.state === "running" ? "" : " pn-ctr-exited"
                }`}>${c.name}${c.restarts ? ` ↻${c.restarts}` : ""}</span>
              `
            )}</td>
          </tr>
        `;
      })}</tbody>
    </table>
  ` as HTMLElement;
}
