/**
 * AbortSignal.timeout(ms), but with its timer cleared once the work is done. The timers of
 * AbortSignal.timeout stay armed after the answer: five a login (four ESIA calls, the /te
 * signature) later fired and dispatched their abort for nothing, which the login profile showed.
 * Same reason as AbortSignal.timeout: a DOMException named TimeoutError.
 */
export function deadlineSignal(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), Math.max(ms, 0));
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
