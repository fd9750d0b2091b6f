// A daily-sync page carries thousands of ids: reads and inserts go in chunks so that no statement
// carries more parameters than the driver accepts or the planner handles well.
export const SYNC_CHUNK = 1000;

/** Runs `query` on each chunk of `items` in turn and concatenates the rows. */
export async function inChunks<T, R>(items: T[], query: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += SYNC_CHUNK) {
    results.push(...(await query(items.slice(start, start + SYNC_CHUNK))));
  }
  return results;
}

export async function insertChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += SYNC_CHUNK) await insert(rows.slice(start, start + SYNC_CHUNK));
}
