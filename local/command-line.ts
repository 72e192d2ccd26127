import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** `-h` and `--help`, which every tool of the project answers. */
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Prints `message` and the usage to stderr and exits 2, as Unix tools do for a call whose
 * words are off: a typo must not start a long run, nor be taken for a failure of the run.
 */
export function usageError(usage: string, message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

/**
 * Parses a tool's command line the one way every CLI of the project does: `-h`/`--help` prints
 * `usage` to stdout and exits 0; an unknown or malformed option is a {@link usageError}.
 */
export function parseCommandLine<const T extends ParseArgsOptionsConfig>(
  usage: string,
  options: T,
  config: { allowPositionals?: boolean; args?: string[] } = {},
) {
  const parse = () =>
    parseArgs({
      options: { ...options, ...HELP },
      allowPositionals: config.allowPositionals ?? false,
      strict: true,
      ...(config.args ? { args: config.args } : {}),
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    return usageError(usage, error instanceof Error ? error.message : String(error));
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}
