// Bounded concurrency for a list of work items (the autopay pass fires a page's invoices with it).

/**
 * Runs `work` over `items`, at most `limit` at a time; after a failure no new item starts. Each
 * item yields to the event loop first: PGlite answers without one, and a long pass would otherwise
 * keep the server (and pg-boss) from answering anything until it ends.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  if (failure) throw failure.error;
}
