import { App } from 'aws-cdk-lib';
import { ConnectionsStack } from '../lib/connections-stack';
import { tombstoneTtlDaysFromContext } from '../lib/context';

const app = new App();
new ConnectionsStack(app, 'CodatConnections', {
  tombstoneTtlDays: tombstoneTtlDaysFromContext(app.node.tryGetContext('tombstoneTtlDays')),
});
