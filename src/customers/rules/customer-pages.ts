// Keyset pages of the customers list. Pages run by customer number; a search that is a customer
// number shows that customer first on the first page and leaves it out of the pages after it.

/**
 * The `after` that asks for the page following one that listed `numbers`: the last number in
 * number order, the typed customer's pinned row aside. A page that held only that row continues
 * from where it started (`from`).
 */
export function nextAfterOf(numbers: readonly number[], typed: number | null, from: number): number {
  const byNumber = numbers.filter((number) => number !== typed);
  return byNumber.at(-1) ?? from;
}
