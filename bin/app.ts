import { App } from 'aws-cdk-lib';
import { ConnectionsStack } from '../lib/connections-stack';
import {
  alarmEmailFromContext,
  allowedSourceIpsFromContext,
  noDeliveriesAlarmMinutesFromContext,
  stageFromContext,
  tombstoneTtlDaysFromContext,
} from '../lib/context';
import { stackNameOf } from '../lib/stage';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
const stage = stageFromContext(context('stage'));
// One stack per stage, so that dev and prod live side by side in one account.
new ConnectionsStack(app, stackNameOf(stage), {
  stage,
  tombstoneTtlDays: tombstoneTtlDaysFromContext(context('tombstoneTtlDays')),
  alarmEmail: alarmEmailFromContext(context('alarmEmail')),
  noDeliveriesAlarmMinutes: noDeliveriesAlarmMinutesFromContext(context('noDeliveriesAlarmMinutes')),
  allowedSourceIps: allowedSourceIpsFromContext(context('allowedSourceIps')),
  // Checked by the stack, which reads 'off' as no schedule.
  reconcileSchedule: context('reconcileSchedule') as string | undefined,
  // Checked by the stack (lib/context.ts historyDaysFromContext).
  historyDays: context('historyDays') as number | undefined,
  // Checked by the stack, as above.
  healthSurgeThreshold: context('healthSurgeThreshold') as number | undefined,
  changeEvents: {
    archiveDays: context('eventArchiveDays') as number | undefined,
    notifyEmail: context('notifyEmail') as string | undefined,
  },
});
