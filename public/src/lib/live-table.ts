// A keyed, sortable, filterable table that updates in place: rows are reused, cells are
// written only when their text changes (and flash when a watched value moves), and the
// order is touched only when it changes. Shared by the realm table and the entity viewer.
import { flash, h } from './dom.js';

export interface Column<T> {
  key: string;
  label: string;
  /** Value for sorting and filtering (and the cell text unless `text` or `render` is given). */
  value: (row: T) => string | number;
  text?: (row: T) => string;
  /** Full control of the cell's content; called on every update. */
  render?: (row: T, cell: HTMLTableCellElement) => void;
  numeric?: boolean;
  /** Highlight the cell briefly when its text changes. */
  flash?: boolean;
  className?: string;
  title?: string;
  sortable?: boolean;
}

export interface LiveTableOptions<T> {
  key: (row: T) => string;
  columns: Column<T>[];
  /** Text shown in place of rows when there are none. */
  empty: () => string;
  onRowClick?: (row: T, key: string) => void;
  /** Most rows rendered; the caption says how many were left out. */
  limit?: number;
  sort?: { key: string; dir: 1 | -1 };
  /** Sort orders that are not columns (e.g. registration order). */
  sortKeys?: Record<string, (row: T) => string | number>;
  rowClass?: (row: T) => string;
}

interface RowEl {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
}

export class LiveTable<T> {
  filter: (row: T) => boolean = () => true;
  selected: string | null = null;
  sort: { key: string; dir: 1 | -1 };
  /** Rows shown after the last update, and rows that matched the filter. */
  shown = 0;
  matched = 0;
  private columns: Column<T>[];
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly rows = new Map<string, RowEl>();
  private order: string[] = [];
  private emptyRow: HTMLTableRowElement | null = null;
  private last: T[] = [];
  private readonly byKey = new Map<string, T>();

  constructor(private readonly table: HTMLTableElement, private readonly opts: LiveTableOptions<T>) {
    this.columns = opts.columns;
    this.sort = opts.sort ?? { key: opts.columns[0]?.key ?? '', dir: 1 };
    this.thead = table.tHead ?? table.createTHead();
    this.tbody = table.tBodies[0] ?? table.createTBody();
    this.renderHead();
    this.tbody.addEventListener('click', (ev) => {
      const tr = (ev.target as Element | null)?.closest('tr');
      const key = tr?.dataset.key;
      if (key === undefined || this.opts.onRowClick === undefined) return;
      if ((ev.target as Element).closest('button, a, input, select') !== null) return;
      const row = this.byKey.get(key);
      if (row !== undefined) this.opts.onRowClick(row, key);
    });
    this.tbody.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      const tr = (ev.target as Element | null)?.closest('tr');
      const key = tr?.dataset.key;
      const row = key === undefined ? undefined : this.byKey.get(key);
      if (row !== undefined && key !== undefined && this.opts.onRowClick !== undefined) {
        ev.preventDefault();
        this.opts.onRowClick(row, key);
      }
    });
  }

  /** Replaces the columns (e.g. when entities bring new fields); rows are rebuilt. */
  setColumns(columns: Column<T>[]): void {
    const same = columns.length === this.columns.length && columns.every((c, i) => c.key === this.columns[i]?.key);
    this.columns = columns;
    if (same) return;
    for (const r of this.rows.values()) r.tr.remove();
    this.rows.clear();
    this.order = [];
    this.renderHead();
  }

  get columnKeys(): string[] {
    return this.columns.map((c) => c.key);
  }

  update(rows: Iterable<T>): void {
    const all = [...rows];
    this.last = all;
    const sortValue = this.columns.find((c) => c.key === this.sort.key)?.value ?? this.opts.sortKeys?.[this.sort.key];
    const key = this.opts.key;
    let list = all.filter(this.filter);
    this.matched = list.length;
    if (sortValue !== undefined) {
      const dir = this.sort.dir;
      list = list
        .map((r) => ({ r, v: sortValue(r), k: key(r) }))
        .sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
        .map((x) => x.r);
    }
    const limit = this.opts.limit ?? Number.POSITIVE_INFINITY;
    if (list.length > limit) list = list.slice(0, limit);
    this.shown = list.length;

    this.byKey.clear();
    const keys = list.map((r) => {
      const k = key(r);
      this.byKey.set(k, r);
      return k;
    });
    const keep = new Set(keys);
    for (const [k, r] of this.rows) {
      if (!keep.has(k)) {
        r.tr.remove();
        this.rows.delete(k);
      }
    }
    list.forEach((row, i) => this.writeRow(keys[i]!, row));

    const sameOrder = keys.length === this.order.length && keys.every((k, i) => k === this.order[i]);
    if (!sameOrder) {
      for (const k of keys) this.tbody.append(this.rows.get(k)!.tr);
      this.order = keys;
    }
    this.renderEmpty(list.length === 0);
  }

  /** Re-renders the last rows (after a filter or sort change). */
  refresh(): void {
    this.update(this.last);
  }

  private writeRow(k: string, row: T): void {
    let r = this.rows.get(k);
    const fresh = r === undefined;
    if (r === undefined) {
      const tr = h('tr', { 'data-key': k });
      if (this.opts.onRowClick !== undefined) {
        tr.tabIndex = 0;
        tr.classList.add('clickable');
      }
      const cells = this.columns.map((c) => {
        const td = h('td', { class: [c.className ?? '', c.numeric === true ? 'num' : ''].join(' ').trim() || undefined, 'data-col': c.key, 'data-label': c.label });
        tr.append(td);
        return td;
      });
      r = { tr, cells };
      this.rows.set(k, r);
    }
    const cls = this.opts.rowClass?.(row) ?? '';
    const want = `${this.opts.onRowClick !== undefined ? 'clickable ' : ''}${cls}${this.selected === k ? ' selected' : ''}`.trim();
    if (r.tr.className !== want) r.tr.className = want;
    this.columns.forEach((c, i) => {
      const td = r.cells[i]!;
      if (c.render !== undefined) {
        c.render(row, td);
        return;
      }
      const text = c.text !== undefined ? c.text(row) : String(c.value(row));
      if (td.textContent !== text) {
        td.textContent = text;
        if (c.flash === true && !fresh) flash(td);
      }
    });
  }

  private renderEmpty(empty: boolean): void {
    if (!empty) {
      this.emptyRow?.remove();
      this.emptyRow = null;
      return;
    }
    const text = this.opts.empty();
    if (this.emptyRow === null) {
      const td = h('td', { class: 'empty', colspan: this.columns.length });
      this.emptyRow = h('tr', { class: 'empty-row' }, td);
    }
    const td = this.emptyRow.firstElementChild as HTMLTableCellElement;
    td.colSpan = this.columns.length;
    if (td.textContent !== text) td.textContent = text;
    if (this.emptyRow.parentNode !== this.tbody) this.tbody.append(this.emptyRow);
  }

  private renderHead(): void {
    const tr = h('tr');
    for (const c of this.columns) {
      const th = h('th', { scope: 'col', class: c.numeric === true ? 'num' : undefined, title: c.title, 'data-col': c.key });
      if (c.sortable === false) th.textContent = c.label;
      else {
        const active = this.sort.key === c.key;
        th.setAttribute('aria-sort', active ? (this.sort.dir === 1 ? 'ascending' : 'descending') : 'none');
        const btn = h('button', { type: 'button', class: 'sort' }, c.label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (this.sort.dir === 1 ? '▲' : '▼') : ''));
        btn.addEventListener('click', () => {
          this.sort = this.sort.key === c.key ? { key: c.key, dir: this.sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: c.numeric === true ? -1 : 1 };
          this.renderHead();
          this.refresh();
        });
        th.append(btn);
      }
      tr.append(th);
    }
    this.thead.replaceChildren(tr);
  }
}
