import { createServer, request as forward, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeployedFunction } from '../../bench/deployed-bundle';

/** The account the recorded ARNs name, and the IAM evaluator resolves the template in (test/support/iam.ts). */
export const ACCOUNT = '123456789012';

/** One AWS call as IAM sees it: who made it, the action, and the resource's ARN as AWS forms it. */
export interface AwsCall {
  /** The calling function's logical id in the template: its role is the one IAM evaluates. */
  caller: string;
  /** What the caller was doing: the test's scenario, named in a denial. */
  scenario: string;
  /** `dynamodb:GetItem`, `secretsmanager:GetSecretValue`, `events:PutEvents`, … */
  action: string;
  /** `arn:aws:dynamodb:us-east-1:123456789012:table/T`, `…:table/T/index/I`, the secret's ARN, `…:event-bus/B` */
  resource: string;
  /** The status the target answered with (IAM decides before the service runs the call). */
  status: number;
  /**
   * The physical names this caller was given for the template's resources, by logical id (the
   * test's table name for the Connection table's `Ref`): what the evaluator resolves its
   * policies with, so that the test's own names stand for the stack's resources.
   */
  names: Readonly<Record<string, string>>;
}

/** Where each service's calls go once recorded: a local database, a stand-in, a fake. */
export interface AwsTargets {
  dynamoDb?: string;
  secretsManager?: string;
  eventBridge?: string;
}

/** What `invokeDeployedFunction` takes as `endpoints`: every service at the recording proxy. */
export interface RecordingEndpoints {
  dynamoDb: string;
  secretsManager: string;
  eventBridge: string;
}

export interface CallerOptions {
  /** The function that calls (its logical id is the caller), or a caller's logical id. */
  caller: DeployedFunction | string;
  scenario: string;
  /** The values given to `invokeDeployedFunction`'s `resolve`: a variable set by `Ref` names that resource. */
  resolve?: Record<string, string>;
  /** Other targets for this caller's calls (a stand-in holding another secret), service by service. */
  targets?: AwsTargets;
}

export interface AwsCallRecorder {
  /** Every call so far, in the order received. */
  readonly calls: AwsCall[];
  /**
   * Endpoints for one caller in one scenario: a port of its own, so that each call is known to
   * be its. Pass them as `invokeDeployedFunction`'s `endpoints`, with the same `resolve`.
   */
  endpointsFor(options: CallerOptions): Promise<RecordingEndpoints>;
  close(): Promise<void>;
}

/** The services by `X-Amz-Target` prefix: IAM's prefix, and which target serves them. */
const SERVICES = [
  { targetPrefix: 'DynamoDB_20120810.', iamPrefix: 'dynamodb', target: 'dynamoDb' },
  { targetPrefix: 'secretsmanager.', iamPrefix: 'secretsmanager', target: 'secretsManager' },
  { targetPrefix: 'AWSEvents.', iamPrefix: 'events', target: 'eventBridge' },
] as const;

/**
 * A recording proxy on 127.0.0.1 in front of `targets`: every request is forwarded as it came
 * and answered as the target answered, and recorded as the IAM request(s) AWS would evaluate
 * for it. A call to a service without a target is recorded and refused, so that nothing goes
 * unseen. Shared by the suites that run bundles:
 *
 * ```ts
 * const recorder = await recordAwsCalls({ dynamoDb: table.endpoint, secretsManager: secrets.endpoint });
 * const resolve = { TABLE_NAME: table.tableName };
 * const endpoints = await recorder.endpointsFor({ caller: fn, scenario: 'WalkPages over 3 pages', resolve });
 * await invokeDeployedFunction({ fn, resolve, endpoints, events });
 * await expectAllowed(stack.template(), recorder.calls); // test/support/iam.ts
 * ```
 *
 * Each `endpointsFor` opens a port of its own: ask once per caller and scenario, and reuse them
 * for every invocation of it.
 */
export async function recordAwsCalls(targets: AwsTargets): Promise<AwsCallRecorder> {
  const calls: AwsCall[] = [];
  const servers: ReturnType<typeof createServer>[] = [];

  const listen = async (caller: string, scenario: string, names: Record<string, string>, own: AwsTargets) => {
    const server = createServer(async (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const target = String(incoming.headers['x-amz-target'] ?? '');
      const service = SERVICES.find((each) => target.startsWith(each.targetPrefix));
      const operation = service ? target.slice(service.targetPrefix.length) : target;
      const action = `${service?.iamPrefix ?? 'unknown'}:${operation || `${incoming.method} ${incoming.url}`}`;
      const region = regionOf(incoming.headers);
      const resources = service ? resourcesOf(service.iamPrefix, operation, parse(body), region) : ['*'];
      const destination = service ? (own[service.target] ?? targets[service.target]) : undefined;
      const record = (status: number) => {
        for (const resource of resources) calls.push({ caller, scenario, action, resource, status, names });
      };
      if (!destination) {
        record(400);
        outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        outgoing.end(
          JSON.stringify({ __type: 'UnknownOperationException', message: `no target for ${action}` }),
        );
        return;
      }
      const { hostname, port } = new URL(destination);
      const proxied = forward(
        { host: hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          record(answer.statusCode ?? 502);
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      proxied.on('error', (error) => {
        record(502);
        outgoing.destroy(error);
      });
      proxied.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  return {
    calls,
    async endpointsFor({ caller, scenario, resolve = {}, targets: own = {} }) {
      const endpoint =
        typeof caller === 'string'
          ? await listen(caller, scenario, {}, own)
          : await listen(caller.logicalId, scenario, namesOf(caller, resolve), own);
      return { dynamoDb: endpoint, secretsManager: endpoint, eventBridge: endpoint };
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/**
 * The resources `resolve` names: a variable the template sets to `{ Ref: id }` and the test
 * gives a value is resource `id`'s physical name (or, for a secret, its ARN).
 */
function namesOf(fn: DeployedFunction, resolve: Record<string, string>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [variable, value] of Object.entries(fn.environment)) {
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    const given = resolve[variable];
    if (typeof ref === 'string' && given !== undefined) names[ref] = given;
  }
  return names;
}

/** The region of the SigV4 credential scope: `Credential=AKID/20260101/us-east-1/dynamodb/aws4_request`. */
function regionOf(headers: IncomingHttpHeaders): string {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  return match?.[1] ?? 'us-east-1';
}

function parse(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * The ARNs IAM evaluates a call against, from its body, as each service's authorization
 * reference defines them: a batch or transaction is one request per table it touches, a
 * PutEvents one per bus its entries name.
 */
function resourcesOf(
  service: string,
  operation: string,
  body: Record<string, unknown>,
  region: string,
): string[] {
  const arn = (rest: string) => `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;
  if (service === 'dynamodb') {
    const table = (name: string) => (name.startsWith('arn:') ? name : arn(`table/${name}`));
    if (typeof body.TableName === 'string') {
      const base = table(body.TableName);
      return [typeof body.IndexName === 'string' ? `${base}/index/${body.IndexName}` : base];
    }
    if (body.RequestItems && typeof body.RequestItems === 'object') {
      return Object.keys(body.RequestItems).map(table);
    }
    if (Array.isArray(body.TransactItems)) {
      const names = (body.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) =>
        Object.values(item).map((part) => part.TableName ?? ''),
      );
      return [...new Set(names)].map(table);
    }
    if (typeof body.StreamArn === 'string') return [body.StreamArn];
    return ['*'];
  }
  if (service === 'secretsmanager') {
    const id = String(body.SecretId ?? '*');
    return [id.startsWith('arn:') ? id : arn(`secret:${id}`)];
  }
  if (service === 'events' && operation === 'PutEvents') {
    const buses = ((body.Entries ?? []) as { EventBusName?: string }[]).map(
      (entry) => entry.EventBusName ?? 'default',
    );
    return [...new Set(buses)].map((bus) => (bus.startsWith('arn:') ? bus : arn(`event-bus/${bus}`)));
  }
  return ['*'];
}
