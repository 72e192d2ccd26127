import { parseArgs } from 'node:util';
import { FakeAccount } from './account';
import { startFakeCodatApi } from './server';

const USAGE = `Usage: npm run fake-codat -- [options]

Serves a fake Codat Platform API on 127.0.0.1 with a generated account, so that the reconciler
can be tried without a Codat account. Prints the URL and the API key, then serves until Ctrl-C.

  --companies <n>                 companies in the account (default 10)
  --connections-per-company <m>   connections of each company (default 2)
  --seed <s>                      the same seed makes the same account (default 1)
  --port <p>                      port (default: a free one)
  --api-key <k>                   the API key clients must send (default: a random one)
  --help                          this text`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a whole number, not ${raw}`);
  return Number(raw);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        companies: { type: 'string' },
        'connections-per-company': { type: 'string' },
        seed: { type: 'string' },
        port: { type: 'string' },
        'api-key': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (problem) {
    fail((problem as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const account = new FakeAccount({
    companies: wholeNumber(values.companies as string | undefined, 10, 'companies'),
    connectionsPerCompany: wholeNumber(
      values['connections-per-company'] as string | undefined,
      2,
      'connections-per-company',
    ),
    seed: wholeNumber(values.seed as string | undefined, 1, 'seed'),
  });
  const api = await startFakeCodatApi({
    account,
    port: wholeNumber(values.port as string | undefined, 0, 'port'),
    apiKey: values['api-key'] as string | undefined,
  });
  process.stdout.write(
    [
      `Fake Codat API on ${api.url}`,
      `  ${account.companies.length} companies, ${account.connectionCount} connections`,
      `  API key:       ${api.apiKey}`,
      `  Authorization: ${api.authorization}`,
      `Try: curl -s -H 'Authorization: ${api.authorization}' '${api.url}/companies?pageSize=2'`,
      '',
    ].join('\n'),
  );
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
