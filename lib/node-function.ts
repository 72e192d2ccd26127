import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, type OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING, SUPPORTED_ARGS } from './bundling';

export interface NodeFunctionProps {
  /** Path of the TypeScript file that exports `handler`. */
  readonly entry: string;

  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;

  /**
   * Environment variables besides those that `useTable` and `useSecret` set.
   * @default - only `NODE_OPTIONS=--enable-source-maps`, unless `sourceMapsAtStart` is false
   */
  readonly environment?: Record<string, string>;

  /**
   * Let Node map every stack trace to the TypeScript sources, parsing the bundle's source map at
   * each cold start (`--enable-source-maps`). The receiver turns this off, since the parse costs
   * it about 7% of its cold start, and maps the stacks it logs on demand instead.
   * @default true
   */
  readonly sourceMapsAtStart?: boolean;

  /**
   * Memory, in MB; CPU grows with it.
   * @default 256
   */
  readonly memorySize?: number;

  /**
   * How long one invocation may run.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the log group when the stack is deleted or the group replaced.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** lib/bundling.ts's settings, every one of them: `supported` goes as `esbuildArgs`, the rest by name. */
const { supported: _supported, format, mainFields, ...bundling } = LAMBDA_BUNDLING;

/**
 * A Node.js 24 function on arm64, bundled to one minified CommonJS file with source maps by the
 * local esbuild (never Docker), with its own log group, a role that may write only to that
 * group, and no tracing. Resources are wired in
 * with `useTable` and `useSecret`, which grant access and pass the name in one step, so that a
 * variable can never be set without its permission or the other way round.
 */
export class NodeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // A role of its own with no managed policy: AWSLambdaBasicExecutionRole would let it write
    // to (and create) any log group in the account; this one may write to its own group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.DISABLED,
      environment: {
        ...(props.sourceMapsAtStart === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        ...props.environment,
      },
      logGroup,
      bundling: {
        forceDockerBundling: false,
        ...bundling,
        format: format as OutputFormat,
        mainFields: [...mainFields],
        // aws-lambda-nodejs has no name for esbuild's `supported`: passed on its command line.
        esbuildArgs: SUPPORTED_ARGS,
        // The SDK versions in package-lock.json, which the tests ran against, rather than
        // whichever the Lambda runtime happens to carry.
        bundleAwsSDK: true,
        // Warnings and errors only: the size report of every bundle would bury synth's output.
        logLevel: LogLevel.WARNING,
      },
    });
  }

  /** Grants `actions` on `table` (and its indexes) and passes its name in `variable`. */
  useTable(table: ITable, variable: string, actions: readonly string[]): this {
    if (actions.length === 0) throw new Error(`useTable(${variable}): name at least one action`);
    table.grant(this, ...actions);
    this.addEnvironment(variable, table.tableName);
    return this;
  }

  /**
   * Grants `GetSecretValue` on `secret` (and decryption, if it has a key of its own) and passes
   * its ARN in `variable`. Not `grantRead`: its `DescribeSecret` is a call no function makes.
   */
  useSecret(secret: ISecret, variable: string): this {
    this.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    secret.encryptionKey?.grantDecrypt(this);
    this.addEnvironment(variable, secret.secretArn);
    return this;
  }
}
