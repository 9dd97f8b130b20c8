/**
 * The hop-by-hop trace view: a stepper over the hops (its value is the
 * current hop, so a page can highlight it in the diagram), each hop's
 * decisions in the kernel's own words, the headers as the packet arrived
 * and left (outer and inner side by side for VXLAN), its bytes, and the
 * verdict with what the sender or the receiver sees.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { Hop, Packet, Trace } from "../kernel/mod.js";
import { type Lang, type Phrase, say, UI } from "./i18n.js";

const ROLE: Record<string, Phrase> = {
  node: { en: "node", ko: "노드" },
  pod: { en: "pod", ko: "파드" },
  router: { en: "router", ko: "라우터" },
  segment: { en: "underlay segment", ko: "언더레이 세그먼트" },
};

/** `node-1 (node)`, `underlay (underlay segment)`. */
export function placeName(hop: Hop, lang: Lang): string {
  const role = hop.at.kind === "segment" ? "segment" : hop.at.role;
  return `${hop.at.name} (${say(lang, ROLE[role])})`;
}

/** The sender's own address: the source of the first packet. */
function senderAddress(trace: Trace): string {
  return (trace.hops[0]?.before.ip.src ?? trace.probe.packet.src).toString();
}

/**
 * The verdict of a trace in words, with what the receiver sees (its source
 * address, NAT or not) or what the sender sees (an error, an ICMP message,
 * or nothing). Its attributes carry the verdict for tests:
 * `data-verdict`, `data-reason`, `data-namespace`, `data-src`.
 *
 * @param trace The trace.
 * @param options Language and test id prefix.
 * @returns A `<div class="pn-verdict">`.
 */
export function verdictBox(trace: Trace, options: { lang: Lang; id?: string }): HTMLElement {
  const { lang } = options;
  const v = trace.verdict;
  const box = html`
    <div class="pn-verdict ${v.kind === "delivered" ? "pn-ok" : "pn-bad"}"
      data-testid=${options.id ? `${options.id}-verdict` : null}
      data-verdict=${v.kind}
      data-namespace=${v.namespace}
      data-reason=${v.kind === "dropped" ? v.drop.reason : null}
      data-src=${v.kind === "delivered" ? v.src.toString() : null}
      aria-live="polite">
      <strong>${v.kind === "delivered" ? "✓" : "✗"} ${kernel.describeVerdict(v, lang)}</strong>
    </div>
  ` as HTMLElement;
  if (v.kind === "delivered") {
    const own = v.src.toString() === senderAddress(trace);
    box.append(
      html`<div>${say(lang, UI.receiverSees)} <code>${v.src.toString()}</code> — ${
        say(lang, own ? UI.ownAddress : UI.otherAddress)
      }.</div>`,
    );
  } else {
    box.append(
      html`<div>${say(lang, UI.senderSees)}: ${
        kernel.describeSenderSees(v.senderSees, lang)
      }.</div>`,
    );
  }
  return box;
}

type Row = readonly [string, string];

const FIELD: Record<string, Phrase> = {
  macSrc: { en: "source MAC", ko: "출발지 MAC" },
  macDst: { en: "destination MAC", ko: "목적지 MAC" },
  src: { en: "source IP", ko: "출발지 IP" },
  dst: { en: "destination IP", ko: "목적지 IP" },
  ttl: { en: "TTL", ko: "TTL" },
  proto: { en: "protocol", ko: "프로토콜" },
  length: { en: "IP length", ko: "IP 길이" },
  df: { en: "DF", ko: "DF" },
  vni: { en: "VXLAN VNI", ko: "VXLAN VNI" },
};

function fieldsOf(p: Packet, lang: Lang): Row[] {
  const ip = p.ip;
  const ports = ip.sport !== undefined ? ` ${ip.sport} → ${ip.dport}` : "";
  const rows: Row[] = [
    [say(lang, FIELD.macSrc), p.eth ? p.eth.src.toString() : "—"],
    [say(lang, FIELD.macDst), p.eth ? p.eth.dst.toString() : "—"],
    [say(lang, FIELD.src), ip.src.toString()],
    [say(lang, FIELD.dst), ip.dst.toString()],
    [say(lang, FIELD.ttl), String(ip.ttl)],
    [say(lang, FIELD.proto), `${ip.proto}${ports}`],
    [
      say(lang, FIELD.length),
      `${ip.length}${
        ip.fragment ? ` (${lang === "en" ? "fragments ≤" : "단편 ≤"} ${ip.fragment})` : ""
      }`,
    ],
    [say(lang, FIELD.df), ip.df ? "1" : "0"],
  ];
  if (p.vxlan) rows.push([say(lang, FIELD.vni), String(p.vxlan.vni)]);
  return rows;
}

interface Column {
  readonly title: string;
  readonly rows: Row[];
  /** `outer` for the headers VXLAN put in front; `payload` for the packet the pods exchange. */
  readonly level: "outer" | "payload";
  readonly leaving: boolean;
}

function columnsOf(p: Packet, title: string, lang: Lang, leaving: boolean): Column[] {
  if (!p.vxlan) return [{ title, rows: fieldsOf(p, lang), level: "payload", leaving }];
  return [
    {
      title: `${title} · ${say(lang, UI.outer)}`,
      rows: fieldsOf(p, lang),
      level: "outer",
      leaving,
    },
    {
      title: `${title} · ${say(lang, UI.inner)}`,
      rows: fieldsOf(p.vxlan.inner, lang),
      level: "payload",
      leaving,
    },
  ];
}

/**
 * The headers of a hop as a table: as the packet arrived and as it left;
 * a VXLAN packet shows its outer and inner headers in neighbouring columns.
 * Fields the hop changed are marked.
 */
export function headerTable(hop: Hop, lang: Lang): HTMLElement {
  const cols = [
    ...columnsOf(hop.before, say(lang, UI.packetIn), lang, false),
    ...columnsOf(hop.after, say(lang, UI.packetOut), lang, true),
  ];
  const changed = (c: Column, i: number) => {
    if (!c.leaving) return false;
    const before = cols.find((x) => !x.leaving && x.level === c.level);
    return before === undefined || before.rows[i]?.[1] !== c.rows[i]?.[1];
  };
  const names = cols[0].rows.map((r) => r[0]);
  if (cols.some((c) => c.rows.length > names.length)) names.push(say(lang, FIELD.vni));
  return html`
    <div class="pn-headers">
      <table>
        <thead>
          <tr><th>${say(lang, UI.field)}</th>${cols.map((c) =>
            html`<th class=${c.level === "outer" ? "pn-outer" : ""}>${c.title}</th>`
          )}</tr>
        </thead>
        <tbody>${names.map((name, i) =>
          html`<tr><th>${name}</th>${
            cols.map((c) =>
              html`<td class=${changed(c, i) ? "pn-changed" : ""}><code>${
                c.rows[i]?.[1] ?? ""
              }</code></td>`
            )
          }</tr>`
        )}</tbody>
      </table>
    </div>
  ` as HTMLElement;
}

/** The packet's bytes as it leaves the hop, one row per header, inner frame indented. */
export function bytesView(p: Packet, lang: Lang): HTMLElement {
  const bytes = kernel.packetBytes(p);
  const body = bytes.ok
    ? html`
      <table class="pn-hexdump">
        <thead>
          <tr>
            <th>${say(lang, UI.offset)}</th>
            <th>${say(lang, UI.layer)}</th>
            <th>hex</th>
          </tr>
        </thead>
        <tbody>${kernel.hexdump(bytes.value, { annotate: true, width: 8 }).map((r) =>
          html`
            <tr class=${`pn-depth-${r.depth} pn-layer-${r.layer}`}>
              <td>${r.offset.toString().padStart(3, " ")}</td>
              <td>${r.label}</td>
              <td><code>${r.hex}</code></td>
            </tr>
          `
        )}</tbody>
      </table>
    `
    : html`<p class="pn-faint">${say(lang, UI.bytesNone)} (${bytes.error})</p>`;
  return html`<details class="pn-bytes"><summary>${say(lang, UI.bytes)}${
    bytes.ok ? ` (${bytes.value.length} B)` : ""
  }</summary>${body}</details>` as HTMLElement;
}

/** One hop: where, what was decided (in the kernel's words), headers, bytes. */
export function hopView(trace: Trace, index: number, lang: Lang): HTMLElement {
  const hop = trace.hops[index];
  return html`<section class="pn-hop">
    <h4>${say(lang, UI.hop)} ${index + 1} ${say(lang, UI.of)} ${trace.hops.length}: ${
    placeName(hop, lang)
  }</h4>
    <ol class="pn-steps">${
    hop.steps.map((step) =>
      html`<li class=${`pn-step pn-step-${step.kind}`}>${kernel.describeStep(step, lang)}</li>`
    )
  }</ol>
    ${headerTable(hop, lang)}
    ${bytesView(hop.after, lang)}
  </section>` as HTMLElement;
}

/**
 * A stepper over a trace's hops. Its `value` is the current hop (starting at
 * the last, so the whole path shows) and it fires `input` when that changes,
 * so it works with Framework's `view()` or an event listener.
 *
 * @param trace The trace.
 * @param options Language, test id prefix, starting hop.
 * @returns The stepper element.
 */
export function traceStepper(
  trace: Trace,
  options: { lang: Lang; id?: string; hop?: number },
): HTMLElement & { value: number } {
  const { lang } = options;
  const last = trace.hops.length - 1;
  const tid = (suffix: string) => (options.id ? `${options.id}-${suffix}` : null);
  const detail = html`<div class="pn-hop-detail"></div>` as HTMLElement;
  const buttons = trace.hops.map((hop, i) =>
    html`
      <button type="button" data-hop=${i} data-testid=${tid(`hop-${i}`)}
        title=${placeName(hop, lang)}>${i + 1}<span class="pn-hop-name"> ${hop.at
          .name}</span></button>
    ` as HTMLButtonElement
  );
  const prev = html`<button type="button" class="pn-arrow" aria-label=${
    say(lang, UI.prev)
  } data-testid=${tid("prev")}>◀</button>` as HTMLButtonElement;
  const next = html`<button type="button" class="pn-arrow" aria-label=${
    say(lang, UI.next)
  } data-testid=${tid("next")}>▶</button>` as HTMLButtonElement;
  const root = html`<div class="pn-stepper" data-testid=${tid("stepper")}>
    <div class="pn-stepper-bar">${prev}<div class="pn-hop-buttons">${buttons}</div>${next}</div>
    ${detail}
  </div>` as HTMLElement & { value: number };
  const show = (i: number, notify: boolean) => {
    root.value = Math.max(0, Math.min(last, i));
    root.dataset.hop = String(root.value);
    buttons.forEach((b, j) => b.setAttribute("aria-pressed", String(j === root.value)));
    prev.disabled = root.value === 0;
    next.disabled = root.value === last;
    try {
      detail.replaceChildren(hopView(trace, root.value, lang));
    } catch (e) {
      const error = e as Error;
      detail.replaceChildren(
        html`<p class="pn-error" role="alert">${error.name}: ${error.message}</p>`,
      );
    }
    if (notify) root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  buttons.forEach((b, i) => b.addEventListener("click", () => show(i, true)));
  prev.addEventListener("click", () => show(root.value - 1, true));
  next.addEventListener("click", () => show(root.value + 1, true));
  show(options.hop ?? last, false);
  return root;
}
