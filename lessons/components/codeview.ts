/**
 * A cell's code as highlighted text, shown until the reader focuses the
 * cell (then the notebook loads the editor in its place). The colouring is
 * a few regular expressions — comments, strings, keywords, numbers — in the
 * editor's colours, so nothing jumps when the editor takes over. The code
 * only ever becomes text nodes.
 *
 * @module
 */

const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\[\s\S])*`?)|\b(const|let|var|return|if|else|for|while|do|of|in|new|function|await|async|throw|try|catch|finally|typeof|true|false|null|undefined|break|continue|switch|case|default)\b|\b(\d[\d_]*(?:\.\d+)?)\b/g;

const CLASSES = ["pn-tok-comment", "pn-tok-string", "pn-tok-keyword", "pn-tok-number"];

/**
 * The code as nodes: text, and `<span class="pn-tok-…">` around tokens.
 *
 * @param code The code.
 * @returns Nodes to append.
 */
export function highlighted(code: string): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const m of code.matchAll(TOKEN)) {
    if (m.index > at) nodes.push(document.createTextNode(code.slice(at, m.index)));
    const span = document.createElement("span");
    span.className = CLASSES[m.slice(1).findIndex((g) => g !== undefined)];
    span.textContent = m[0];
    nodes.push(span);
    at = m.index + m[0].length;
  }
  if (at < code.length) nodes.push(document.createTextNode(code.slice(at)));
  return nodes;
}

/**
 * The read-only view of a cell's code: a focusable `<pre>` that stands for
 * the editor until the editor loads.
 *
 * @param code The code.
 * @param options The accessible label and the test id.
 * @returns The element; call `show(code)` on it to change the code shown.
 */
export function codeView(
  code: string,
  options: { label: string; testid: string },
): HTMLPreElement & { show(code: string): void } {
  const pre = document.createElement("pre") as HTMLPreElement & { show(code: string): void };
  pre.className = "pn-cell-code";
  pre.tabIndex = 0;
  pre.setAttribute("role", "textbox");
  pre.setAttribute("aria-multiline", "true");
  pre.setAttribute("aria-label", options.label);
  pre.dataset.testid = options.testid;
  pre.show = (text: string) => pre.replaceChildren(...highlighted(text));
  pre.show(code);
  return pre;
}
