/**
 * A Codat account for the fake API: companies with their connections, made deterministically
 * from a seed so that a test or a benchmark sees the same account every run. Records are the
 * JSON shapes of the provider's OpenAPI file (Company, Connection, WebhookConsumer), kept once in
 * a flat array; the server serializes a page's slice per request and copies nothing else.
 */

import { seededRandom } from '../seeded-random';

export type Json = Record<string, unknown>;

export interface FakeConnection extends Json {
  id: string;
}

export interface FakeCompany extends Json {
  id: string;
  name: string;
  dataConnections: FakeConnection[];
}

export interface FakeWebhookConsumer extends Json {
  id: string;
  url: string;
  disabled: boolean | null;
  eventTypes: string[];
}

export interface AccountOptions {
  /** @default 10 */
  companies?: number;
  /** @default 2 */
  connectionsPerCompany?: number;
  /** Same seed, same account. @default 1 */
  seed?: number;
}

const STATUSES = ['Linked', 'PendingAuth', 'Unlinked', 'Deauthorized'] as const;

/** Real platforms, so the fake's data reads like the provider's. */
const PLATFORMS = [
  { key: 'dfxm', name: 'Basiq', sourceType: 'Banking' },
  { key: 'gbol', name: 'Xero', sourceType: 'Accounting' },
  { key: 'akxx', name: 'Oracle NetSuite', sourceType: 'Accounting' },
  { key: 'vjms', name: 'Pandle', sourceType: 'Accounting' },
  { key: 'mtvn', name: 'Shopify', sourceType: 'Commerce' },
  { key: 'zsth', name: 'Lloyds', sourceType: 'BankFeed' },
  { key: 'xpnz', name: 'Expensify', sourceType: 'Expense' },
  { key: 'othr', name: 'Other platform', sourceType: 'Other' },
  { key: 'unkn', name: 'Legacy platform', sourceType: 'Unknown' },
] as const;

/** The three date-time forms the provider sends, with up to 7 fractional digits. */
const DATE_FORMS = [
  (day: number) => `2023-01-${pad(day)}T06:00:00Z`,
  (day: number) => `2023-02-${pad(day)}T01:00:00`,
  (day: number) => `2023-03-${pad(day)}T01:00:00-05:00`,
  (day: number) => `2023-04-${pad(day)}T10:22:43.6464237Z`,
];

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

export class FakeAccount {
  readonly companies: FakeCompany[] = [];
  webhookConsumers: FakeWebhookConsumer[];
  private readonly byId = new Map<string, FakeCompany>();
  private readonly random: () => number;
  private made = 0;
  private connectionCountSoFar = 0;

  constructor(options: AccountOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    const count = options.companies ?? 10;
    const perCompany = options.connectionsPerCompany ?? 2;
    for (let index = 0; index < count; index += 1) this.addCompany({}, perCompany);
    this.webhookConsumers = [
      {
        id: this.uuid(),
        url: 'https://example.execute-api.eu-west-1.amazonaws.com/webhooks/codat',
        disabled: false,
        eventTypes: ['connection.created', 'connection.connected', 'connection.disconnected'],
        companyTags: null,
      },
    ];
  }

  get connectionCount(): number {
    return this.companies.reduce((sum, company) => sum + company.dataConnections.length, 0);
  }

  company(companyId: string): FakeCompany | undefined {
    return this.byId.get(companyId);
  }

  connection(companyId: string, connectionId: string): FakeConnection | undefined {
    return this.company(companyId)?.dataConnections.find((connection) => connection.id === connectionId);
  }

  /** Adds a company at the end of the listing; `fields` override the generated ones. */
  addCompany(fields: Partial<FakeCompany> = {}, connections = 0): FakeCompany {
    const index = this.made++;
    const id = fields.id ?? this.uuid();
    const company: FakeCompany = {
      id,
      name: `Company ${index + 1}`,
      description: index % 3 === 0 ? null : `Fake company number ${index + 1}`,
      platform: '',
      redirect: `https://link.codat.io/company/${id}`,
      lastSync: index % 4 === 0 ? null : (DATE_FORMS[index % DATE_FORMS.length]?.(1 + (index % 28)) ?? null),
      created: `2022-11-${pad(1 + (index % 28))}T10:45:18Z`,
      createdByUserName: index % 5 === 0 ? null : 'Dan Tzabar',
      products: ['spend-insights'],
      tags: index % 2 === 0 ? { region: ['us', 'uk', 'au'][index % 3] ?? 'us' } : {},
      referenceSubsidiaryCompanies: [],
      dataConnections: [],
      ...fields,
    };
    this.companies.push(company);
    this.byId.set(id, company);
    for (let n = 0; n < connections; n += 1) this.addConnection(id);
    return company;
  }

  /** Deletes a company and, as the provider does, all its connections. */
  deleteCompany(companyId: string): boolean {
    const index = this.companies.findIndex((company) => company.id === companyId);
    if (index < 0) return false;
    this.companies.splice(index, 1);
    this.byId.delete(companyId);
    return true;
  }

  changeCompany(companyId: string, changes: Json): FakeCompany {
    const company = this.required(companyId);
    Object.assign(company, changes);
    return company;
  }

  addConnection(companyId: string, fields: Json = {}): FakeConnection {
    const company = this.required(companyId);
    const ordinal = company.dataConnections.length;
    const spread = this.connectionCountSoFar++;
    const platform = PLATFORMS[spread % PLATFORMS.length] ?? PLATFORMS[0];
    const status = STATUSES[spread % STATUSES.length] ?? 'Linked';
    const id = typeof fields.id === 'string' ? fields.id : this.uuid();
    const day = 1 + (spread % 28);
    const connection: FakeConnection = {
      id,
      integrationId: this.uuid(),
      ...(spread % 7 === 3 ? {} : { integrationKey: platform.key }),
      sourceId: this.uuid(),
      platformName: platform.name,
      linkUrl: `https://link-api.codat.io/companies/${company.id}/connections/${id}/start`,
      status,
      lastSync: status === 'PendingAuth' ? null : (DATE_FORMS[spread % DATE_FORMS.length]?.(day) ?? null),
      created: DATE_FORMS[(spread + ordinal) % DATE_FORMS.length]?.(day) ?? '2022-10-27T09:53:29Z',
      sourceType: platform.sourceType,
      dataConnectionErrors: status === 'PendingAuth' && spread % 2 === 0 ? [failure(day)] : null,
      connectionInfo: spread % 3 === 0 ? null : { accounts: 1 + (spread % 4), region: 'uk' },
      ...fields,
    };
    company.dataConnections.push(connection);
    return connection;
  }

  deleteConnection(companyId: string, connectionId: string): boolean {
    const company = this.company(companyId);
    const index = company?.dataConnections.findIndex((connection) => connection.id === connectionId) ?? -1;
    if (!company || index < 0) return false;
    company.dataConnections.splice(index, 1);
    return true;
  }

  /** Changes fields of a connection; any value goes, so tests can make one invalid. */
  changeConnection(companyId: string, connectionId: string, changes: Json): FakeConnection {
    const connection = this.connection(companyId, connectionId);
    if (!connection) throw new Error(`no connection ${connectionId} in company ${companyId}`);
    Object.assign(connection, changes);
    return connection;
  }

  private required(companyId: string): FakeCompany {
    const company = this.company(companyId);
    if (!company) throw new Error(`no company ${companyId}`);
    return company;
  }

  /** A version-4-shaped uuid from the seeded generator. */
  private uuid(): string {
    const hex = Array.from({ length: 4 }, () =>
      Math.floor(this.random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join('');
    const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

function failure(day: number): Json {
  return {
    statusCode: '401',
    statusText: 'Unauthorized',
    errorMessage: 'The source platform refused the credentials.',
    erroredOnUtc: `2023-05-${pad(day)}T10:00:00Z`,
    status: 'Active',
    resolvedOnUtc: null,
  };
}
