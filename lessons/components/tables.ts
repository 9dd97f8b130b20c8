/**
 * Editable tables: the routing tables (`ip route` lines) or netfilter rules
 * (iptables argument lines) of chosen namespaces, as text areas the kernel
 * parses on every keystroke (`setRoutes`, `setIptables`). A bad line is
 * named under its table — line number, token, column, message — and the
 * table's last good version stays in force, so the rest of the page keeps
 * working.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { EditError, Result, World } from "../kernel/mod.js";
import { type Lang, say, UI } from "./i18n.js";
import type { ViewElement } from "./inputs.js";

/** Which table to edit. */
export type TableKind = "routes" | "iptables";

/** The editor's value: the world with every table's last good version, and the current errors. */
export interface TablesValue {
  readonly world: World;
  readonly errors: readonly EditError[];
}

const KINDS: Record<
  TableKind,
  {
    read: (world: World, ns: string) => string[];
    write: (world: World, ns: string, lines: string[]) => Result<World, EditError[]>;
  }
> = {
  routes: {
    read: (world, ns) =>
      (kernel.namespaceNamed(world, ns)?.routes ?? []).map((r) => kernel.formatRoute(r)),
    write: (world, ns, lines) => kernel.setRoutes(world, ns, lines),
  },
  iptables: {
    read: (world, ns) => {
      const n = kernel.namespaceNamed(world, ns);
      return n ? kernel.iptablesLines(n) : [];
    },
    write: (world, ns, lines) => kernel.setIptables(world, ns, lines),
  },
};

const ROLES = {
  node: { en: "node", ko: "노드" },
  pod: { en: "pod", ko: "파드" },
  router: { en: "router", ko: "라우터" },
} as const;

/** One error as the editor shows it: `line 2, "vai" (column 15): Unknown keyword`. */
export function describeEditError(e: EditError, lang: Lang): string {
  const where = e.line === undefined ? e.subject : `${say(lang, UI.line)} ${e.line + 1}`;
  return `${where}: ${e.message}`;
}

/**
 * Text areas for the tables of some namespaces.
 *
 * Test ids: `ID-table-NS` (the text area), `ID-errors-NS` (its messages),
 * `ID-reset` (the reset button).
 *
 * @param world The world whose tables to start from.
 * @param options Language, test id prefix, namespaces, which table.
 * @returns A view whose value is {@linkcode TablesValue}.
 */
export function tableEditor(
  world: World,
  options: { lang: Lang; id: string; namespaces: readonly string[]; kind?: TableKind },
): ViewElement<TablesValue> {
  const { lang, id } = options;
  const kind = KINDS[options.kind ?? "routes"];
  const names = options.namespaces.filter((n) => kernel.namespaceNamed(world, n));
  const original = new Map(names.map((n) => [n, kind.read(world, n).join("\n")]));
  const good = new Map(names.map((n) => [n, kind.read(world, n)]));
  const errors = new Map<string, EditError[]>();
  const areas = new Map<string, HTMLTextAreaElement>();
  const messages = new Map<string, HTMLElement>();
  const root = html`
    <div class="pn-tables" data-testid=${`${id}-tables`}>
      <p class="pn-faint">${say(lang, options.kind === "iptables" ? UI.rules : UI.tables)}. ${say(
        lang,
        UI.tableHint,
      )}</p>
    </div>
  ` as ViewElement<TablesValue>;
  const compose = (): TablesValue => {
    let w = world;
    for (const n of names) {
      const r = kind.write(w, n, good.get(n)!);
      if (r.ok) w = r.value;
    }
    return { world: w, errors: [...errors.values()].flat() };
  };
  const update = (n: string, notify: boolean) => {
    const lines = areas.get(n)!.value.split("\n");
    const r = kind.write(world, n, lines);
    if (r.ok) {
      good.set(n, lines);
      errors.delete(n);
    } else errors.set(n, r.error);
    const list = errors.get(n) ?? [];
    const box = messages.get(n)!;
    box.replaceChildren(
      ...list.map((e) =>
        html`<li data-line=${e.line === undefined ? null : e.line + 1} data-token=${
          e.token ?? null
        }>${describeEditError(e, lang)}</li>`
      ),
    );
    if (list.length) {
      box.append(html`<li class="pn-faint">${n}: ${say(lang, UI.usingLastGood)}</li>`);
    }
    areas.get(n)!.classList.toggle("pn-invalid", list.length > 0);
    root.value = compose();
    if (notify) root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  for (const n of names) {
    const text = original.get(n)!;
    const area = html`
      <textarea spellcheck="false" autocapitalize="off" autocomplete="off"
        wrap="off" rows=${Math.max(2, text.split("\n").length + 1)}
        data-testid=${`${id}-table-${n}`} aria-label=${`${n}: ${say(lang, UI.tables)}`}></textarea>
    ` as HTMLTextAreaElement;
    area.value = text;
    const box =
      html`<ul class="pn-table-errors" role="alert" data-testid=${`${id}-errors-${n}`}></ul>` as HTMLElement;
    areas.set(n, area);
    messages.set(n, box);
    area.addEventListener("input", (e) => {
      e.stopPropagation();
      update(n, true);
    });
    const role = say(lang, ROLES[kernel.namespaceNamed(world, n)!.role]);
    root.append(html`
      <div
        class="pn-table"><label><code>${n}</code> <span class="pn-faint">(${role})</span>${area}</label>${box}</div>
    `);
  }
  const reset = html`<button type="button" data-testid=${`${id}-reset`}>${
    say(lang, UI.reset)
  }</button>` as HTMLButtonElement;
  reset.addEventListener("click", () => {
    for (const n of names) {
      areas.get(n)!.value = original.get(n)!;
      update(n, false);
    }
    root.dispatchEvent(new Event("input", { bubbles: true }));
  });
  root.append(reset);
  root.value = compose();
  return root;
}
