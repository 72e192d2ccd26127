import { readResourceEnvironment } from '../environment';

/** The publisher function's environment, checked once at cold start; throws one message that lists every problem. */
export function readPublisherConfig(env: NodeJS.ProcessEnv) {
  const { resource, ...common } = readResourceEnvironment(env, 'EVENT_BUS_NAME');
  return { eventBusName: resource, ...common };
}
