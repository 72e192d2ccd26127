// Preloaded (NODE_OPTIONS=--import) into a process the bench measures: reports on exit, on lines
// of their own on stderr, its peak resident memory and, where gc is exposed, the heap it still
// holds after a full collection (what it keeps, as opposed to garbage not yet collected), in KiB.
process.on('exit', () => {
  process.stderr.write(`\nbench-max-rss-kib=${process.resourceUsage().maxRSS}\n`);
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    process.stderr.write(`bench-live-heap-kib=${Math.round(process.memoryUsage().heapUsed / 1024)}\n`);
  }
});
