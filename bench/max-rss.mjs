// Preloaded (--import) into a process the bench measures: reports on exit, on lines of their own
// on stderr, its peak resident memory (Linux's VmHWM, which starts afresh at exec, unlike
// getrusage's maxrss, which keeps the larger RSS of the parent it was forked from) and, where gc
// is exposed, the heap it still holds after a full collection (what it keeps, as opposed to
// garbage not yet collected), in KiB.
import { readFileSync } from 'node:fs';

function peakRssKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: the rusage figure, an upper bound.
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  process.stderr.write(`\nbench-max-rss-kib=${peakRssKiB()}\n`);
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    process.stderr.write(`bench-live-heap-kib=${Math.round(process.memoryUsage().heapUsed / 1024)}\n`);
  }
});
