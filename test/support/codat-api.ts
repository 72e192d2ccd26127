import {
  type FakeCodatApi,
  type FakeCodatApiOptions,
  startFakeCodatApi,
} from '../../local/fake-codat-api/server';
import { CodatApi, type CodatApiOptions } from '../../src/reconcile/codat-api';

/** A clock that moves only when the client sleeps, and remembers every wait it was asked for. */
export interface FakeTime {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
}

export function fakeTime(start = Date.UTC(2026, 0, 1)): FakeTime {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    sleeps,
  };
}

/** The fake API and a client talking to it over loopback, on fake time; the jitter is a fixed half. */
export async function apiAndClient(
  fakeOptions: FakeCodatApiOptions = {},
  clientOptions: Partial<CodatApiOptions> = {},
): Promise<{ fake: FakeCodatApi; client: CodatApi; time: FakeTime }> {
  const time = fakeTime();
  const fake = await startFakeCodatApi({ now: time.now, ...fakeOptions });
  const client = new CodatApi({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    ...clientOptions,
    environment: { now: time.now, sleep: time.sleep, random: () => 0.5, ...clientOptions.environment },
  });
  return { fake, client, time };
}

export async function allPages(client: CodatApi, pageSize?: number) {
  const pages = [];
  for await (const page of client.companyPages({ pageSize })) pages.push(page);
  return pages;
}
