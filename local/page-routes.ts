import { readFile } from 'node:fs/promises';
import type { Route } from './lambda-http';

/** Where the page's static files are: one HTML file, its script and its stylesheet. */
const PAGE_FOLDER = new URL('./page/', import.meta.url);

/** Each path the page is served on, with its file; nothing else in the folder is served. */
const PAGE_FILES = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/page.js', file: 'page.js', type: 'text/javascript; charset=utf-8' },
  { path: '/page.css', file: 'page.css', type: 'text/css; charset=utf-8' },
] as const;

/**
 * The local page's routes: static files, read on each request so that an edit shows on reload.
 * The page itself reads the same routes anyone can (`/companies`, the connection and history
 * routes, `/events`), so it shows nothing the API does not.
 */
export function pageRoutes(): Route[] {
  return PAGE_FILES.map(({ path, file, type }) => ({
    method: 'GET',
    path,
    handler: async () => ({
      statusCode: 200,
      headers: { 'content-type': type, 'cache-control': 'no-store' },
      body: await readFile(new URL(file, PAGE_FOLDER), 'utf8'),
    }),
  }));
}
