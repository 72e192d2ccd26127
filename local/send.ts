import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_LOCAL_PORT, WEBHOOK_PATH } from '../src/defaults';
import { signDelivery } from '../src/webhook/sign';
import { parseCommandLine, usageError } from './command-line';
import { sampleCompanyEvent, sampleEvent } from './sample-events';

const USAGE = `Usage: npm run send -- <eventType> [options]
       npm run send -- --again

Signs a realistic Codat event with the local secret, posts it to the local receiver and prints
the answer.

  <eventType>              connection.created|connected|disconnected|reconnected|failed|deleted,
                           company.deleted (tombstones every connection of --company),
                           or any other type (answered "ignored")
  --company <id>           company id (default: the sample company)
  --connection <id>        connection id (default: the sample connection)
  --status <status>        connection status (default: the one the event type usually carries)
  --generated <date-time>  the event's generatedDate (default: now); an older one answers "stale"
  --tamper                 change the body after signing (answers 401)
  --again                  send the last request again, byte for byte (answers "duplicate";
                           after 5 minutes its timestamp is a replay, and it answers 401)
  --url <url>              receiver (default: http://127.0.0.1:\${PORT:-${DEFAULT_LOCAL_PORT}}${WEBHOOK_PATH})
  -h, --help               print this help

The secret is CODAT_WEBHOOK_SECRET, or the one npm start keeps in \${DATA_DIR:-.data}/webhook-secret.`;

interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const fail = (message: string): never => usageError(USAGE, message);

function readSecret(dataDir: string): string {
  if (process.env.CODAT_WEBHOOK_SECRET) return process.env.CODAT_WEBHOOK_SECRET;
  try {
    return (
      readFileSync(join(dataDir, 'webhook-secret'), 'utf8')
        .trim()
        .split(/[\s,]+/)[0] ?? ''
    );
  } catch {
    return fail(
      `No signing secret: set CODAT_WEBHOOK_SECRET, or run npm start once so that it keeps one in ${dataDir}.`,
    );
  }
}

function newDelivery(
  eventType: string,
  values: Record<string, string | boolean | undefined>,
  dataDir: string,
): Delivery {
  const common = {
    eventType,
    companyId: values.company as string | undefined,
    generatedDate: values.generated as string | undefined,
  };
  // Company events carry the company itself as their payload; connection events a connection.
  const event = eventType.startsWith('company.')
    ? sampleCompanyEvent(common)
    : sampleEvent({
        ...common,
        connectionId: values.connection as string | undefined,
        status: values.status as string | undefined,
      });
  const body = JSON.stringify(event);
  const headers = { ...signDelivery(readSecret(dataDir), body, { id: `msg_${event.id}` }) };
  const port = process.env.PORT ?? String(DEFAULT_LOCAL_PORT);
  const url = (values.url as string | undefined) ?? `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  return { url, headers, body: values.tamper ? body.replace('"Toft stores"', '"Toft st0res"') : body };
}

async function main(): Promise<void> {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      company: { type: 'string' },
      connection: { type: 'string' },
      status: { type: 'string' },
      generated: { type: 'string' },
      tamper: { type: 'boolean' },
      again: { type: 'boolean' },
      url: { type: 'string' },
    },
    { allowPositionals: true },
  );
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const lastFile = join(dataDir, 'last-delivery.json');
  let delivery: Delivery;
  if (values.again) {
    try {
      delivery = JSON.parse(readFileSync(lastFile, 'utf8'));
    } catch {
      return fail('Nothing to send again: no earlier delivery is recorded.');
    }
  } else {
    const [eventType] = positionals;
    if (!eventType) return fail('Name the event type to send.');
    delivery = newDelivery(eventType, values, dataDir);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(lastFile, JSON.stringify(delivery, null, 2));
  }
  const event = JSON.parse(delivery.body);
  process.stdout.write(
    `POST ${delivery.url}  ${event.eventType} ${event.id} generated ${event.generatedDate}\n`,
  );
  let response: Response;
  try {
    response = await fetch(delivery.url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  } catch (error) {
    return fail(
      `Could not reach ${delivery.url} (${(error as Error).cause ?? (error as Error).message}): is npm start running?`,
    );
  }
  process.stdout.write(`${response.status} ${await response.text()}\n`);
  if (response.status >= 500) process.exitCode = 1;
}

main();
