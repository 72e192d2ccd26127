/**
 * Every AWS SDK client the functions and the tools build, each with its retry and time limits
 * named here, so that a policy is chosen in one place and read in one place. Build a client once
 * per cold start, at module scope, and hand it to what needs it.
 */
import { CloudFormationClient, type CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * How many DynamoDB requests one client has on the wire at once. The SDK starts a request's
 * `connectionTimeout` and `requestTimeout` when the request is made, not when it gets a socket:
 * a request queued behind busy sockets spends its time limits waiting, and fails with no reply
 * late. Requests past this many wait before the SDK sees them, so its limits time the request.
 */
export const DYNAMODB_REQUESTS_IN_FLIGHT = 50;

/**
 * Time limits for every AWS call on the delivery path. `throwOnRequestTimeout` matters: without
 * it, the SDK only warns when `requestTimeout` passes and goes on waiting for the reply. The
 * sockets (the SDK's default is 50) are a few more than DynamoDB's requests in flight, so that
 * a client sharing the handler (the receiver's Secrets Manager client) never queues either.
 */
const DELIVERY_PATH_HANDLER = {
  connectionTimeout: 1_000,
  requestTimeout: 2_000,
  throwOnRequestTimeout: true,
  httpAgent: { maxSockets: DYNAMODB_REQUESTS_IN_FLIGHT + 8 },
  httpsAgent: { maxSockets: DYNAMODB_REQUESTS_IN_FLIGHT + 8 },
};

/** The retry and time limits of each client, by what it is for. */
export const CLIENT_POLICIES = {
  /**
   * The Connection table and the walk journal, for every function: at most 3 attempts of at most
   * 2 s each, so a failing database answers the provider 503 in about 6 s, well inside its
   * 15-second window.
   *
   * `cacheMiddleware`: the middleware stack is resolved once per command, not on every call, as
   * the SDK does by default. A bare UpdateItem on DynamoDB Local took 69 to 94 µs less a call
   * (a one-off script, 3,000 rounds each way, alternating). The SDK's condition for it: no
   * middleware added after a client's first call of a command; this module adds its own when
   * it creates the client, and a call given options (an abort signal) resolves the stack anew.
   */
  dynamoDb: { maxAttempts: 3, requestHandler: DELIVERY_PATH_HANDLER, cacheMiddleware: true },
  /**
   * The receiver's signing secret: one retry only. A failed read at cold start is read again by
   * the next delivery, and a delivery that cannot read it answers 503 for the provider to retry.
   */
  signingSecret: { maxAttempts: 2 },
  /** The reconciler's API key, read once per invocation: the delivery path's limits. */
  apiKeySecret: { maxAttempts: 3, requestHandler: DELIVERY_PATH_HANDLER },
  /** The publisher's PutEvents: a call that hangs is cut off and retried rather than hold the shard. */
  eventBridge: {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  },
  /** A readiness probe that loops on its own: one attempt each time, the SDK's own time limits. */
  readinessProbe: { maxAttempts: 1 },
} as const;

/**
 * The options of one request of the sweep's Scan, in place of its client's (`client.send(command,
 * SCAN_PAGE_REQUEST)`): each attempt of a page may take 10 s. The delivery path's 2 s are made
 * for one small item inside the provider's 15 s window; a Scan page reads up to
 * `SCAN_PAGE_ITEMS` items, and the sweep has no one waiting on it (its step has 15 minutes). A
 * page that took longer than 2 s would take as long again when retried, and after 3 attempts
 * fail the whole walk, which then deletes nothing. Retries and the in-flight limit stay the
 * client's.
 */
export const SCAN_PAGE_REQUEST = { requestTimeout: 10_000 } as const;

/**
 * A gate of `limit` places around each attempt of each request (inside the SDK's retries, so a
 * retry's back-off holds no place; outside its deserializer, so a place is held until the reply
 * is read off the socket).
 */
function inFlightLimit(limit: number) {
  let free = limit;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return <Output>(next: (args: unknown) => Promise<Output>) =>
    async (args: unknown): Promise<Output> => {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await next(args);
      } finally {
        release();
      }
    };
}

/**
 * A DynamoDB client with the `dynamoDb` policy, whose time limits measure each request, never
 * the wait for a socket. `config` points it elsewhere (the local run's endpoint and credentials).
 */
export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  const client = new DynamoDBClient({ ...CLIENT_POLICIES.dynamoDb, ...config });
  client.middlewareStack.add(inFlightLimit(DYNAMODB_REQUESTS_IN_FLIGHT) as never, {
    step: 'deserialize',
    priority: 'high',
    name: 'requestsInFlightLimit',
  });
  return client;
}

/**
 * The receiver's Secrets Manager client. Credentials, region and HTTP handler are those of its
 * DynamoDB client, resolved once for both: a second client's first call otherwise pays for a
 * credential chain, a region chain and an HTTP handler of its own.
 */
export function createSigningSecretClient(sharing: DynamoDBClient): SecretsManagerClient {
  return new SecretsManagerClient({
    ...CLIENT_POLICIES.signingSecret,
    credentials: sharing.config.credentials,
    region: sharing.config.region,
    requestHandler: sharing.config.requestHandler,
  });
}

/** The reconciler's Secrets Manager client, for its API key. */
export function createApiKeySecretClient(): SecretsManagerClient {
  return new SecretsManagerClient(CLIENT_POLICIES.apiKeySecret);
}

/** The publisher's EventBridge client. */
export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient(CLIENT_POLICIES.eventBridge);
}

/** A DynamoDB client that asks once whether a database has started answering. */
export function createReadinessProbeClient(config: DynamoDBClientConfig): DynamoDBClient {
  return new DynamoDBClient({ ...config, ...CLIENT_POLICIES.readinessProbe });
}

/**
 * The clients of `npm run verify-deploy`, an operator's tool run from a laptop: the SDK's own
 * retries and time limits, and the caller's credentials, resolved once for all three. Plain SDK
 * clients, so each honours `AWS_ENDPOINT_URL_<SERVICE>`.
 */
export function createOperatorClients(credentials: CloudFormationClientConfig['credentials']) {
  return {
    cloudFormation: new CloudFormationClient({ credentials }),
    cloudWatch: new CloudWatchClient({ credentials }),
    secretsManager: new SecretsManagerClient({ credentials }),
  };
}
