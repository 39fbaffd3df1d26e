// In-process wake-ups: an enqueue in this process starts the worker at once
// instead of waiting for the next poll. Other processes find the work by polling.
type Listener = () => void;
const listeners = new Set<Listener>();

export function onWake(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call after the transaction that enqueued has committed. */
export function wakeWorker() {
  for (const l of listeners) l();
}
