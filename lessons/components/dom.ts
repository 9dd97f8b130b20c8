/**
 * htl's `html`, made robust to formatting: a template holding one node
 * between whitespace (as `deno fmt` lays out long templates) gives that
 * node, where htl would wrap whitespace, node and whitespace in a `<span>`.
 * Components rely on getting the element itself back, to set its `value`
 * or listen to it. Several nodes still come back in a `<span>`, as in htl.
 *
 * @module
 */
import { html as htl } from "htl";

/**
 * Renders a template to DOM like htl's `html`, ignoring whitespace around a
 * single top-level node.
 *
 * @param strings The template's strings.
 * @param values The interpolated values.
 * @returns The node, a `<span>` holding several nodes, or `null` when empty.
 */
// deno-lint-ignore no-explicit-any
export function html(strings: TemplateStringsArray, ...values: unknown[]): any {
  const fragment: DocumentFragment = htl.fragment(strings, ...values);
  const kept = [...fragment.childNodes].filter((n) =>
    !(n.nodeType === Node.TEXT_NODE && (n.textContent ?? "").trim() === "")
  );
  if (kept.length === 0) return null;
  if (kept.length === 1) return kept[0];
  const span = document.createElement("span");
  span.append(fragment);
  return span;
}
