import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * What the heap keeps: the old generation in use just after the last major (mark-compact)
 * collection, i.e. what survived it. The heap in use sampled at a scrape also holds garbage not
 * collected yet, a sawtooth whose height V8 chooses (Node 24 lets it grow to several times the
 * live size on a machine with memory to spare); this line moves only with what is kept, so a
 * leak shows as a rise. One observer for the process, however many apps it runs (tests).
 */
let liveBytes: number | undefined;
let observer: PerformanceObserver | undefined;

/** Bytes kept after the last major collection; undefined until the first one. */
export function liveHeapBytes(): number | undefined {
  if (!observer) {
    observer = new PerformanceObserver((list) => {
      // Delivered a moment after the collection: a scavenge in between could only add what it
      // promoted, so this reads high by that at most.
      if (list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) liveBytes = oldGenerationInUse();
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return liveBytes;
}

function oldGenerationInUse(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  return bytes;
}
