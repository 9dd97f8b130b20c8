/**
 * A world and a probe, shown whole: the verdict, the topology diagram with
 * the path, and the hop stepper wired to the diagram (stepping a hop
 * redraws the path up to that hop). Any error — a failed cell, a probe that
 * names a missing pod, an edit the kernel refused — becomes a message in
 * place, and whatever can still be shown is shown.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { Probe, Trace, World } from "../kernel/mod.js";
import { cellError, type CellOutcome } from "./cell.js";
import { topologyDiagram } from "./diagram.js";
import { type Lang, say, UI } from "./i18n.js";
import { traceStepper, verdictBox } from "./trace.js";

/** What to show: a world, optionally a probe to trace, and messages to show first. */
export interface Scene {
  readonly world?: World;
  readonly probe?: Probe;
  /** Problems found on the way (refused edits, bad lines), shown above the picture. */
  readonly errors?: readonly string[];
}

/** Options of {@linkcode explore}. */
export interface ExploreOptions {
  readonly lang: Lang;
  /** Prefix of every `data-testid` inside. */
  readonly id: string;
  /** The width to fit (Framework's `width`). */
  readonly width?: number;
  readonly showMtu?: boolean;
}

/** A list of problems, each on its own line. */
export function problems(errors: readonly string[], lang: Lang, id?: string): HTMLElement {
  return html`
    <div class="pn-error" role="alert" data-testid=${id ? `${id}-problems` : null}>
      <strong>${say(lang, UI.problem)}</strong>
      <ul>${errors.map((e) => html`<li>${e}</li>`)}</ul>
    </div>
  ` as HTMLElement;
}

/** Traces a probe, or says why it cannot (an unknown pod, say). */
export function traceOf(
  world: World,
  probe: Probe,
): { trace: Trace; error?: undefined } | { trace?: undefined; error: string } {
  try {
    const t = kernel.trace(world, probe);
    return t.ok ? { trace: t.value } : { error: kernel.formatProbeError(t.error) };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * Shows a scene or a cell's outcome: verdict, diagram with the path, stepper.
 *
 * @param scene A scene, or the outcome of `runCell`.
 * @param options Language, test id, width.
 * @returns A `<div class="pn-explore">`.
 */
export function explore(scene: Scene | CellOutcome, options: ExploreOptions): HTMLElement {
  const root =
    html`<div class="pn-explore" data-testid=${`${options.id}-explore`}></div>` as HTMLElement;
  try {
    fill(root, scene, options);
  } catch (e) {
    const error = e as Error;
    root.append(problems([`${error.name}: ${error.message}`], options.lang, options.id));
  }
  return root;
}

function fill(root: HTMLElement, scene: Scene | CellOutcome, options: ExploreOptions): void {
  const { lang, id } = options;
  if ("ok" in scene && !scene.ok) {
    root.append(cellError(scene, lang, id));
    return;
  }
  const errors = [...("errors" in scene ? scene.errors ?? [] : [])];
  const world = scene.world;
  let trace: Trace | undefined;
  if (world && scene.probe) {
    const t = traceOf(world, scene.probe);
    if (t.error !== undefined) errors.push(`${say(lang, UI.noTrace)}: ${t.error}`);
    trace = t.trace;
  }
  if (errors.length) root.append(problems(errors, lang, id));
  if (!world) return;
  if (trace) root.append(verdictBox(trace, { lang, id }));
  const figure = html`<figure class="pn-figure"></figure>` as HTMLElement;
  const draw = (hop?: number) => {
    try {
      figure.replaceChildren(
        topologyDiagram(world, {
          lang,
          trace,
          hop,
          width: options.width,
          id,
          showMtu: options.showMtu,
        }),
      );
    } catch (e) {
      figure.replaceChildren(problems([`${(e as Error).name}: ${(e as Error).message}`], lang));
    }
  };
  draw();
  root.append(figure);
  if (trace) {
    const stepper = traceStepper(trace, { lang, id });
    stepper.addEventListener("input", () => draw(stepper.value));
    root.append(stepper);
  }
}
