import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const REMARK = join(ROOT, 'node_modules', 'remark-cli', 'cli.js');
const VALIDATE_LINKS = join(ROOT, 'node_modules', 'remark-validate-links', 'index.js');

/**
 * remark-validate-links over `paths` (files or folders, relative to `cwd`), as its CLI runs it,
 * so that it sees every file at once and checks anchors into other files too: each relative link
 * must name a file that exists and, with `#…`, a heading of it (GitHub's anchors). It reads no
 * configuration file, treats no link as a web address of this repository, and fetches nothing.
 * `--frail` turns its warnings into a non-zero exit.
 */
function checkLinks(cwd: string, paths: string[]): Promise<{ status: number | null; report: string }> {
  const args = ['--no-config', '--no-ignore', '--no-color', '--frail', '--quiet', '--no-stdout'];
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [REMARK, ...args, '--use', `${VALIDATE_LINKS}=repository:false`, ...paths],
      { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } },
    );
    let report = '';
    child.stdout.on('data', (chunk: Buffer) => (report += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (report += chunk.toString()));
    child.on('close', (status) => resolve({ status, report: report.trim() }));
  });
}

describe('the links of the README and docs/', () => {
  it('all point to files that exist and to headings those files have', async () => {
    const result = await checkLinks(ROOT, ['README.md', 'docs']);

    expect(result).toEqual({ status: 0, report: '' });
  });
});

describe('the link check', () => {
  let folder: string;
  let server: ReturnType<typeof createServer>;
  let webRequests = 0;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'docs-links-'));
    server = createServer((_request, response) => {
      webRequests += 1;
      response.end('# Somewhere\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(folder, { recursive: true, force: true });
  });

  it('fails on a missing file, a missing heading in another file or its own, and fetches no web address', async () => {
    const { port } = server.address() as AddressInfo;
    await mkdir(join(folder, 'docs'), { recursive: true });
    await writeFile(
      join(folder, 'docs', 'guide.md'),
      '# Guide\n\n## The real heading\n\nBack to [the top](../README.md#top).\n',
    );
    await writeFile(
      join(folder, 'README.md'),
      [
        '# Top',
        '',
        '[fine](docs/guide.md#the-real-heading), [gone](docs/guide.md#a-heading-it-lost),',
        `[missing](docs/missing.md), [here](#nowhere), [web](http://127.0.0.1:${port}/page#anchor).`,
        '',
      ].join('\n'),
    );

    const { status, report } = await checkLinks(folder, ['README.md', 'docs']);

    expect(status).toBe(1);
    expect(report).toContain('Cannot find heading for `#a-heading-it-lost` in `docs/guide.md`');
    expect(report).toContain('Cannot find file `docs/missing.md`');
    expect(report).toContain('Cannot find heading for `#nowhere`');
    expect(report).toContain('3 warnings');
    expect(webRequests).toBe(0);
  });
});
