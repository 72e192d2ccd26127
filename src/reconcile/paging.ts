import { CodatApiError } from '../errors';

/**
 * Page-number paging is only right if the API used the page size asked for: a service that caps
 * it (the OpenAPI file's PagingInfo says at most 2000, its pageSize parameter 5000) would make
 * page 2 start after the first capped page and skip items silently. Refuse such an answer.
 */
function refuseShortPage(
  answer: { results: unknown[]; pageNumber: number; pageSize: number; totalResults: number },
  asked: number,
  path: string,
): void {
  const capped = answer.pageSize > 0 && answer.pageSize < asked;
  const short = answer.results.length < asked && answer.pageNumber * asked < answer.totalResults;
  if (capped || short) {
    throw new CodatApiError(
      path,
      200,
      `asked for pages of ${asked}, got ${answer.results.length} items (pageSize ${answer.pageSize}): paging would skip items; ask for smaller pages`,
    );
  }
}

/**
 * Paging that defends itself: an answer that would make page-number paging loop, or read
 * without end, ends the read at once, named. Refused: an answer for another page than the one
 * asked for (a cache that ignores the query string), a `next` link that does not lead past the
 * page asked for, a page with more items than asked for, and a listing that runs on past its own
 * `totalResults` by more than a page. Returns whether a next page is to be read.
 */
export function checkPaging(
  answer: {
    results: unknown[];
    pageNumber: number;
    pageSize: number;
    totalResults: number;
    _links?: { next?: { href: string } | null | undefined } | undefined;
  },
  asked: { page: number; pageSize: number },
  path: string,
): boolean {
  const url = `${path}?page=${asked.page}&pageSize=${asked.pageSize}`;
  const refuse = (detail: string): never => {
    throw new CodatApiError(url, 200, `${detail}: paging would not end or would skip items`);
  };
  if (answer.pageNumber !== asked.page) refuse(`answered page ${answer.pageNumber}`);
  const next = answer._links?.next?.href;
  if (next !== undefined) {
    const to = Number(new URL(next, 'http://api').searchParams.get('page'));
    if (Number.isInteger(to) && to > 0 && to <= asked.page) refuse(`its next link points back at page ${to}`);
  }
  if (answer.results.length > asked.pageSize || answer.pageSize > asked.pageSize) {
    refuse(
      `asked for pages of ${asked.pageSize}, got ${answer.results.length} items (pageSize ${answer.pageSize})`,
    );
  }
  const before = (asked.page - 1) * asked.pageSize;
  if (answer.results.length > 0 && before >= answer.totalResults + asked.pageSize) {
    refuse(`page ${asked.page} still holds items, more than a page past totalResults ${answer.totalResults}`);
  }
  refuseShortPage(answer, asked.pageSize, path);
  return (
    answer.results.length > 0 && (next !== undefined || asked.page * asked.pageSize < answer.totalResults)
  );
}
