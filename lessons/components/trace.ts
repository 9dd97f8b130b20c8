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
  client: { en: "external client", ko: "외부 클라이언트" },
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

/** Where a hop's Linux command runs: "On node-1:", "In pod-a's network namespace:". */
function confirmOn(hop: Trace["hops"][number], lang: Lang): string {
  const at = hop.at;
  if (at.kind === "segment") {
    return lang === "en" ? "On Linux, on the receiving node:" : "리눅스에서 확인 (받는 노드):";
  }
  if (at.role === "pod") {
    return lang === "en"
      ? `On Linux, in ${at.name}'s network namespace:`
      : `리눅스에서 확인 (${at.name}의 네트워크 네임스페이스):`;
  }
  return lang === "en" ? `On Linux, on ${at.name}:` : `리눅스에서 확인 (${at.name}):`;
}

/** One hop: where, what was decided (in the kernel's words), the Linux command, headers, bytes. */
export function hopView(trace: Trace, index: number, lang: Lang): HTMLElement {
  const hop = trace.hops[index];
  return html`<section class="pn-hop">
    <p class="pn-hop-title"><strong>${say(lang, UI.hop)} ${index + 1} ${
    say(lang, UI.of)
  } ${trace.hops.length}: ${placeName(hop, lang)}</strong></p>
    <ol class="pn-steps">${
    hop.steps.map((step) => {
      const command = kernel.stepCommand(step, hop.before);
      return html`<li class=${`pn-step pn-step-${step.kind}`}>${kernel.describeStep(step, lang)}${
        command
          ? html`
            <div class="pn-linux-command"
              data-testid="linux-command"><span class="pn-faint">${confirmOn(
                hop,
                lang,
              )}</span> <code>${command}</code></div>
          `
          : ""
      }</li>`;
    })
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
  const loop = repeatedRun(trace);
  const button = (i: number) =>
    html`
      <button type="button" data-hop=${i} data-testid=${tid(`hop-${i}`)}
        title=${placeName(trace.hops[i], lang)}>${i + 1}<span class="pn-hop-name"> ${trace
          .hops[i].at.name}</span></button>
    ` as HTMLButtonElement;
  // A routing loop repeats the same hops until the TTL runs out: the first round and the last
  // are buttons, the rounds between are one button that steps into them.
  const hidden = loop ? { from: loop.from, to: loop.to } : undefined;
  const buttons = trace.hops.map((_, i) =>
    hidden && i >= hidden.from && i < hidden.to ? undefined : button(i)
  );
  const collapsed = hidden
    ? html`
      <button type="button" class="pn-hop-loop" data-hop=${hidden.from}
        data-testid=${tid("hop-loop")}>⟳ ${lang === "en"
          ? `${hidden.to - hidden.from} more hops: the loop ${loop!.rounds} more times`
          : `홉 ${hidden.to - hidden.from}개 더: 같은 고리를 ${loop!.rounds}번 더`}</button>
    ` as HTMLButtonElement
    : undefined;
  const bar = buttons.flatMap((b, i) => (b ? [b] : i === hidden?.from ? [collapsed!] : []));
  const prev = html`<button type="button" class="pn-arrow" aria-label=${
    say(lang, UI.prev)
  } data-testid=${tid("prev")}>◀</button>` as HTMLButtonElement;
  const next = html`<button type="button" class="pn-arrow" aria-label=${
    say(lang, UI.next)
  } data-testid=${tid("next")}>▶</button>` as HTMLButtonElement;
  const root = html`<div class="pn-stepper" data-testid=${
    tid("stepper")
  } data-hops=${trace.hops.length}>
    <div class="pn-stepper-bar">${prev}<div class="pn-hop-buttons">${bar}</div>${next}</div>
    ${detail}
  </div>` as HTMLElement & { value: number };
  const key = options.id ? `${options.id}:${trace.hops.length}` : undefined;
  const show = (i: number, notify: boolean) => {
    root.value = Math.max(0, Math.min(last, i));
    root.dataset.hop = String(root.value);
    if (key) shownHop.set(key, root.value);
    buttons.forEach((b, j) => b?.setAttribute("aria-pressed", String(j === root.value)));
    collapsed?.setAttribute(
      "aria-pressed",
      String(root.value >= hidden!.from && root.value < hidden!.to),
    );
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
  buttons.forEach((b, i) => b?.addEventListener("click", () => show(i, true)));
  collapsed?.addEventListener("click", () => show(hidden!.from, true));
  prev.addEventListener("click", () => show(root.value - 1, true));
  next.addEventListener("click", () => show(root.value + 1, true));
  // Redrawn for the same trace (the page was resized), the stepper stays on the hop it showed.
  show(options.hop ?? (key ? shownHop.get(key) : undefined) ?? last, false);
  return root;
}

/** The hop each stepper (by test id and trace length) showed last, kept across redraws. */
const shownHop = new Map<string, number>();

/**
 * Where a trace repeats itself: the hops from `from` to `to` (exclusive)
 * repeat the round of places that starts before them, `rounds` times. Only
 * runs of three rounds or more count.
 *
 * @param trace The trace.
 * @returns The repeated middle, or `undefined` when the trace does not loop.
 */
export function repeatedRun(
  trace: Trace,
): { from: number; to: number; rounds: number } | undefined {
  const names = trace.hops.map((h) => `${h.at.kind}:${h.at.name}`);
  const n = names.length;
  for (let start = 0; start < n; start++) {
    for (let period = 1; start + 3 * period <= n; period++) {
      let end = start + period;
      while (end < n && names[end] === names[end - period]) end++;
      const rounds = Math.floor((end - start) / period);
      if (rounds < 3) continue;
      // Keep the first round and the last one (with whatever follows) as buttons.
      const from = start + period;
      const to = start + (rounds - 1) * period;
      return to > from ? { from, to, rounds: rounds - 2 } : undefined;
    }
  }
  return undefined;
}
