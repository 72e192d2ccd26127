import { randomUUID } from 'node:crypto';
import type { ConnectionEventType } from '../src/connection/schema';

/** The company and connection that `npm run send` talks about unless told otherwise. */
export const SAMPLE_COMPANY_ID = '0498e921-9b53-4396-a412-4f2f5983b0a2';
export const SAMPLE_CONNECTION_ID = 'ee2eb431-c0fa-4dc9-93fa-d29781c12bcd';

/** The status each event type usually carries (shared/PROVIDER.md). */
const USUAL_STATUS: Record<ConnectionEventType, string> = {
  'connection.created': 'PendingAuth',
  'connection.connected': 'Linked',
  'connection.disconnected': 'Unlinked',
  'connection.reconnected': 'Linked',
  'connection.failed': 'PendingAuth',
  'connection.deleted': 'Linked',
};

export interface SampleEventOptions {
  eventType: string;
  eventId?: string;
  companyId?: string;
  connectionId?: string;
  status?: string;
  generatedDate?: string;
}

/** A delivery shaped like the ones Codat sends, for the local run, the tests and the benchmarks. */
export function sampleEvent(options: SampleEventOptions) {
  const companyId = options.companyId ?? SAMPLE_COMPANY_ID;
  const connectionId = options.connectionId ?? SAMPLE_CONNECTION_ID;
  const status = options.status ?? USUAL_STATUS[options.eventType as ConnectionEventType] ?? 'Linked';
  const failed = options.eventType === 'connection.failed';
  return {
    id: options.eventId ?? randomUUID(),
    eventType: options.eventType,
    generatedDate: options.generatedDate ?? new Date().toISOString(),
    payload: {
      referenceCompany: {
        id: companyId,
        name: 'Toft stores',
        description: null,
        links: { portal: `https://app.codat.io/companies/${companyId}/summary` },
        tags: { region: 'us' },
      },
      connection: {
        id: connectionId,
        integrationId: 'bf083d72-62c7-493e-aec9-81b4dbba7e2c',
        integrationKey: 'dfxm',
        sourceId: 'bdd831ce-eebd-4896-89a7-20e5ee8989ee',
        sourceType: 'Banking',
        platformName: 'Basiq',
        linkUrl: `https://link-api.codat.io/companies/${companyId}/connections/${connectionId}/start`,
        status,
        lastSync: status === 'Linked' ? '2022-10-27T10:22:43.6464237Z' : null,
        created: '2022-10-27T09:53:29Z',
        dataConnectionErrors: failed
          ? [
              {
                statusCode: '401',
                statusText: 'Unauthorized',
                errorMessage: 'The bank refused the credentials.',
                erroredOnUtc: '2022-10-27T10:00:00Z',
                status: 'Active',
                resolvedOnUtc: null,
              },
            ]
          : null,
        connectionInfo: { region: 'au', accounts: 2 },
      },
    },
  };
}

/**
 * A company event (`company.created`, `company.deleted`) as Codat sends it: the payload is the
 * company itself, with no `referenceCompany`.
 */
export function sampleCompanyEvent(
  options: Pick<SampleEventOptions, 'eventType' | 'eventId' | 'companyId' | 'generatedDate'>,
) {
  const companyId = options.companyId ?? SAMPLE_COMPANY_ID;
  return {
    id: options.eventId ?? randomUUID(),
    eventType: options.eventType,
    generatedDate: options.generatedDate ?? new Date().toISOString(),
    payload: {
      id: companyId,
      name: 'Toft stores',
      description: null,
      platform: '',
      redirect: `https://link.codat.io/company/${companyId}`,
      created: '2022-10-27T09:53:29Z',
      dataConnections: [],
    },
  };
}
