import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

/**
 * What the heap keeps: the old generation in use just after a major (mark-compact) collection,
 * i.e. what survived it. The heap in use sampled at a scrape also holds garbage not collected
 * yet, a sawtooth whose height V8 chooses; this line moves only with what is kept, so a leak
 * shows as a rise. Each reading is high by what was promoted while marking ran (kept as live
 * this once) and by what a scavenge promoted before the observer was told: up to ~15 MB at
 * 4,000 answers a second, so readings swung 59-74 MB over a steady load. The least of the last
 * three readings leaves most of that out; a leak raises all three. One observer for the process,
 * however many apps it runs (tests).
 */
const READINGS = 3;
const readings: number[] = [];
let observer: PerformanceObserver | undefined;

/** The least of the bytes kept after each of the last three major collections; undefined until the first. */
export function liveHeapBytes(): number | undefined {
  if (!observer) {
    observer = new PerformanceObserver((list) => {
      if (!list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
      readings.push(oldGenerationInUse());
      if (readings.length > READINGS) readings.shift();
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return readings.length > 0 ? Math.min(...readings) : undefined;
}

function oldGenerationInUse(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  return bytes;
}
