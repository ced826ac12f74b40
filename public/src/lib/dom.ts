// Small DOM helpers: typed lookups that fail loudly, an element builder, and text updates
// that touch the DOM only when the text changes.

export function $<T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (el === null) throw new Error(`page is missing ${selector}`);
  return el;
}

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/** Sets text only if it differs; returns whether it changed. */
export function setText(el: Element, text: string): boolean {
  if (el.textContent === text) return false;
  el.textContent = text;
  return true;
}

/** Runs `fn` at most once per animation frame however often it is asked for. */
export function frameThrottle(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** A brief highlight on a value that just changed. */
export function flash(el: Element): void {
  if (typeof (el as HTMLElement).animate !== 'function') return;
  (el as HTMLElement).animate([{ backgroundColor: 'rgba(110, 168, 254, 0.28)' }, { backgroundColor: 'rgba(110, 168, 254, 0)' }], { duration: 700, easing: 'ease-out' });
}

/** Reads `#a=1&b=2` style page state. */
export function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

export function setHashParams(p: Record<string, string | null>): void {
  const q = hashParams();
  for (const [k, v] of Object.entries(p)) {
    if (v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  history.replaceState(null, '', s === '' ? location.pathname + location.search : `#${s}`);
}
