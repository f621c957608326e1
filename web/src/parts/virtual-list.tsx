// A list that renders only the rows in view (plus a margin), so a session of thousands of exchanges scrolls as
// fast as one of ten. Rows have one fixed height; the list scrolls inside its own box.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  /** Height of the scrolling box, CSS. */
  height: string;
  row: (item: T, index: number) => ComponentChildren;
  /** Called when the last rows come into view: load the next page. */
  onEnd?: () => void;
  class?: string;
  header?: ComponentChildren;
}

/** Rows drawn above and below the visible ones, so a quick scroll does not show blanks. */
const OVERSCAN = 10;

export function VirtualList<T>({ items, rowHeight, height, row, onEnd, class: cls, header }: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [view, setView] = useState(800);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    setView(el.clientHeight || 800);
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => setView(el.clientHeight || 800));
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + view) / rowHeight) + OVERSCAN);
  useEffect(() => {
    if (onEnd && last >= items.length - OVERSCAN && items.length > 0) onEnd();
  }, [last, items.length, onEnd]);
  const shown: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    shown.push(
      <div class="vrow" key={i} style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {row(items[i]!, i)}
      </div>,
    );
  }
  return (
    <div class={`vlist ${cls ?? ''}`} ref={box} style={{ height }} onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}>
      {header}
      <div class="vspace" style={{ height: `${items.length * rowHeight}px` }}>
        {shown}
      </div>
    </div>
  );
}
