// Runs async work over a list with at most `limit` in flight, yielding results
// in the order they finish.
export async function* mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const running = new Map<number, Promise<{ key: number; result: R }>>();
  let next = 0;
  const start = (): void => {
    const key = next;
    const item = items[next++] as T;
    running.set(key, work(item).then((result) => ({ key, result })));
  };
  while (next < items.length && running.size < Math.max(1, limit)) start();
  while (running.size > 0) {
    const { key, result } = await Promise.race(running.values());
    running.delete(key);
    if (next < items.length) start();
    yield result;
  }
}
