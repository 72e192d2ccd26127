import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, type AwsCall } from './aws-calls';

export { ACCOUNT } from './aws-calls';

/** The region the template is resolved in: the one `invokeDeployedFunction` gives the functions. */
export const REGION = 'us-east-1';

/** A synthesized CloudFormation template, as much of it as the evaluator reads. */
export interface StackTemplate {
  Resources: Record<string, TemplateResource>;
}

export interface TemplateResource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: a template's properties are whatever CloudFormation takes
  Properties?: Record<string, any>;
  Metadata?: Record<string, unknown>;
}

interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/** Who asks: a role of the template (its logical id), or an AWS service acting on its own. */
export type IamPrincipal = { role: string; session?: string } | { service: string };

/** One request as IAM evaluates it. */
export interface IamRequest {
  principal: IamPrincipal;
  action: string;
  /** The resource's ARN, as AWS forms it; `*` for actions that take none. */
  resource: string;
  /** Request context beyond what every call over TLS in this account carries (aws:SourceArn, …). */
  context?: Record<string, string | string[]>;
  /** Physical names by logical id for the template's resources (see `AwsCall.names`). */
  names?: Readonly<Record<string, string>>;
}

export interface IamDecision {
  result: EvaluationResult;
  /** The role's policies and the resource policy that were evaluated, by name, for a message. */
  evaluated: string[];
}

/**
 * A template's values resolved as CloudFormation would in account `ACCOUNT`, region `REGION`:
 * `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and the pseudo
 * parameters. A resource named in `names` has that physical name (the test's own table);
 * one the template names has the template's name; any other `<stack>-<logical id>`, as
 * CloudFormation generates one (less its random suffix). An intrinsic it does not know throws,
 * so that nothing is evaluated against a value it guessed.
 */
export class TemplateResolver {
  constructor(
    readonly template: StackTemplate,
    private readonly names: Readonly<Record<string, string>> = {},
    private readonly stackName = 'CodatConnections-dev',
  ) {}

  resource(id: string): TemplateResource {
    const found = this.template.Resources[id];
    if (!found) throw new Error(`the template has no resource ${id}`);
    return found;
  }

  /** The physical name of resource `id`. */
  name(id: string): string {
    const given = this.names[id];
    if (given !== undefined) return given.startsWith('arn:') ? (given.split(/[:/]/).pop() ?? given) : given;
    const properties = this.resource(id).Properties ?? {};
    const named = NAME_PROPERTY[this.resource(id).Type];
    const value = named ? properties[named] : undefined;
    return value === undefined ? `${this.stackName}-${id}` : String(this.resolve(value));
  }

  ref(id: string): string {
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::Region') return REGION;
    if (id === 'AWS::AccountId') return ACCOUNT;
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    if (id === 'AWS::StackName') return this.stackName;
    const { Type } = this.resource(id);
    switch (Type) {
      case 'AWS::SecretsManager::Secret':
        return this.names[id] ?? `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${this.name(id)}-AbCdEf`;
      case 'AWS::SNS::Topic':
        return this.getAtt(id, 'TopicArn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.name(id)}`;
      case 'AWS::StepFunctions::StateMachine':
        return this.getAtt(id, 'Arn');
      default:
        return this.name(id);
    }
  }

  getAtt(id: string, attribute: string): string {
    const { Type } = this.resource(id);
    const name = this.name(id);
    const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
    const known: Record<string, Record<string, () => string>> = {
      'AWS::DynamoDB::Table': {
        Arn: () => arn('dynamodb', `table/${name}`),
        StreamArn: () => arn('dynamodb', `table/${name}/stream/2026-01-01T00:00:00.000`),
      },
      'AWS::SQS::Queue': { Arn: () => arn('sqs', name), QueueName: () => name, QueueUrl: () => this.ref(id) },
      'AWS::SNS::Topic': { TopicArn: () => arn('sns', name), TopicName: () => name },
      'AWS::Lambda::Function': { Arn: () => arn('lambda', `function:${name}`) },
      'AWS::IAM::Role': { Arn: () => `arn:aws:iam::${ACCOUNT}:role/${name}` },
      'AWS::Logs::LogGroup': { Arn: () => arn('logs', `log-group:${name}:*`) },
      'AWS::StepFunctions::StateMachine': {
        Arn: () => arn('states', `stateMachine:${name}`),
        Name: () => name,
      },
      'AWS::Events::EventBus': { Arn: () => arn('events', `event-bus/${name}`), Name: () => name },
      'AWS::Events::Rule': {
        Arn: () => {
          const bus = this.resource(id).Properties?.EventBusName;
          return arn('events', `rule/${bus === undefined ? '' : `${this.resolve(bus)}/`}${name}`);
        },
      },
      'AWS::CloudWatch::Alarm': { Arn: () => arn('cloudwatch', `alarm:${name}`) },
      'AWS::Scheduler::Schedule': {
        Arn: () => {
          const group = this.resource(id).Properties?.GroupName;
          return arn(
            'scheduler',
            `schedule/${group === undefined ? 'default' : this.resolve(group)}/${name}`,
          );
        },
      },
      'AWS::SecretsManager::Secret': { Id: () => this.ref(id) },
    };
    const get = known[Type]?.[attribute];
    if (!get) throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} (${Type})`);
    return get();
  }

  /** `value` with every intrinsic replaced by what CloudFormation would put there. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((each) => this.resolve(each));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      const [intrinsic, argument] = first;
      return this.intrinsic(intrinsic, argument);
    }
    return Object.fromEntries(entries.map(([key, each]) => [key, this.resolve(each)]));
  }

  private intrinsic(intrinsic: string, argument: unknown): unknown {
    switch (intrinsic) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.getAtt(String(id), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number, unknown];
        return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(this.resolve(text)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables = {}] = (Array.isArray(argument) ? argument : [argument]) as [
          string,
          Record<string, unknown>?,
        ];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in variables) return String(this.resolve(variables[name]));
          const [id, attribute] = name.split('.');
          return attribute ? this.getAtt(String(id), attribute) : this.ref(name);
        });
      }
      default:
        throw new Error(`cannot resolve ${intrinsic}`);
    }
  }

  /** The resources of `type`, by logical id. */
  resourcesOf(type: string): [string, TemplateResource][] {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  /**
   * The construct path CDK recorded for `id` (`Reconciler/ReconcileSweep`); without one, the
   * logical id less its hash (`ReconcilerReconcileSweep`).
   */
  path(id: string): string {
    const recorded = this.template.Resources[id]?.Metadata?.['aws:cdk:path'];
    if (typeof recorded !== 'string') return id.replace(/[0-9A-F]{8}$/, '');
    return recorded
      .split('/')
      .slice(1)
      .filter((part) => part !== 'Resource')
      .join('/');
  }

  /** The logical id of the role a function runs with. */
  functionRole(functionId: string): string {
    const fn = this.resource(functionId);
    if (fn.Type !== 'AWS::Lambda::Function') throw new Error(`${functionId} is a ${fn.Type}, not a function`);
    return this.roleOf(fn.Properties?.Role, functionId);
  }

  /** The logical id of the template's role that `roleArn` (`Fn::GetAtt Role.Arn`) names. */
  roleOf(roleArn: unknown, user: string): string {
    const id = (roleArn as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt']?.[0];
    if (typeof id !== 'string' || this.template.Resources[id]?.Type !== 'AWS::IAM::Role') {
      throw new Error(`${user}'s role is not a role of the template: ${JSON.stringify(roleArn)}`);
    }
    return id;
  }

  /**
   * The policies of role `roleId`: its inline ones, and every `AWS::IAM::Policy` and
   * `AWS::IAM::ManagedPolicy` attached to it through `Roles`. A managed policy of AWS's cannot
   * be read here: it throws rather than evaluate without it.
   */
  rolePolicies(roleId: string): { name: string; policy: PolicyDocument }[] {
    const role = this.resource(roleId);
    if ((role.Properties?.ManagedPolicyArns ?? []).length > 0) {
      throw new Error(
        `${roleId} has managed policies (${JSON.stringify(role.Properties?.ManagedPolicyArns)})`,
      );
    }
    const inline = (
      (role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]
    ).map((each) => ({
      name: `${roleId}/${each.PolicyName}`,
      policy: this.resolve(each.PolicyDocument) as PolicyDocument,
    }));
    const attached = Object.entries(this.template.Resources)
      .filter(
        ([, resource]) =>
          (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') &&
          ((resource.Properties?.Roles ?? []) as unknown[]).some(
            (each) => (each as { Ref?: string }).Ref === roleId,
          ),
      )
      .map(([id, resource]) => ({
        name: id,
        policy: this.resolve(resource.Properties?.PolicyDocument) as PolicyDocument,
      }));
    return [...inline, ...attached];
  }

  /** The role's trust policy. */
  trustPolicy(roleId: string): PolicyDocument {
    return this.resolve(this.resource(roleId).Properties?.AssumeRolePolicyDocument) as PolicyDocument;
  }

  /**
   * The resource policy that governs `arn`, as the service would hold it: a topic's
   * `AWS::SNS::TopicPolicy` (which replaces SNS's default policy), or SNS's default policy
   * when it has none; a queue's `AWS::SQS::QueuePolicy`; a secret's
   * `AWS::SecretsManager::ResourcePolicy`; a table's `ResourcePolicy`; a function's
   * `AWS::Lambda::Permission`s. None for other resources.
   */
  resourcePolicy(arn: string): { name: string; policy: PolicyDocument } | undefined {
    const owner = this.ownerOf(arn);
    if (!owner) return undefined;
    const [ownerId, resource] = owner;
    const pointsAt = (value: unknown) => value !== undefined && this.resolve(value) === this.ref(ownerId);
    const policies = (type: string, list: string) =>
      this.resourcesOf(type).filter(([, each]) =>
        ((each.Properties?.[list] ?? []) as unknown[]).some(pointsAt),
      );
    const one = (found: [string, TemplateResource][]) => {
      if (found.length > 1) throw new Error(`${ownerId} has ${found.length} resource policies`);
      const [entry] = found;
      return (
        entry && {
          name: entry[0],
          policy: this.resolve(entry[1].Properties?.PolicyDocument) as PolicyDocument,
        }
      );
    };
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
        return one(policies('AWS::SNS::TopicPolicy', 'Topics')) ?? snsDefaultPolicy(arn);
      case 'AWS::SQS::Queue':
        return one(policies('AWS::SQS::QueuePolicy', 'Queues'));
      case 'AWS::SecretsManager::Secret': {
        const found = this.resourcesOf('AWS::SecretsManager::ResourcePolicy').filter(([, each]) =>
          pointsAt(each.Properties?.SecretId),
        );
        const [entry] = found;
        return (
          entry && {
            name: entry[0],
            policy: this.resolve(entry[1].Properties?.ResourcePolicy) as PolicyDocument,
          }
        );
      }
      case 'AWS::DynamoDB::Table': {
        const document = resource.Properties?.ResourcePolicy?.PolicyDocument;
        return (
          document && { name: `${ownerId}.ResourcePolicy`, policy: this.resolve(document) as PolicyDocument }
        );
      }
      case 'AWS::Lambda::Function': {
        const functionArn = this.getAtt(ownerId, 'Arn');
        const statements = this.resourcesOf('AWS::Lambda::Permission')
          .filter(([, each]) => {
            const named = String(this.resolve(each.Properties?.FunctionName));
            return named === functionArn || named === this.ref(ownerId);
          })
          .map(([id, each]) =>
            permissionStatement(id, this.resolve(each.Properties) as Record<string, string>, functionArn),
          );
        return statements.length > 0
          ? { name: `${ownerId}'s permissions`, policy: { Version: '2012-10-17', Statement: statements } }
          : undefined;
      }
      default:
        return undefined;
    }
  }

  /** The resource of the template that `arn` is, or is part of (a table's index or stream, a function's version). */
  private ownerOf(arn: string): [string, TemplateResource] | undefined {
    const candidates: [string, string][] = [];
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      const arnOf = OWN_ARN[resource.Type];
      if (arnOf) candidates.push([id, arnOf(this, id)]);
    }
    const found = candidates.find(
      ([, own]) => arn === own || arn.startsWith(`${own}/`) || arn.startsWith(`${own}:`),
    );
    return found && [found[0], this.resource(found[0])];
  }
}

/** Which property names a resource, by type. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::SecretsManager::Secret': 'Name',
};

/** The ARN of a resource that can hold a resource policy, by type. */
const OWN_ARN: Record<string, (resolver: TemplateResolver, id: string) => string> = {
  'AWS::SNS::Topic': (resolver, id) => resolver.getAtt(id, 'TopicArn'),
  'AWS::SQS::Queue': (resolver, id) => resolver.getAtt(id, 'Arn'),
  'AWS::SecretsManager::Secret': (resolver, id) => resolver.ref(id),
  'AWS::DynamoDB::Table': (resolver, id) => resolver.getAtt(id, 'Arn'),
  'AWS::Lambda::Function': (resolver, id) => resolver.getAtt(id, 'Arn'),
};

/**
 * SNS's default topic policy: the topic's own account may use it (`AWS:SourceOwner`), which is
 * how a CloudWatch alarm publishes to a topic that has no policy of its own.
 */
function snsDefaultPolicy(topicArn: string) {
  return {
    name: 'SNS default topic policy',
    policy: {
      Version: '2008-10-17',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow' as const,
          Principal: { AWS: '*' },
          Action: [
            'SNS:GetTopicAttributes',
            'SNS:SetTopicAttributes',
            'SNS:AddPermission',
            'SNS:RemovePermission',
            'SNS:DeleteTopic',
            'SNS:Subscribe',
            'SNS:ListSubscriptionsByTopic',
            'SNS:Publish',
          ],
          Resource: topicArn,
          Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
        },
      ],
    },
  };
}

/** An `AWS::Lambda::Permission` as the statement Lambda adds to the function's policy. */
function permissionStatement(id: string, properties: Record<string, string>, functionArn: string): Statement {
  const principal = String(properties.Principal);
  const conditions: Record<string, Record<string, string>> = {};
  if (properties.SourceArn) conditions.ArnLike = { 'aws:SourceArn': properties.SourceArn };
  if (properties.SourceAccount) conditions.StringEquals = { 'aws:SourceAccount': properties.SourceAccount };
  return {
    Sid: id,
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: String(properties.Action),
    Resource: functionArn,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

/**
 * IAM's decision on `request`, with `@cloud-copilot/iam-simulate`: a role's identity policies
 * (resolved from the template) and the resource's policy, or for a service principal the
 * resource policy alone. Every call is over TLS from this account, as the SDK and AWS services
 * make them. A request the simulator cannot evaluate (an unknown action, an ARN that is not the
 * action's resource type) throws with its reasons.
 */
export async function decide(template: StackTemplate, request: IamRequest): Promise<IamDecision> {
  const resolver = new TemplateResolver(template, request.names);
  const identity =
    'role' in request.principal
      ? resolver.rolePolicies(request.principal.role).map(({ name, policy }) => ({ name, policy }))
      : [];
  const isAssume = request.action.toLowerCase() === 'sts:assumerole';
  const resourcePolicy =
    isAssume && 'service' in request.principal
      ? trustFor(resolver, request.resource)
      : resolver.resourcePolicy(request.resource);
  const principal =
    'role' in request.principal
      ? `arn:aws:sts::${ACCOUNT}:assumed-role/${resolver.name(request.principal.role)}/${request.principal.session ?? 'session'}`
      : request.principal.service;
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    ...('role' in request.principal
      ? {
          'aws:PrincipalArn': resolver.getAtt(request.principal.role, 'Arn'),
          'aws:PrincipalAccount': ACCOUNT,
        }
      : { 'aws:SourceOwner': ACCOUNT }),
    ...request.context,
  };
  const simulation = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: identity,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.policy } : {}),
    },
    {},
  );
  if (simulation.resultType === 'error') {
    throw new Error(
      `cannot evaluate ${request.action} on ${request.resource}: ${JSON.stringify(simulation.errors)}`,
    );
  }
  return {
    result: simulation.overallResult,
    evaluated: [...identity.map(({ name }) => name), ...(resourcePolicy ? [resourcePolicy.name] : [])],
  };
}

/** The trust policy of the template's role whose ARN is `roleArn`. */
function trustFor(resolver: TemplateResolver, roleArn: string) {
  const found = resolver.resourcesOf('AWS::IAM::Role').find(([id]) => resolver.getAtt(id, 'Arn') === roleArn);
  if (!found) throw new Error(`no role of the template has the ARN ${roleArn}`);
  return { name: `${found[0]}.AssumeRolePolicyDocument`, policy: resolver.trustPolicy(found[0]) };
}

/** One denied call, with everything a reader needs to find it. */
export interface Denial {
  caller: string;
  action: string;
  resource: string;
  result: EvaluationResult;
  scenarios: string[];
  evaluated: string[];
}

/**
 * Evaluates every call against its caller's role (the role of the function whose logical id
 * `caller` is) and the resource's policy: the denials, one per distinct call, each with every
 * scenario that made it. A call to a service the recorder had no target for is a denial too.
 */
export async function denials(template: StackTemplate, calls: readonly AwsCall[]): Promise<Denial[]> {
  const distinct = new Map<string, { call: AwsCall; scenarios: Set<string> }>();
  for (const call of calls) {
    const key = JSON.stringify([call.caller, call.action, call.resource, call.names]);
    const entry = distinct.get(key) ?? { call, scenarios: new Set<string>() };
    entry.scenarios.add(call.scenario);
    distinct.set(key, entry);
  }
  const found: Denial[] = [];
  for (const { call, scenarios } of distinct.values()) {
    const resolver = new TemplateResolver(template, call.names);
    const caller = resolver.path(call.caller);
    if (call.action.startsWith('unknown:')) {
      found.push({ ...call, caller, result: 'ImplicitlyDenied', scenarios: [...scenarios], evaluated: [] });
      continue;
    }
    const role = resolver.functionRole(call.caller);
    const decision = await decide(template, {
      principal: { role, session: resolver.name(call.caller) },
      action: call.action,
      resource: call.resource,
      names: call.names,
    });
    if (decision.result !== 'Allowed') {
      found.push({
        caller,
        action: call.action,
        resource: call.resource,
        result: decision.result,
        scenarios: [...scenarios],
        evaluated: decision.evaluated,
      });
    }
  }
  return found;
}

/** A denial as one paragraph: who, what, on what, why, and in which scenario. */
export function describeDenial(denial: Denial): string {
  return [
    `the function ${denial.caller} is ${denial.result === 'ExplicitlyDenied' ? 'explicitly' : 'implicitly'} denied ${denial.action} on ${denial.resource}`,
    `  evaluated: ${denial.evaluated.join(', ') || 'nothing: no target serves this service'}`,
    ...denial.scenarios.map((scenario) => `  made by: ${scenario}`),
  ].join('\n');
}

/**
 * Fails, naming each denied call, unless IAM allows every one of `calls`: in AWS, each denial is
 * an AccessDeniedException in the code path its scenario names.
 */
export async function expectAllowed(template: StackTemplate, calls: readonly AwsCall[]): Promise<void> {
  const found = await denials(template, calls);
  if (found.length > 0) {
    throw new Error(
      `IAM would deny ${found.length} of the recorded calls:\n\n${found.map(describeDenial).join('\n\n')}`,
    );
  }
}

/** One grant of a role's policies: an action on a resource, as the template writes them. */
export interface Grant {
  action: string;
  /** The resource by construct path (`Connections`, `Connections.StreamArn`), or `*`. */
  resource: string;
}

/**
 * The grants of function `functionId`'s role that none of `uses` (its recorded calls, and the
 * calls AWS makes with its role: Lambda writing its logs, the stream mapping) needs: each
 * Allow statement's actions times its resources, less those some use matches.
 */
export function unusedGrants(template: StackTemplate, functionId: string, uses: readonly AwsCall[]): Grant[] {
  const plain = new TemplateResolver(template);
  const role = plain.functionRole(functionId);
  const own = uses.filter((use) => use.caller === functionId);
  const unused: Grant[] = [];
  const policies = plain.rolePolicies(role).map(({ name }) => name);
  for (const policyName of policies) {
    const raw = rawPolicy(template, role, policyName);
    for (const statement of raw.Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of list(statement.Action)) {
        for (const resource of list(statement.Resource ?? '*') as unknown[]) {
          const used = own.some((use) => {
            const pattern = String(new TemplateResolver(template, use.names).resolve(resource));
            return matches(action, use.action) && matches(pattern, use.resource);
          });
          if (!used) unused.push({ action, resource: render(plain, resource) });
        }
      }
    }
  }
  return unused;
}

/** The policy `name` of role `roleId` as the template writes it, intrinsics unresolved. */
function rawPolicy(template: StackTemplate, roleId: string, name: string): PolicyDocument {
  const attached = template.Resources[name];
  if (attached) return attached.Properties?.PolicyDocument as PolicyDocument;
  const inline = (template.Resources[roleId]?.Properties?.Policies ?? []) as {
    PolicyName: string;
    PolicyDocument: PolicyDocument;
  }[];
  const found = inline.find((each) => `${roleId}/${each.PolicyName}` === name);
  if (!found) throw new Error(`no policy ${name} on ${roleId}`);
  return found.PolicyDocument;
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** IAM's wildcard match, case-insensitive as actions are (ARNs seldom differ by case alone). */
function matches(pattern: string, value: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 'i').test(value);
}

/** A template value by construct path: `{ Fn::GetAtt: [Connections…, StreamArn] }` is `Connections.StreamArn`. */
function render(resolver: TemplateResolver, value: unknown): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return resolver.path(ref);
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt)
    return getAtt[1] === 'Arn' ? resolver.path(getAtt[0]) : `${resolver.path(getAtt[0])}.${getAtt[1]}`;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => render(resolver, part)).join(join[0]);
  return JSON.stringify(value);
}
