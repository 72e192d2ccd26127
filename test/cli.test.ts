import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** Runs a tool's entry as its npm script does: tsx, with the project's bin first on PATH. */
function run(entry: string, ...args: string[]) {
  const result = spawnSync(join(BIN, 'tsx'), [entry, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const CLIS = [
  { script: 'start', entry: 'local/start.ts', names: ['--help', 'PORT', 'DATA_DIR'] },
  { script: 'send', entry: 'local/send.ts', names: ['--help', '--company', '--tamper', '--again', '--url'] },
  {
    script: 'load',
    entry: 'load/cli.ts',
    names: ['--help', '--deliveries', '--duplicates', '--concurrency', '--seed'],
  },
  { script: 'bench', entry: 'bench/run.ts', names: ['--help', 'bench/results/bench.json'] },
  {
    script: 'verify-deploy',
    entry: 'local/verify-deploy.ts',
    names: ['--help', '-c, --context', 'stage=dev', '--stack', 'AWS_PROFILE', 'CODAT_API_URL'],
  },
];

describe('the command-line tools', () => {
  it.each(CLIS)(
    'npm run $script -- --help prints a usage that names its options and exits 0',
    ({ entry, names }) => {
      const { status, stdout } = run(entry, '--help');

      expect(status).toBe(0);
      expect(stdout).toMatch(/^Usage: /);
      for (const name of names) expect(stdout).toContain(name);
    },
  );

  it('takes -h for --help (every tool parses its command line with the one shared parser)', () => {
    expect(run('load/cli.ts', '-h').stdout).toBe(run('load/cli.ts', '--help').stdout);
  });

  it.each(CLIS)(
    'npm run $script answers an unknown option with its name and the usage, and exits 2',
    ({ entry }) => {
      const { status, stdout, stderr } = run(entry, '--no-such-option');

      expect(status).toBe(2);
      expect(stderr).toContain("Unknown option '--no-such-option'");
      expect(stderr).toContain('Usage: ');
      expect(stdout).toBe('');
    },
  );
});
