// A table's scrolling box. On a narrow screen a wide table scrolls sideways inside its card; the
// box then says so (a hint and edge shadows) and can be scrolled from the keyboard. The actions
// column stays pinned to the right edge (table-overflow.css), so a button is never scrolled out of sight.
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

export function TableWrap({ label, children }: { label?: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const hintId = useId();
  const [overflowing, setOverflowing] = useState(false);

  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const measure = () => setOverflowing(box.scrollWidth > box.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    const table = box.firstElementChild;
    if (table) observer.observe(table);
    return () => observer.disconnect();
  }, []);

  return (
    <>
      {overflowing && (
        <p className="table-scroll-hint" id={hintId}>
          Scroll sideways to see every column →
        </p>
      )}
      <div
        ref={ref}
        className="table-wrap"
        data-overflowing={overflowing ? 'true' : undefined}
        {...(overflowing
          ? { tabIndex: 0, role: 'region', 'aria-label': label ?? 'Table', 'aria-describedby': hintId }
          : {})}
      >
        {children}
      </div>
    </>
  );
}
