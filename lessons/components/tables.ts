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
import { pageStore } from "./cellstore.js";

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
  client: { en: "external client", ko: "외부 클라이언트" },
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
 * `ID-reset` (the reset button), `ID-kept` (the note shown while kept edits apply).
 *
 * With `keep`, the reader's text for each table is kept per page in
 * localStorage and put back whenever the editor is built again — after a
 * reload, a re-run of the cell above, or switching to another table and
 * back — until Reset.
 *
 * @param world The world whose tables to start from.
 * @param options Language, test id prefix, namespaces, which table, whether to keep edits.
 * @returns A view whose value is {@linkcode TablesValue}.
 */
export function tableEditor(
  world: World,
  options: {
    lang: Lang;
    id: string;
    namespaces: readonly string[];
    /** The namespaces whose text areas are on the page (default all); the others keep their edits. */
    shown?: readonly string[];
    kind?: TableKind;
    keep?: boolean;
  },
): ViewElement<TablesValue> {
  const { lang, id } = options;
  const kind = KINDS[options.kind ?? "routes"];
  const names = options.namespaces.filter((n) => kernel.namespaceNamed(world, n));
  const shown = names.filter((n) => !options.shown || options.shown.includes(n));
  const original = new Map(names.map((n) => [n, kind.read(world, n).join("\n")]));
  const stores = new Map(
    names.map((n) => [n, options.keep ? pageStore("table", `${id}:${n}`) : undefined]),
  );
  /** Each table's current text: the reader's kept edit, or the world's table. */
  const texts = new Map(names.map((n) => [n, stores.get(n)?.read() ?? original.get(n)!]));
  const good = new Map<string, string[]>();
  const errors = new Map<string, EditError[]>();
  const areas = new Map<string, HTMLTextAreaElement>();
  const messages = new Map<string, HTMLElement>();
  const kept = html`<p class="pn-kept" data-testid=${`${id}-kept`} hidden>${
    say(lang, UI.keptEdits)
  }</p>` as HTMLElement;
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
    for (const [n, lines] of good) {
      if (lines.join("\n") === original.get(n)) continue;
      const r = kind.write(w, n, lines);
      if (r.ok) w = r.value;
    }
    return { world: w, errors: [...errors.values()].flat() };
  };
  /** Parses table `n`'s text; a bad line keeps the last good version. */
  const parse = (n: string) => {
    const text = texts.get(n)!;
    const lines = text.split("\n");
    const r = kind.write(world, n, lines);
    if (r.ok) {
      good.set(n, lines);
      errors.delete(n);
    } else {
      errors.set(n, r.error);
      if (!good.has(n)) good.set(n, original.get(n)!.split("\n"));
    }
    stores.get(n)?.write(text === original.get(n) ? undefined : text);
  };
  const show = (n: string) => {
    const list = errors.get(n) ?? [];
    const box = messages.get(n);
    if (!box) return;
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
  };
  const settle = (notify: boolean) => {
    kept.hidden = !names.some((n) => texts.get(n) !== original.get(n));
    root.value = compose();
    if (notify) root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  for (const n of names) parse(n);
  for (const n of shown) {
    const text = texts.get(n)!;
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
      texts.set(n, area.value);
      parse(n);
      show(n);
      settle(true);
    });
    const role = say(lang, ROLES[kernel.namespaceNamed(world, n)!.role]);
    root.append(html`
      <div
        class="pn-table"><label><code>${n}</code> <span class="pn-faint">(${role})</span>${area}</label>${box}</div>
    `);
    show(n);
  }
  const reset = html`<button type="button" data-testid=${`${id}-reset`}>${
    say(lang, UI.reset)
  }</button>` as HTMLButtonElement;
  reset.addEventListener("click", () => {
    for (const n of names) {
      texts.set(n, original.get(n)!);
      areas.get(n)?.setAttribute(
        "rows",
        String(Math.max(2, original.get(n)!.split("\n").length + 1)),
      );
      const area = areas.get(n);
      if (area) area.value = original.get(n)!;
      parse(n);
      show(n);
    }
    settle(true);
  });
  root.append(reset, kept);
  settle(false);
  return root;
}
