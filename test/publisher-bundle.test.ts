import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { ConnectionsStack } from '../lib/connections-stack';
import { changeOf } from './support/changes';
import { FakeEventBridge, startEventBridgeServer } from './support/fake-eventbridge';
import { captureOutput } from './support/logs';
import { imageOf, streamEvent, streamRecord } from './support/stream-records';

const run = promisify(execFile);
/** The Node.js 24 of the dev dependency: the Lambda runtime's version, whatever runs jest. */
const NODE_24 = resolve('node_modules/.bin/node');

interface FunctionResource {
  Type: string;
  Properties: { Environment?: { Variables: Record<string, unknown> } };
  Metadata?: { 'aws:asset:path'?: string };
}

/**
 * The issue's "done when": the publisher as `cdk synth` bundles it, run by a fresh Node 24
 * process with the template's environment, against an EventBridge stand-in on loopback.
 */
describe('the synthesized publisher bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'codat-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('puts exactly one event saying Linked became Deauthorized for a stream record that says so', async () => {
    const output = captureOutput();
    let assembly: ReturnType<App['synth']>;
    try {
      // The asset path metadata the cdk CLI asks for, so that the bundle can be found by function.
      const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
      new ConnectionsStack(app, 'CodatConnections-dev');
      assembly = app.synth();
    } finally {
      output.restore();
    }
    const template = assembly.getStackByName('CodatConnections-dev').template as {
      Resources: Record<string, FunctionResource>;
    };
    const [, publisher] = Object.entries(template.Resources).find(
      ([id, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && id.startsWith('ChangeEventsPublishChanges'),
    ) ?? [undefined, undefined];
    const bundle = join(outdir, publisher?.Metadata?.['aws:asset:path'] ?? 'missing', 'index.mjs');
    // The template's environment, with the bus's Ref resolved as CloudFormation would.
    const environment = Object.fromEntries(
      Object.entries(publisher?.Properties.Environment?.Variables ?? {}).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'CodatConnections-dev-connection-changes',
      ]),
    );
    const fake = new FakeEventBridge();
    const eventBridge = await startEventBridgeServer(fake);
    const ids = {
      companyId: '0498e921-9b53-4396-a412-4f2f5983b0a2',
      connectionId: 'ee2eb431-c0fa-4dc9-93fa-d29781c12bcd',
    };
    const linked = changeOf({
      eventType: 'connection.connected',
      ...ids,
      generatedDate: '2026-11-28T10:00:00Z',
    });
    const deauthorized = changeOf({
      eventType: 'connection.disconnected',
      ...ids,
      status: 'Deauthorized',
      generatedDate: '2026-11-28T10:01:00Z',
    });
    const event = streamEvent(streamRecord('MODIFY', { old: imageOf(linked), new: imageOf(deauthorized) }));
    const script = `
      const { handler } = await import(${JSON.stringify(`file://${bundle}`)});
      const context = { functionName: 'publish-changes', awsRequestId: 'test', getRemainingTimeInMillis: () => 60000 };
      const result = await handler(JSON.parse(process.env.TEST_EVENT), context);
      process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');`;

    try {
      const { stdout } = await run(NODE_24, ['--input-type=module', '--eval', script], {
        env: {
          PATH: process.env.PATH,
          ...environment,
          TEST_EVENT: JSON.stringify(event),
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
          AWS_LAMBDA_FUNCTION_NAME: 'publish-changes',
        },
      });
      expect(stdout).toContain('RESULT {"batchItemFailures":[]}');
    } finally {
      await eventBridge.close();
    }

    expect(readFileSync(bundle, 'utf8')).not.toContain('DynamoDBClient');
    expect(fake.accepted).toHaveLength(1);
    expect(fake.accepted[0]).toMatchObject({
      Source: 'codat.connections',
      DetailType: 'Connection Changed',
      EventBusName: 'CodatConnections-dev-connection-changes',
    });
    expect(fake.details()[0]).toMatchObject({
      change: 'updated',
      companyId: ids.companyId,
      connectionId: ids.connectionId,
      previousStatus: 'Linked',
      status: 'Deauthorized',
      statusChanged: true,
      cause: { eventType: 'connection.disconnected', eventId: deauthorized.event.id },
    });
  });
});
