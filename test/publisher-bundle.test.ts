import { readFileSync } from 'node:fs';
import { invokeDeployedFunction } from '../bench/deployed-bundle';
import { type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { dataPoints, emfLines } from './support/emf';
import { FakeEventBridge, startEventBridgeServer } from './support/fake-eventbridge';
import { deauthorization, streamEvent } from './support/stream-records';

/**
 * The "done when": the publisher as `cdk synth` bundles it, run by a fresh Node 24
 * process with the template's environment, against an EventBridge stand-in on loopback.
 */
describe('the synthesized publisher bundle', () => {
  let stack: SynthesizedStack;

  beforeAll(() => {
    stack = synthesizeStack();
  });

  afterAll(() => {
    stack.close();
  });

  it('puts exactly one event saying Linked became Deauthorized for a stream record that says so', async () => {
    const fn = stack.fn('ChangeEvents/PublishChanges');
    const fake = new FakeEventBridge();
    const eventBridge = await startEventBridgeServer(fake);
    const ids = {
      companyId: '0498e921-9b53-4396-a412-4f2f5983b0a2',
      connectionId: 'ee2eb431-c0fa-4dc9-93fa-d29781c12bcd',
    };
    const { deauthorized, record } = deauthorization(ids);
    const event = streamEvent(record);
    try {
      const run = await invokeDeployedFunction({
        fn,
        // The bus's Ref, resolved as CloudFormation would.
        resolve: { EVENT_BUS_NAME: 'CodatConnections-dev-connection-changes' },
        // It touches no table: nothing listens on port 9.
        endpoints: { dynamoDb: 'http://127.0.0.1:9', eventBridge: eventBridge.endpoint },
        events: [event],
      });
      const result = run.invocations[0]?.response;
      expect(result).toEqual({ batchItemFailures: [] });
      // The transition, by new status with and without the platform, for the surge alarm and the dashboard.
      const transitions = dataPoints(emfLines(run.stdout), 'ConnectionTransitions');
      expect(transitions.map(({ dimensions, value }) => [dimensions, value])).toEqual([
        [{ service: 'codat-connections', stage: 'dev', Status: 'Deauthorized', Platform: 'Basiq' }, 1],
        [{ service: 'codat-connections', stage: 'dev', Status: 'Deauthorized' }, 1],
      ]);
    } finally {
      await eventBridge.close();
    }

    expect(readFileSync(fn.entryFile, 'utf8')).not.toContain('DynamoDBClient');
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
