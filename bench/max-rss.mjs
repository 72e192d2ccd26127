// Preloaded (NODE_OPTIONS=--import) into a process the bench measures: reports its peak
// resident memory on exit, in KiB, on a line of its own on stderr.
process.on('exit', () => {
  process.stderr.write(`\nbench-max-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
