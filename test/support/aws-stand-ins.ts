import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Loopback stand-ins of the AWS calls verify-deploy makes, at the HTTP level, for the real SDK
 * clients pointed at them with `AWS_ENDPOINT_URL_<SERVICE>`: CloudFormation (awsQuery: a form
 * body in, XML out), Secrets Manager (JSON 1.1), CloudWatch (JSON 1.0, which
 * @aws-sdk/client-cloudwatch 3.1164 speaks, `awsQueryCompatible`), and API Gateway's IAM
 * authorization in front of the local server's read routes (a SigV4 check, then a proxy).
 */

export const STAND_IN_CREDENTIALS = {
  accessKeyId: 'AKIAVERIFYDEPLOYTEST',
  secretAccessKey: 'stand-in-secret-access-key/for-verify-deploy-tests',
};

interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(handle: (request: IncomingMessage, body: string, response: ServerResponse) => void) {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies Listening;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** CloudFormation's DescribeStacks over the stacks in `stacks` (name → outputs). */
export async function startCloudFormationStandIn(stacks: Map<string, Record<string, string>>) {
  const calls: string[] = [];
  const server = await listen((_request, body, response) => {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const name = form.get('StackName') ?? '';
    calls.push(`${action} ${name}`);
    response.setHeader('content-type', 'text/xml');
    const outputs = stacks.get(name);
    if (action !== 'DescribeStacks' || !outputs) {
      const message = action === 'DescribeStacks' ? `Stack with id ${name} does not exist` : `${action}?`;
      response
        .writeHead(400)
        .end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
            `<Code>ValidationError</Code><Message>${escapeXml(message)}</Message></Error>` +
            `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
      return;
    }
    const members = Object.entries(outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${escapeXml(key)}</OutputKey><OutputValue>${escapeXml(value)}</OutputValue></member>`,
      )
      .join('');
    response.end(
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult>` +
        `<Stacks><member><StackName>${escapeXml(name)}</StackName>` +
        `<StackId>arn:aws:cloudformation:eu-west-1:000000000000:stack/${escapeXml(name)}/1</StackId>` +
        '<CreationTime>2026-11-30T10:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>' +
        `<Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  });
  return { ...server, calls };
}

/** Secrets Manager's GetSecretValue over `secrets` (ARN → value). */
export async function startSecretsStandIn(secrets: Map<string, string>) {
  const server = await listen((request, body, response) => {
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
    const value = SecretId === undefined ? undefined : secrets.get(SecretId);
    if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || value === undefined) {
      response.writeHead(400).end(
        JSON.stringify({
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
      return;
    }
    response.end(JSON.stringify({ ARN: SecretId, Name: 'stand-in', SecretString: value, VersionId: 'v1' }));
  });
  return server;
}

export interface StandInAlarm {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  alarmActions: string[];
  okActions: string[];
}

/**
 * CloudWatch's DescribeAlarms, SetAlarmState and DescribeAlarmHistory. A state change carries
 * out the new state's actions as CloudWatch does, writing an `Action` history item for each:
 * succeeded when `topicAllowsCloudWatch`, otherwise the failure AWS records when the topic's
 * policy has no statement letting cloudwatch.amazonaws.com publish.
 */
export async function startCloudWatchStandIn() {
  const state = {
    alarms: [] as StandInAlarm[],
    topicAllowsCloudWatch: true,
    history: [] as {
      AlarmName: string;
      Timestamp: number;
      HistoryItemType: string;
      HistorySummary: string;
      HistoryData: string;
    }[],
    /** Every SetAlarmState, in order: `name state`. */
    stateChanges: [] as string[],
  };
  const server = await listen((request, body, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const input = JSON.parse(body || '{}') as Record<string, unknown>;
    response.setHeader('content-type', 'application/x-amz-json-1.0');
    const alarm = state.alarms.find((each) => each.name === input.AlarmName);
    if (target === 'GraniteServiceVersion20100801.DescribeAlarms') {
      const prefix = String(input.AlarmNamePrefix ?? '');
      const MetricAlarms = state.alarms
        .filter((each) => each.name.startsWith(prefix))
        .map((each) => ({
          AlarmName: each.name,
          AlarmArn: `arn:aws:cloudwatch:eu-west-1:000000000000:alarm:${each.name}`,
          StateValue: each.state,
          AlarmActions: each.alarmActions,
          OKActions: each.okActions,
          ActionsEnabled: true,
        }));
      response.end(JSON.stringify({ MetricAlarms, CompositeAlarms: [] }));
      return;
    }
    if (target === 'GraniteServiceVersion20100801.SetAlarmState' && alarm) {
      const next = input.StateValue as StandInAlarm['state'];
      state.stateChanges.push(`${alarm.name} ${next}`);
      if (next !== alarm.state) {
        alarm.state = next;
        const actions = next === 'ALARM' ? alarm.alarmActions : next === 'OK' ? alarm.okActions : [];
        for (const action of actions)
          state.history.push(actionItem(alarm.name, action, state.topicAllowsCloudWatch));
      }
      response.end('{}');
      return;
    }
    if (target === 'GraniteServiceVersion20100801.DescribeAlarmHistory' && alarm) {
      const since = Number(input.StartDate ?? 0);
      const items = state.history.filter(
        (item) =>
          item.AlarmName === alarm.name &&
          item.Timestamp >= since &&
          (input.HistoryItemType === undefined || item.HistoryItemType === input.HistoryItemType),
      );
      response.end(
        JSON.stringify({ AlarmHistoryItems: items.map((item) => ({ ...item, AlarmType: 'MetricAlarm' })) }),
      );
      return;
    }
    response
      .writeHead(400)
      .end(JSON.stringify({ __type: 'ResourceNotFound', message: `${target} ${String(input.AlarmName)}` }));
  });
  return { ...server, state };
}

function actionItem(alarmName: string, topicArn: string, allowed: boolean) {
  const at = Date.now();
  const alarmArn = `arn:aws:cloudwatch:eu-west-1:000000000000:alarm:${alarmName}`;
  const error =
    `Resource: ${alarmArn} is not authorized to perform: SNS:Publish on resource: ${topicArn} ` +
    'because no resource-based policy allows the SNS:Publish action';
  return {
    AlarmName: alarmName,
    Timestamp: at / 1000,
    HistoryItemType: 'Action',
    HistorySummary: allowed
      ? `Successfully executed action ${topicArn}`
      : `Failed to execute action ${topicArn}. Received error: "${error}"`,
    HistoryData: JSON.stringify({
      actionState: allowed ? 'Succeeded' : 'Failed',
      notificationResource: topicArn,
      stateUpdateTimestamp: at,
      error: allowed ? null : error,
    }),
  };
}

/**
 * API Gateway's `AWS_IAM` authorization in front of `upstream` (the local server's unsigned read
 * routes): a request passes only with a SigV4 `Authorization` for service execute-api in `region`
 * that verifies against the stand-in credentials, and only while `allow` (the caller's IAM
 * permission) holds; otherwise 403 `{"message":"Forbidden"}`, as API Gateway answers.
 */
export async function startIamGate(options: { upstream: string; region: string }) {
  const state = {
    allow: true,
    upstream: options.upstream,
    authorizations: [] as string[],
    refused: [] as string[],
  };
  const server = await listen((request, _body, response) => {
    void (async () => {
      const authorization = String(request.headers.authorization ?? '');
      state.authorizations.push(authorization);
      const problem = await sigV4Problem(request, authorization, options.region);
      if (problem || !state.allow) {
        state.refused.push(problem ?? 'not allowed');
        response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
        return;
      }
      const answer = await fetch(`${state.upstream}${request.url ?? '/'}`);
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    })();
  });
  return { ...server, state };
}

/** Why `authorization` is not a valid SigV4 signature of the request, or undefined when it is. */
async function sigV4Problem(request: IncomingMessage, authorization: string, region: string) {
  const parts =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!parts) return `not a SigV4 Authorization header: ${JSON.stringify(authorization)}`;
  const [, keyId, , signedRegion, service, signedHeaders] = parts;
  if (keyId !== STAND_IN_CREDENTIALS.accessKeyId || signedRegion !== region || service !== 'execute-api') {
    return `signed for ${keyId} in ${signedRegion} for ${service}`;
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return 'no x-amz-date';
  const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders ?? '').split(';')) {
    if (name !== 'x-amz-date') headers[name] = String(request.headers[name] ?? '');
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: STAND_IN_CREDENTIALS,
    sha256: Sha256,
  });
  const expected = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
    },
    { signingDate },
  );
  return expected.headers.authorization === authorization ? undefined : 'the signature does not verify';
}
