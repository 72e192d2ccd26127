import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { createOperatorClients } from '../aws/clients';
import { StackNotFoundError } from '../errors';
import type {
  AlarmActionRecord,
  AlarmState,
  AlarmSummary,
  DeployedStack,
  StackOutputs,
} from './deployed-stack';

/**
 * The deployed stack through the AWS SDK, with the caller's credentials from the SDK's default
 * provider chain (environment, AWS_PROFILE, SSO, …), resolved once and shared by every client and
 * the read API's signer, and the region from AWS_REGION or the profile. Plain SDK clients, so each
 * honours `AWS_ENDPOINT_URL_<SERVICE>` (`_CLOUDFORMATION`, `_CLOUDWATCH`, `_SECRETS_MANAGER`).
 */
export function awsDeployedStack(): DeployedStack & { destroy(): void } {
  const credentials = defaultProvider();
  const { cloudFormation, cloudWatch, secretsManager } = createOperatorClients(credentials);
  const region = () => cloudFormation.config.region();

  return {
    region,

    async outputs(stackName: string): Promise<StackOutputs> {
      try {
        const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
        const stack = Stacks?.[0];
        if (!stack) throw new StackNotFoundError(`Stack with id ${stackName} does not exist`);
        return Object.fromEntries(
          (stack.Outputs ?? []).flatMap((output) =>
            output.OutputKey && output.OutputValue !== undefined
              ? [[output.OutputKey, output.OutputValue]]
              : [],
          ),
        );
      } catch (error) {
        // CloudFormation answers a missing stack with a ValidationError, as it does a malformed call.
        if (error instanceof Error && /does not exist/.test(error.message)) {
          throw new StackNotFoundError(error.message, { cause: error });
        }
        throw error;
      }
    },

    async secretString(secretId: string): Promise<string> {
      const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
      return SecretString;
    },

    async alarms(prefix: string): Promise<AlarmSummary[]> {
      const alarms: AlarmSummary[] = [];
      let NextToken: string | undefined;
      do {
        const page = await cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: prefix,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken,
          }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (!alarm.AlarmName || !alarm.StateValue) continue;
          alarms.push({
            name: alarm.AlarmName,
            state: alarm.StateValue as AlarmState,
            alarmActions: alarm.AlarmActions ?? [],
            okActions: alarm.OKActions ?? [],
          });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return alarms;
    },

    async setAlarmState(alarmName: string, state: AlarmState, reason: string): Promise<void> {
      await cloudWatch.send(
        new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: reason }),
      );
    },

    async alarmActions(alarmName: string, since: Date): Promise<AlarmActionRecord[]> {
      const { AlarmHistoryItems } = await cloudWatch.send(
        new DescribeAlarmHistoryCommand({
          AlarmName: alarmName,
          HistoryItemType: 'Action',
          StartDate: since,
          EndDate: new Date(Date.now() + 3_600_000),
          ScanBy: 'TimestampDescending',
        }),
      );
      return (AlarmHistoryItems ?? []).map((item) => {
        const data = historyData(item.HistoryData);
        return {
          timestamp: item.Timestamp ?? new Date(0),
          summary: item.HistorySummary ?? '',
          ...(typeof data.actionState === 'string' ? { actionState: data.actionState } : {}),
          ...(typeof data.notificationResource === 'string' ? { resource: data.notificationResource } : {}),
          ...(typeof data.error === 'string' ? { error: data.error } : {}),
        };
      });
    },

    async signedGet(url: string) {
      const target = new URL(url);
      // The region the API lives in, from its host; the configured one for any other host.
      const fromHost = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(target.hostname)?.[1];
      const signer = new SignatureV4({
        service: 'execute-api',
        region: fromHost ?? (await region()),
        credentials,
        sha256: Sha256,
      });
      const signed = await signer.sign({
        method: 'GET',
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port ? { port: Number(target.port) } : {}),
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        headers: { host: target.host },
      });
      const response = await fetch(target, { headers: signed.headers, signal: AbortSignal.timeout(15_000) });
      return { status: response.status, body: (await response.text()).slice(0, 2000) };
    },

    destroy() {
      cloudFormation.destroy();
      cloudWatch.destroy();
      secretsManager.destroy();
    },
  };
}

function historyData(raw: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw ?? '{}');
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
