import { setTimeout as delay } from 'node:timers/promises';
import type { CheckLine, Report, VerifyInput } from './check-line';
import { describe, fail, missingOutput, ok } from './check-line';
import type { AlarmActionRecord, AlarmSummary, StackOutputs } from './deployed-stack';

/**
 * 5. An alarm's notification reaches the alarm topic: one of the stack's alarms that notifies it,
 * in OK (never one that is firing) is set to ALARM, its history is read for the SNS action's
 * outcome, and it is set back.
 */
export async function checkAlarmNotification(
  input: VerifyInput,
  outputs: StackOutputs,
  report: Report,
): Promise<void> {
  const check = 'alarm notification';
  const topicArn = outputs.AlarmTopicArn;
  if (!topicArn) return void report(missingOutput(check, 'AlarmTopicArn', input.stackName));
  let alarms: AlarmSummary[];
  try {
    alarms = await input.stack.alarms(`${input.stackName}-`);
  } catch (error) {
    return void report(
      fail(
        check,
        `could not list the alarms: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarms`,
      ),
    );
  }
  const notifying = alarms.filter((alarm) => alarm.alarmActions.includes(topicArn));
  if (notifying.length === 0) {
    return void report(
      fail(
        check,
        `no alarm named ${input.stackName}-… notifies ${topicArn}: deploy this version of the project`,
      ),
    );
  }
  const quiet = notifying
    .filter((alarm) => alarm.state !== 'ALARM')
    .sort((a, b) => Number(b.state === 'OK') - Number(a.state === 'OK') || a.name.localeCompare(b.name));
  const alarm = quiet[0];
  if (!alarm) {
    return void report(
      fail(
        check,
        `every alarm that notifies ${topicArn} is in ALARM now (${notifying.map((each) => each.name).join(', ')}): ` +
          'see the runbook for them, and run this again once one is back to OK',
      ),
    );
  }
  report(await testAlarm(input, alarm, topicArn));
}

async function testAlarm(input: VerifyInput, alarm: AlarmSummary, topicArn: string): Promise<CheckLine> {
  const check = 'alarm notification';
  const { pollMs, timeoutMs } = input.alarmWait ?? { pollMs: 2000, timeoutMs: 90_000 };
  const sleep = input.sleep ?? ((ms: number) => delay(ms));
  const now = input.now ?? (() => new Date());
  // The items there before the test are not ours: what appears after it is, whatever this
  // machine's clock says (an hour of history either side of it covers any sane skew).
  const since = new Date(now().getTime() - 3_600_000);
  const key = (record: AlarmActionRecord) => `${record.timestamp.getTime()} ${record.summary}`;
  let before: Set<string>;
  try {
    before = new Set((await input.stack.alarmActions(alarm.name, since)).map(key));
  } catch (error) {
    return fail(
      check,
      `could not read the history of ${alarm.name}: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarmHistory`,
    );
  }
  const mails =
    alarm.state === 'OK' && alarm.okActions.includes(topicArn)
      ? "the topic's subscribers get one test ALARM notification, and an OK one as it is set back"
      : "the topic's subscribers get one test ALARM notification";
  try {
    await input.stack.setAlarmState(
      alarm.name,
      'ALARM',
      'npm run verify-deploy: a test of the alarm notification; set back at once',
    );
  } catch (error) {
    return fail(
      check,
      `could not set ${alarm.name} to ALARM: ${describe(error)}. Your credentials need cloudwatch:SetAlarmState`,
    );
  }
  let outcome: AlarmActionRecord | undefined;
  let problem: string | undefined;
  try {
    for (const started = Date.now(); ; ) {
      const records = await input.stack.alarmActions(alarm.name, since);
      outcome = records.find(
        (record) => !before.has(key(record)) && (record.resource ?? record.summary).includes(topicArn),
      );
      if (outcome || Date.now() - started >= timeoutMs) break;
      await sleep(pollMs);
    }
  } catch (error) {
    problem = `could not read the history of ${alarm.name}: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarmHistory`;
  } finally {
    await input.stack
      .setAlarmState(alarm.name, alarm.state, 'npm run verify-deploy: the test is over')
      .catch((error: unknown) => {
        problem = `${problem ? `${problem}; ` : ''}could not set ${alarm.name} back to ${alarm.state} (${describe(error)}): it returns at its next evaluation`;
      });
  }
  if (problem) return fail(check, problem);
  if (!outcome) {
    return fail(
      check,
      `${alarm.name} was set to ALARM, but its history shows no action for ${topicArn} within ` +
        `${Math.round(timeoutMs / 1000)} s: check the alarm's actions are enabled (aws cloudwatch enable-alarm-actions ` +
        `--alarm-names ${alarm.name})`,
    );
  }
  const succeeded = outcome.actionState === 'Succeeded' || /^Successfully executed/i.test(outcome.summary);
  if (succeeded) return ok(check, `${alarm.name} notified ${topicArn} (${outcome.summary}); ${mails}`);
  const reason = outcome.error ?? outcome.summary;
  if (/not authorized to perform:?\s*SNS:Publish/i.test(reason)) {
    return fail(
      check,
      `CloudWatch may not publish to ${topicArn}: ${reason}. Every alarm of the stack is silent: the topic's ` +
        'policy must allow cloudwatch.amazonaws.com sns:Publish (deploy a version with that fix, or add the ' +
        'statement to the topic policy)',
    );
  }
  return fail(check, `${alarm.name} failed to notify ${topicArn}: ${reason}`);
}
