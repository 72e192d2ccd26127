/**
 * `npm run load`: a bounded load on a local server of its own, checked against the oracle.
 */
import { parseCommandLine, usageError } from '../local/command-line';
import { runLoad } from './load';

const USAGE = `Usage: npm run load [-- options]

Sends signed, shuffled deliveries (with repeats) to a local receiver on 127.0.0.1, then checks
the table against an oracle written apart from the receiver. Exits 1 on any 5xx answer or any
connection whose item differs from the oracle.

  --deliveries <n>    deliveries to send (default 20000)
  --duplicates <r>    share of deliveries that repeat an earlier event, 0 to below 1 (default 0.2)
  --concurrency <n>   requests in flight at once (default 64)
  --seed <n>          seeds the history and the shuffle, so that a run can be repeated (default 1)
  --engine <name>     dynalite (embedded, the default) or dynamodb-local (AWS's DynamoDB Local,
                      started here on Java)
  --endpoint <url>    an already running DynamoDB instead (also DYNAMODB_ENDPOINT); a table of
                      its own is created there
  -h, --help          print this help`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(USAGE, {
    deliveries: { type: 'string', default: '20000' },
    duplicates: { type: 'string', default: '0.2' },
    concurrency: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'dynalite' },
    endpoint: { type: 'string' },
  });
  const endpoint = values.endpoint ?? process.env.DYNAMODB_ENDPOINT;
  if (values.engine !== 'dynalite' && values.engine !== 'dynamodb-local') {
    usageError(USAGE, `--engine must be dynalite or dynamodb-local, not ${values.engine}`);
  }
  const options = {
    deliveries: Number(values.deliveries),
    duplicateRatio: Number(values.duplicates),
    concurrency: Number(values.concurrency),
    seed: Number(values.seed),
    database: endpoint ? { endpoint } : (values.engine as 'dynalite' | 'dynamodb-local'),
  };
  if (
    !(
      options.deliveries >= 1 &&
      options.duplicateRatio >= 0 &&
      options.duplicateRatio < 1 &&
      options.concurrency >= 1
    )
  ) {
    usageError(
      USAGE,
      '--deliveries and --concurrency must be at least 1, --duplicates a share from 0 to below 1',
    );
  }
  process.stderr.write(
    `load: ${options.deliveries} signed deliveries, ${options.duplicateRatio * 100}% repeats, shuffled, concurrency ${options.concurrency}, to a local server on 127.0.0.1 over ${endpoint ?? values.engine}\n`,
  );
  const report = await runLoad(options);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\n${report.deliveries} deliveries in ${report.seconds} s: ${report.deliveriesPerSecond}/s, p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms; ` +
      `5xx: ${report.serverErrors}; lost: ${report.lost}; table equals oracle: ${report.tableMatchesOracle ? 'yes' : 'NO'}; ` +
      `database: ${report.database}; server peak RSS ${report.serverPeakRssMiB} MiB\n`,
  );
  if (report.serverErrors > 0 || !report.tableMatchesOracle) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
