import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type IWidget, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { HISTORY_ROUTE } from '../src/http/read-history';
import { graph, SUM_PER_5_MINUTES } from './dashboard-parts';
import type { History } from './history';
import { NodeFunction } from './node-function';
import type { Stage, StageSettings } from './stage';

export interface ReadApiProps {
  readonly stage: Stage;
  readonly settings: StageSettings;
  /** The stack's HTTP API: the read routes sit beside the webhook route. */
  readonly api: HttpApi;
  readonly table: ITable;
  /** The connection history: the history route reads it (Query only). */
  readonly history: History;
}

/** The read routes, as the local server declares them. */
export const READ_ROUTES = [
  '/companies/{companyId}/connections',
  '/companies/{companyId}/connections/{connectionId}',
  HISTORY_ROUTE,
];

/**
 * `GET /companies/{companyId}/connections[/{connectionId}[/history]]` on the webhook's HTTP API,
 * for other services of the account: AWS_IAM authorized (a caller needs `execute-api:Invoke` on
 * the route), served by a function of its own that may only GetItem and Query the Connection
 * table, and Query the history table.
 */
export class ReadApi extends Construct {
  readonly reader: NodeFunction;
  /** Each route of `READ_ROUTES`, by its path. */
  readonly routes: Readonly<Record<string, HttpRoute>>;
  /** The read function's charts, for the stack's dashboard. */
  readonly dashboardRows: IWidget[][];

  constructor(scope: Construct, id: string, props: ReadApiProps) {
    super(scope, id);
    const { settings, stage } = props;
    this.reader = new NodeFunction(this, 'ReadConnections', {
      entry: fileURLToPath(new URL('../functions/read-connections.ts', import.meta.url)),
      description:
        'Codat connections: GET /companies/{companyId}/connections[/{connectionId}[/history]], IAM authorized',
      environment: { STAGE: stage, LOG_LEVEL: settings.logLevel },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    }).useTable(props.table, 'TABLE_NAME', ['dynamodb:GetItem', 'dynamodb:Query']);
    props.history.use(this.reader, ['dynamodb:Query']);

    const integration = new HttpLambdaIntegration('ReadConnectionsIntegration', this.reader, {
      timeout: Duration.seconds(10),
    });
    const authorizer = new HttpIamAuthorizer();
    this.routes = Object.fromEntries(
      READ_ROUTES.map((path) => {
        const [route] = props.api.addRoutes({ path, methods: [HttpMethod.GET], integration, authorizer });
        return [path, route as HttpRoute];
      }),
    );

    const sum = SUM_PER_5_MINUTES;
    const { period } = sum;
    this.dashboardRows = [
      [
        graph('Read function invocations, errors and throttles (per 5 min)', [
          this.reader.metricInvocations({ ...sum, label: 'invocations' }),
          this.reader.metricErrors({ ...sum, label: 'errors' }),
          this.reader.metricThrottles({ ...sum, label: 'throttles' }),
        ]),
        graph(
          'Read function duration',
          [50, 99].map((p) => this.reader.metricDuration({ statistic: Stats.p(p), period, label: `p${p}` })),
          { unit: 'ms' },
        ),
      ],
    ];

    new CfnOutput(Stack.of(this), 'ReadApiUrl', {
      value: `${props.api.apiEndpoint}/companies/{companyId}/connections`,
      description: 'The read API: sign requests with SigV4 (service execute-api); see docs/reference.md',
    });
  }
}
