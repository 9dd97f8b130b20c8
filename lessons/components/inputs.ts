/**
 * Inputs for a lesson: what to send where (a probe), and which breakage to
 * apply. Each returns an element with a `value` that fires `input`, for
 * Framework's `view()`. Options carry stable `value` attributes (pod names,
 * breakage ids) so tests can pick them whatever the page's language.
 *
 * @module
 */
import { html } from "./dom.js";
import * as Inputs from "@observablehq/inputs";
import type { Probe, Protocol, World } from "../kernel/mod.js";
import type { Breakage } from "./breakages.js";
import { type Lang, type Phrase, say, UI } from "./i18n.js";

/** An element a page can `view()`. */
export type ViewElement<T> = HTMLElement & { value: T };

/**
 * Makes `root` a view of the inputs inside it: `root.value` is `read()`,
 * refreshed whenever an inner input fires `input`, which `root` then fires
 * in its own name (so a page's `view()` sees one event per change).
 *
 * @param root The element that holds the inputs.
 * @param read Computes the value from the inputs.
 * @returns `root`, now a view.
 */
export function relay<T>(root: HTMLElement, read: () => T): ViewElement<T> {
  const view = root as ViewElement<T>;
  view.value = read();
  view.addEventListener("input", (e) => {
    if (e.target === view) return;
    // Not only the ancestors: view()'s own listener on this element must not
    // see the inner event either, or every change would run the page twice.
    e.stopImmediatePropagation();
    view.value = read();
    view.dispatchEvent(new Event("input", { bubbles: true }));
  });
  return view;
}

/**
 * A labelled `<select>` whose options have stable values.
 *
 * @param items The choices.
 * @param options Label, how to name an item, its key, the initial key, test id.
 * @returns A view whose value is the chosen item.
 */
export function choice<T>(
  items: readonly T[],
  options: {
    label: string;
    key: (item: T) => string;
    format?: (item: T) => string;
    value?: string;
    testid?: string;
  },
): ViewElement<T> {
  const format = options.format ?? options.key;
  const select = html`<select data-testid=${options.testid ?? null}>${
    items.map((item) => html`<option value=${options.key(item)}>${format(item)}</option>`)
  }</select>` as HTMLSelectElement;
  if (options.value !== undefined) select.value = options.value;
  const root = html`<label class="pn-choice"><span>${options.label}</span>${select}</label>`;
  return relay(root, () => items.find((i) => options.key(i) === select.value) ?? items[0]);
}

/** The senders a world offers: pods, their containers, and node or router namespaces. */
export function senders(world: World, withContainers = false): string[] {
  const out: string[] = [];
  for (const p of world.pods) {
    if (p.namespace === undefined) continue;
    out.push(p.name);
    if (withContainers) {
      for (const c of p.containers) {
        if (!c.pause && c.state === "running") out.push(`${p.name}/${c.name}`);
      }
    }
  }
  for (const ns of world.namespaces) if (ns.role !== "pod") out.push(ns.name);
  return out;
}

/** The destinations a world offers: pods, then extra addresses. */
export function receivers(world: World, extra: readonly string[] = []): string[] {
  return [...world.pods.filter((p) => p.namespace !== undefined).map((p) => p.name), ...extra];
}

/** Options of {@linkcode probeInputs}. */
export interface ProbeInputOptions {
  readonly lang: Lang;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** Senders to offer (default: {@linkcode senders}). */
  readonly senders?: readonly string[];
  /** Receivers to offer (default: {@linkcode receivers}). */
  readonly receivers?: readonly string[];
  /** Offer a protocol and port (default false: ICMP echo, like ping). */
  readonly transport?: {
    readonly proto: Protocol;
    readonly port: number;
    readonly ports: number[];
  };
  /** Offer a packet size and DF bit, starting at this size. */
  readonly size?: number;
  /**
   * Offer the branch random (`statistic`) rules take: endpoint addresses or
   * `seed:N` (the probe's `branch`); the first choice is always "the first
   * rule that matches" (no branch).
   */
  readonly branches?: readonly string[];
}

/**
 * Inputs for a probe: sender, receiver, and optionally protocol, port, size
 * and DF. Test ids: `ID-from`, `ID-to`, `ID-proto`, `ID-port`, `ID-size`, `ID-df`,
 * `ID-branch`.
 *
 * @param world The world whose pods to offer.
 * @param options What to offer and the starting values.
 * @returns A view whose value is a kernel `Probe`.
 */
export function probeInputs(world: World, options: ProbeInputOptions): ViewElement<Probe> {
  const { lang, id } = options;
  const from = choice(options.senders ?? senders(world), {
    label: say(lang, UI.from),
    key: (x) => x,
    value: options.from,
    testid: `${id}-from`,
  });
  const to = choice(options.receivers ?? receivers(world), {
    label: say(lang, UI.to),
    key: (x) => x,
    value: options.to,
    testid: `${id}-to`,
  });
  const parts: ViewElement<unknown>[] = [from, to];
  const tr = options.transport;
  const proto = tr
    ? choice<Protocol>(["icmp", "tcp", "udp"], {
      label: say(lang, UI.proto),
      key: (x) => x,
      value: tr.proto,
      testid: `${id}-proto`,
    })
    : undefined;
  const port = tr
    ? choice(tr.ports.map(String), {
      label: say(lang, UI.port),
      key: (x) => x,
      value: String(tr.port),
      testid: `${id}-port`,
    })
    : undefined;
  if (proto && port) parts.push(proto, port);
  const branch = options.branches
    ? choice(["", ...options.branches], {
      label: say(lang, UI.branch),
      key: (x) => x,
      format: (x) => x || say(lang, UI.firstBranch),
      value: "",
      testid: `${id}-branch`,
    })
    : undefined;
  if (branch) parts.push(branch);
  const size = options.size !== undefined
    ? Inputs.range([28, 9000], { label: say(lang, UI.size), step: 1, value: options.size })
    : undefined;
  const df = options.size !== undefined
    ? Inputs.toggle({ label: say(lang, UI.df), value: true })
    : undefined;
  if (size) labelRanges(size);
  if (size) size.dataset.testid = `${id}-size`;
  if (df) df.dataset.testid = `${id}-df`;
  const root = html`<div class="pn-probe" data-testid=${`${id}-probe`}>${parts}${size ?? ""}${
    df ?? ""
  }</div>`;
  return relay(root, (): Probe => ({
    from: from.value,
    to: to.value,
    ...(proto && port && proto.value !== "icmp"
      ? { proto: proto.value, port: Number(port.value) }
      : proto
      ? { proto: proto.value }
      : {}),
    ...(size ? { size: Number(size.value) } : {}),
    ...(df ? { df: Boolean(df.value) } : {}),
    ...(branch?.value ? { branch: branch.value } : {}),
  }));
}

/**
 * A choice of breakages for a lesson, "nothing" first. Option values are the
 * breakage ids (test id `ID-break`).
 *
 * @param items The breakages this lesson offers.
 * @param options Language, test id, label.
 * @returns A view whose value is the chosen breakage.
 */
export function breakageInput(
  items: readonly Breakage[],
  options: { lang: Lang; id: string; label?: Phrase; value?: string },
): ViewElement<Breakage> {
  return choice(items, {
    label: say(options.lang, options.label ?? UI.breakage),
    key: (b) => b.id,
    format: (b) => say(options.lang, b.label),
    value: options.value,
    testid: `${options.id}-break`,
  });
}

/**
 * A list of checkboxes whose inputs have stable `value`s (test id
 * `ID-KEY` on each checkbox).
 *
 * @param items The choices.
 * @param options Label, key, how to name an item, keys checked at first, test id prefix.
 * @returns A view whose value is the checked items, in list order.
 */
export function checklist<T>(
  items: readonly T[],
  options: {
    label: string;
    key: (item: T) => string;
    format: (item: T) => string;
    value?: readonly string[];
    testid: string;
  },
): ViewElement<T[]> {
  const boxes = items.map((item) => {
    const box = html`<input type="checkbox" value=${
      options.key(item)
    } data-testid=${`${options.testid}-${options.key(item)}`}>` as HTMLInputElement;
    box.checked = options.value?.includes(options.key(item)) ?? false;
    return box;
  });
  const root = html`<fieldset class="pn-checklist" data-testid=${options.testid}>
    <legend>${options.label}</legend>
    ${items.map((item, i) => html`<label>${boxes[i]} ${options.format(item)}</label>`)}
  </fieldset>`;
  return relay(root, () => items.filter((_, i) => boxes[i].checked));
}

/**
 * Gives every range slider inside `root` an accessible name: Observable
 * Inputs labels only the number box beside a slider, so a screen reader
 * would announce the slider as "slider" and nothing more.
 *
 * @param root An input (or form of inputs) from `@observablehq/inputs`.
 * @returns `root`, for chaining.
 */
export function labelRanges<T extends Element>(root: T): T {
  for (const range of root.querySelectorAll<HTMLInputElement>('input[type="range"]')) {
    if (range.hasAttribute("aria-label") || range.labels?.length) continue;
    const form = range.closest("form");
    const label = form?.querySelector("label")?.textContent?.trim();
    if (label) range.setAttribute("aria-label", label);
  }
  return root;
}
