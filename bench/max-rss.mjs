// Preloaded (--import) into a process the bench measures: reports on exit, on lines of their own
// on stderr, in KiB, its peak resident memory (Linux's VmHWM, which starts afresh at exec, unlike
// getrusage's maxrss, which keeps the larger RSS of the parent it was forked from); the peaks of
// V8's heap (total and used) and of the memory outside it (external, array buffers), sampled
// while it runs, to tell which of them makes the peak; and, where gc is exposed, the heap it still
// holds after a full collection (what it keeps, as opposed to garbage not yet collected).
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

const peaks = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key]);
};
setInterval(sample, 50).unref();

process.on('exit', () => {
  sample();
  const kib = (bytes) => Math.round(bytes / 1024);
  process.stderr.write(`\nbench-max-rss-kib=${peakRssKiB()}\n`);
  process.stderr.write(
    `bench-peak-heap-total-kib=${kib(peaks.heapTotal)} bench-peak-heap-used-kib=${kib(peaks.heapUsed)} ` +
      `bench-peak-external-kib=${kib(peaks.external)} bench-peak-array-buffers-kib=${kib(peaks.arrayBuffers)}\n`,
  );
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    process.stderr.write(`bench-live-heap-kib=${kib(process.memoryUsage().heapUsed)}\n`);
  }
});
