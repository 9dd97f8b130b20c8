/**
 * The code editor of a notebook cell: CodeMirror 6 with JavaScript, the
 * page's syntax colours, and errors marked where they are. The notebook
 * imports this module only when a reader focuses or runs a cell, so a lesson
 * page does not load CodeMirror (about 200 kB gzip) before anyone edits.
 *
 * Brackets are not closed automatically: what the reader typed is what runs
 * (typing `return {` gives the syntax error it is, not a silent `return {}`).
 *
 * @module
 */
import { javascript } from "@codemirror/lang-javascript";
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { type Diagnostic, setDiagnostics } from "@codemirror/lint";
import { EditorState, Prec } from "@codemirror/state";
import {
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { minimalSetup } from "codemirror";
import type { CellError } from "../kernel/notebook/protocol.js";

/**
 * Code colours from the page's theme (Framework's --syntax-* variables), so
 * the editor reads well in light and dark mode alike.
 */
const themeHighlight = HighlightStyle.define([
  {
    tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword],
    color: "var(--syntax-keyword)",
  },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "var(--syntax-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--syntax-constant)" },
  {
    tag: [tags.comment, tags.lineComment, tags.blockComment],
    color: "var(--syntax-comment)",
    fontStyle: "italic",
  },
  {
    tag: [tags.function(tags.variableName), tags.function(tags.propertyName)],
    color: "var(--syntax-entity)",
  },
  { tag: [tags.definition(tags.variableName), tags.propertyName], color: "var(--syntax-variable)" },
]);

/** What the notebook does with an editor. */
export interface CellEditor {
  /** The code as it is now. */
  code(): string;
  /** Replaces the whole code (Reset, a shared link). */
  setCode(code: string): void;
  /** Marks an error at its line and column, or clears the marks. */
  showError(error: CellError | undefined): void;
  focus(): void;
}

function diagnosticFor(view: EditorView, error: CellError): Diagnostic[] {
  if (!error.line) return [];
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(error.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max((error.column ?? 1) - 1, 0), line.to);
  return [{
    from,
    to: Math.min(Math.max(from + 1, line.to), doc.length),
    severity: "error",
    message: error.message,
  }];
}

/**
 * Builds an editor in `parent`.
 *
 * @param parent Where the editor goes (its content is replaced).
 * @param options The code, the cell's id (for labels and test ids), and what
 *   to call on every change and on Ctrl/⌘-Enter.
 * @returns The editor.
 */
export function createEditor(
  parent: HTMLElement,
  options: {
    code: string;
    id: string;
    label: string;
    onChange: (code: string) => void;
    onRun: () => void;
  },
): CellEditor {
  parent.replaceChildren();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.code,
      extensions: [
        minimalSetup,
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        javascript(),
        syntaxHighlighting(themeHighlight),
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (options.onRun(), true) }])),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) options.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({
          "aria-label": options.label,
          "data-testid": `cell-${options.id}-code`,
        }),
      ],
    }),
  });
  return {
    code: () => view.state.doc.toString(),
    setCode(code) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
    },
    showError(error) {
      view.requestMeasure();
      view.dispatch(setDiagnostics(view.state, error ? diagnosticFor(view, error) : []));
    },
    focus: () => view.focus(),
  };
}
