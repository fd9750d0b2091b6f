// Pure: the counts one apply of external customer records reports, and their sum over a daily run.

export interface ApplyFigures {
  received: number;
  created: number;
  linked: number;
  updated: number;
  unchanged: number;
  stale: number;
  review: number;
  rejected: number;
  invalid: number;
}

export function emptyFigures(): ApplyFigures {
  return { received: 0, created: 0, linked: 0, updated: 0, unchanged: 0, stale: 0, review: 0, rejected: 0, invalid: 0 };
}

export function addFigures(total: ApplyFigures, more: ApplyFigures): void {
  for (const key of Object.keys(emptyFigures()) as (keyof ApplyFigures)[]) total[key] += more[key];
}
