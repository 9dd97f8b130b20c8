/**
 * Where a notebook cell keeps the reader's code: localStorage, per page and
 * cell. Code the reader kept from a shared link carries a mark, so the cell
 * can say where it came from on every later visit; editing it keeps the
 * mark, Reset removes both.
 *
 * Storage can be full, disabled or refused (private windows): then nothing
 * is kept and the cell works as if the reader had no edits.
 *
 * @module
 */

/** The reader's code for one cell. */
export interface StoredCode {
  readonly code: string;
  /** The code came from a shared link and the reader chose to keep it. */
  readonly fromLink: boolean;
}

/** One cell's stored code. */
export interface CellStore {
  read(): StoredCode | undefined;
  /**
   * Saves `code`, or forgets the cell's code and mark when `code` is `undefined`.
   * `fromLink` sets the mark; without it, an existing mark stays.
   */
  write(code: string | undefined, options?: { fromLink?: boolean }): void;
}

/**
 * The store for cell `id` on this page.
 *
 * @param id The cell's id.
 * @returns Its store.
 */
export function cellStore(id: string): CellStore {
  // The code key is the one earlier versions used, so readers keep their edits.
  const key = `podnet:cell:v1:${location.pathname}:${id}`;
  const mark = `${key}:from-link`;
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    read() {
      const code = attempt(() => localStorage.getItem(key));
      if (typeof code !== "string") return undefined;
      return { code, fromLink: attempt(() => localStorage.getItem(mark)) === "1" };
    },
    write(code, options = {}) {
      attempt(() => {
        if (code === undefined) {
          localStorage.removeItem(key);
          localStorage.removeItem(mark);
          return;
        }
        localStorage.setItem(key, code);
        if (options.fromLink) localStorage.setItem(mark, "1");
      });
    },
  };
}

/** A piece of the reader's work on this page other than a cell's code: a table, a list of steps. */
export interface PageStore {
  read(): string | undefined;
  /** Saves `text`, or forgets it when `undefined`. */
  write(text: string | undefined): void;
}

/**
 * The store for one thing the reader edits on this page (kept like cells
 * are: per page, in localStorage, until Reset).
 *
 * @param kind What it is, e.g. `table` or `steps`.
 * @param id Its id on the page.
 * @returns Its store; a refused storage keeps nothing.
 */
export function pageStore(kind: string, id: string): PageStore {
  const key = `podnet:${kind}:v1:${location.pathname}:${id}`;
  return {
    read() {
      try {
        return localStorage.getItem(key) ?? memory.get(key);
      } catch {
        return memory.get(key);
      }
    },
    write(text) {
      // Kept in memory too: with storage full or refused, the edit lives until the page closes.
      if (text === undefined) memory.delete(key);
      else memory.set(key, text);
      try {
        if (text === undefined) localStorage.removeItem(key);
        else localStorage.setItem(key, text);
      } catch {
        // the copy in memory serves this visit
      }
    },
  };
}

const memory = new Map<string, string>();
