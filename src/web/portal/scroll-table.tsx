// A table that may be wider than a phone: it scrolls inside its card (Chromium and Firefox make a
// scrolling box keyboard-focusable themselves) and says so while it is wider than its box.
import { type ReactNode, useEffect, useRef, useState } from 'react';

export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [overflowing, setOverflowing] = useState(false);

  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const check = () => setOverflowing(box.scrollWidth > box.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
    return () => observer.disconnect();
  }, []);

  return (
    <>
      {overflowing && (
        <p className="scroll-hint" data-testid="scroll-hint">
          Scroll sideways to see the whole table <span aria-hidden="true">→</span>
        </p>
      )}
      <div
        ref={ref}
        className="table-wrap scroll-table"
        data-label={label}
        data-overflowing={overflowing ? 'true' : undefined}
      >
        {children}
      </div>
    </>
  );
}
