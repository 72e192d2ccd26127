/**
 * The one test connection `verify-deploy` writes, and the `company.deleted` that tombstones it.
 * The ids are not UUIDs, so they can never be a real Codat company's: the item is recognisable in
 * the table, on the change-event bus and in the logs, and the reconciler (which only tombstones
 * companies the provider no longer lists) leaves the tombstone as it is.
 */

export const TEST_COMPANY_ID = 'verify-deploy-test-company';
export const TEST_CONNECTION_ID = 'verify-deploy-test-connection';
const TEST_COMPANY_NAME = 'verify-deploy test company (safe to ignore)';

/** A `connection.connected` for the test connection, generated at `at`. */
export function testConnectionEvent(id: string, at: Date) {
  return {
    id,
    eventType: 'connection.connected',
    generatedDate: at.toISOString(),
    payload: {
      referenceCompany: {
        id: TEST_COMPANY_ID,
        name: TEST_COMPANY_NAME,
        description: 'Written by npm run verify-deploy, then tombstoned by its company.deleted',
        links: null,
        tags: { purpose: 'verify-deploy' },
      },
      connection: {
        id: TEST_CONNECTION_ID,
        integrationId: '00000000-0000-0000-0000-000000000000',
        integrationKey: null,
        sourceId: 'verify-deploy',
        sourceType: 'Other',
        platformName: 'verify-deploy',
        linkUrl: 'https://example.invalid/verify-deploy',
        status: 'Linked',
        lastSync: null,
        created: at.toISOString(),
        dataConnectionErrors: null,
        connectionInfo: null,
      },
    },
  };
}

/** The provider's `company.deleted` for the test company: every connection of it becomes a tombstone. */
export function testCompanyDeletedEvent(id: string, at: Date) {
  return {
    id,
    eventType: 'company.deleted',
    generatedDate: at.toISOString(),
    payload: { id: TEST_COMPANY_ID, name: TEST_COMPANY_NAME, description: null, dataConnections: [] },
  };
}
