/**
 * Opening a share link: the page scrolls to the linked cell and marks it,
 * however far down it is. Framework draws a page's cells one after another,
 * so what is above the cell can still grow after the first scroll; the cell
 * is scrolled to again as the page grows, for a few seconds or until the
 * reader scrolls, types or clicks themselves.
 *
 * @module
 */

/** How long the page keeps the linked cell in view while it is still being drawn. */
const FOLLOW_MS = 5_000;

const READER_MOVES = ["wheel", "touchstart", "keydown", "mousedown"] as const;

/**
 * Scrolls to `cell` once it is on the page, marks it (`pn-cell-linked`) and
 * moves keyboard focus to `focus` (the link's banner).
 *
 * @param cell The linked cell.
 * @param focus What takes focus: the banner that says where the code came from.
 */
export function followLink(cell: HTMLElement, focus: HTMLElement): void {
  cell.classList.add("pn-cell-linked");
  let following = true;
  let observer: ResizeObserver | undefined;
  const stop = () => {
    following = false;
    observer?.disconnect();
    for (const type of READER_MOVES) removeEventListener(type, stop, true);
  };
  for (const type of READER_MOVES) addEventListener(type, stop, { capture: true, passive: true });
  const scroll = () => {
    if (following && cell.isConnected) cell.scrollIntoView({ block: "start" });
  };
  const start = () => {
    if (!following) return;
    if (!cell.isConnected) return void requestAnimationFrame(start);
    scroll();
    focus.focus({ preventScroll: true });
    observer = new ResizeObserver(scroll);
    observer.observe(document.body);
    setTimeout(stop, FOLLOW_MS);
  };
  requestAnimationFrame(start);
}
