// The autopay pass's rate over each tenth of the book, from its onProgress callback: a flat series
// means the pass scales linearly with the book.
export function tenthsRecorder(invoices: number): {
  onProgress: (progress: { examined: number }) => void;
  slices: number[];
} {
  const slices: number[] = [];
  let sliceStart = performance.now();
  let sliceExamined = 0;
  return {
    slices,
    onProgress: ({ examined }) => {
      if (examined - sliceExamined < invoices / 10 && examined < invoices) return;
      const now = performance.now();
      slices.push(Math.round((examined - sliceExamined) / ((now - sliceStart) / 1000)));
      sliceStart = now;
      sliceExamined = examined;
    },
  };
}
