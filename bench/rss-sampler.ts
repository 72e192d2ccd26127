/**
 * Samples another process's resident memory while it runs (Linux's VmRSS, from /proc), sorted
 * into phases that the caller names as they begin: a peak at exit (VmHWM, getrusage) says how
 * high memory went, not during which part of the work.
 */
import { readFileSync } from 'node:fs';

/** The process's resident memory in KiB, or undefined once it is gone. */
function residentKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples `pid` every `everyMs`; `phase(name)` starts a new phase; `stop()` gives the peak of each, in MiB. */
export function sampleResidentMemory(pid: number, firstPhase: string, everyMs = 20) {
  let phase = firstPhase;
  const peaks: Record<string, number> = {};
  const samples: Record<string, number> = {};
  const sample = () => {
    const kib = residentKiB(pid);
    if (kib === undefined) return;
    peaks[phase] = Math.max(peaks[phase] ?? 0, kib / 1024);
    samples[phase] = (samples[phase] ?? 0) + 1;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    phase: (name: string) => {
      if (name === phase) return;
      sample();
      phase = name;
      sample();
    },
    stop: () => {
      clearInterval(timer);
      return { peaksMiB: peaks, samples };
    },
  };
}
