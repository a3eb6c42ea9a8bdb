/**
 * `npm start` puts npm between the operator and the broker, and npm forwards only SIGINT and
 * SIGTERM: a SIGHUP (or a SIGKILL) sent to npm ends npm and would leave the broker running,
 * orphaned, with nobody to stop it. Started by npm, the broker therefore watches its parent and
 * stops itself, gracefully, once that parent is gone. Started directly (the image, systemd,
 * `node dist/src/main.js`) nothing is watched: a parent going away there says nothing.
 */
export interface ParentWatch {
  stop(): void;
}

export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env['npm_lifecycle_event']);
}

/** Calls `onGone` once when the process's parent changes (it died and we were re-parented). */
export function watchParent(onGone: (formerParent: number) => void, intervalMs = 500): ParentWatch {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
