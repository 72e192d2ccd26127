// The local page: reads the local server's own routes (GET /companies, a connection's history,
// GET /events) and shows them, read again every few seconds. Plain DOM, no framework, no build:
// the markup is index.html's templates, filled in here with text only (nothing read is HTML).

/** How often to read again, in milliseconds: `?refresh=` (at least 200), or every 3 s. */
const REFRESH_MS = Math.max(200, Number(new URLSearchParams(location.search).get('refresh')) || 3000);
/** GET /companies pages read at most, of the largest size the route gives. */
const COMPANY_PAGES = 5;
const COMPANIES_PER_PAGE = 200;
const EVENTS_SHOWN = 20;

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
/** The answers last drawn, so that nothing is redrawn (and no click is lost) when none changed. */
const drawn = { companies: '', events: '', history: '' };
/** The connection whose history is open, and the cursors of the older pages asked for. */
let selected;

/**
 * A copy of template `id`, each `[data-field]` or `[data-testid]` named in `fields` given its
 * value as text: a `.status` also as `data-status`, a `time` as its date. `undefined`, `null` or ''
 * hides the element; `true` shows it as it is.
 */
function fill(id, fields) {
  const copy = document.getElementById(id).content.cloneNode(true);
  for (const [name, value] of Object.entries(fields)) {
    const target = copy.querySelector(`[data-field="${name}"], [data-testid="${name}"]`);
    target.hidden = value === undefined || value === null || value === '';
    if (target.hidden || value === true) continue;
    if (target.classList.contains('status')) target.dataset.status = value;
    if (target.localName === 'time') {
      target.dateTime = value;
      target.title = value;
    }
    target.textContent = target.localName === 'time' ? new Date(value).toLocaleString() : String(value);
  }
  return copy;
}

/** 90061000 → "1 d 1 h", 61000 → "1 min 1 s": the two largest units. */
function duration(milliseconds) {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const units = { d: 86_400_000, h: 3_600_000, min: 60_000, s: 1000 };
  const parts = [];
  let rest = milliseconds;
  for (const [name, size] of Object.entries(units)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || parts.length > 0) parts.push([count, name]);
  }
  return parts
    .slice(0, 2)
    .filter(([count]) => count > 0)
    .map((part) => part.join(' '))
    .join(' ');
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

async function readCompanies() {
  const companies = [];
  const params = new URLSearchParams({ limit: String(COMPANIES_PER_PAGE) });
  for (let page = 0; page < COMPANY_PAGES; page += 1) {
    const { status, body } = await getJson(`/companies?${params}`);
    if (status !== 200)
      throw new Error(`GET /companies answered ${status} ${body.reason ?? body.error ?? ''}`);
    companies.push(...body.companies);
    if (!body.nextCursor) return { companies, more: false };
    params.set('cursor', body.nextCursor);
  }
  return { companies, more: true };
}

function renderCompanies({ companies, more }) {
  byTestId('companies-empty').hidden = companies.length > 0;
  byTestId('companies-more').hidden = !more;
  byTestId('companies').replaceChildren(
    ...companies.map((company) => {
      const article = fill('company', { 'company-name': company.companyName, companyId: company.companyId });
      article.firstElementChild.dataset.companyId = company.companyId;
      article
        .querySelector('tbody')
        .append(...company.connections.map((stored) => connectionRow(company, stored)));
      return article;
    }),
  );
}

function connectionRow(company, { connection, lastEvent, deleted }) {
  const row = fill('connection', {
    platformName: connection.platformName,
    connectionId: connection.id,
    sourceType: connection.sourceType,
    'connection-status': connection.status,
    deleted: deleted ? 'deleted' : undefined,
    lastEventType: lastEvent.type,
    lastEventAt: lastEvent.generatedDate,
  });
  const open = selected?.companyId === company.companyId && selected?.connectionId === connection.id;
  row.firstElementChild.dataset.connectionId = connection.id;
  if (open) row.firstElementChild.setAttribute('aria-current', 'true');
  row.querySelector('button').addEventListener('click', () => {
    const label = `${company.companyName}, ${connection.platformName}`;
    selected = { companyId: company.companyId, connectionId: connection.id, label, cursors: [] };
    drawn.companies = ''; // redrawn, to mark the open row
    refresh();
  });
  return row;
}

/** The history's newest page (read again on each refresh), and the older ones asked for. */
async function readHistory() {
  const { companyId, connectionId, cursors } = selected;
  const path = `/companies/${encodeURIComponent(companyId)}/connections/${encodeURIComponent(connectionId)}/history`;
  const pages = [await getJson(path)];
  for (const cursor of cursors) pages.push(await getJson(`${path}?${new URLSearchParams({ cursor })}`));
  return { key: `${companyId}/${connectionId}`, pages };
}

function historyProblem({ status, body }) {
  return `History could not be read: the server answered ${status} ${body.reason ?? body.error ?? ''}`;
}

function renderHistory({ pages }) {
  const failed = pages.find((page) => page.status !== 200);
  const changes = failed ? [] : pages.flatMap((page) => page.body.changes);
  // The time in each status over the span read, as the route gives it for its first page.
  const spent = failed ? [] : Object.entries(pages[0].body.timeInStatus?.inStatusMs ?? {});
  const older = failed ? undefined : pages.at(-1).body.nextCursor;
  const view = fill('history', {
    label: selected.label,
    connectionId: selected.connectionId,
    'history-message': failed
      ? historyProblem(failed)
      : changes.length
        ? undefined
        : 'No change recorded yet.',
    'time-in-status': spent.length ? true : undefined,
    spent: spent.map(([status, ms]) => `${status} ${duration(ms)}`).join(', '),
    older: older ? true : undefined,
  });
  view.querySelector('[data-testid="history-changes"]').append(...changes.map(changeItem));
  view.querySelector('[data-field="older"]').addEventListener('click', () => {
    selected.cursors.push(older);
    refresh();
  });
  byTestId('history').replaceChildren(view);
}

/** One history item (docs/history.md): its statuses, what caused it, and the errors it had. */
function changeItem({
  at,
  previousStatus,
  status,
  deleted,
  cause,
  dataConnectionErrors,
  dataConnectionErrorsOmitted,
}) {
  const count = (dataConnectionErrors?.length ?? 0) + (dataConnectionErrorsOmitted ?? 0);
  const by = cause.walkId ? `(walk ${cause.walkId})` : `(event ${cause.eventId})`;
  return fill('change', {
    at,
    previous: previousStatus ? true : undefined,
    previousStatus,
    'change-status': status,
    deleted: deleted ? 'deleted' : undefined,
    'change-cause': `${cause.eventType} ${by}`,
    errors: count ? `${count} error${count === 1 ? '' : 's'}` : undefined,
  });
}

function renderEvents(events) {
  const latest = events.slice(-EVENTS_SHOWN).reverse();
  byTestId('events-empty').hidden = latest.length > 0;
  byTestId('events').replaceChildren(
    ...latest.map(({ time, 'detail-type': type, detail }) => {
      const item = fill('event', {
        time,
        type,
        previous: detail.previousStatus ? true : undefined,
        previousStatus: detail.previousStatus,
        'event-status': detail.status,
        summary: detail.summary,
      });
      item.firstElementChild.dataset.connectionId = detail.connectionId;
      return item;
    }),
  );
}

/** Draws `value` with `render` unless it is what was drawn last. */
function draw(part, value, render) {
  const text = JSON.stringify(value);
  if (text === drawn[part]) return;
  drawn[part] = text;
  render(value);
}

async function readAndDraw() {
  const [companies, events, history] = await Promise.allSettled([
    readCompanies(),
    getJson('/events'),
    selected ? readHistory() : undefined,
  ]);
  const problems = [companies, events, history].flatMap((read) =>
    read.status === 'rejected' ? [read.reason.message] : [],
  );
  if (companies.status === 'fulfilled') draw('companies', companies.value, renderCompanies);
  if (events.value?.status === 200) draw('events', events.value.body.events, renderEvents);
  else if (events.value) problems.push(`GET /events answered ${events.value.status}`);
  if (history.value) draw('history', history.value, renderHistory);
  byTestId('refresh-error').textContent = problems.length
    ? `Could not read everything (is npm start running?): ${problems.join('; ')}`
    : '';
  const refreshed = byTestId('refreshed-at');
  refreshed.dateTime = new Date().toISOString();
  refreshed.textContent = new Date().toLocaleTimeString();
}

let running = Promise.resolve();
/** Reads every part again and redraws what changed; one read at a time, in the order asked. */
function refresh() {
  running = running.then(() =>
    readAndDraw().catch((error) => {
      byTestId('refresh-error').textContent = `The page could not draw what it read: ${error.message}`;
    }),
  );
  return running;
}

byTestId('refresh-interval').textContent = duration(REFRESH_MS);
const tick = () => refresh().then(() => setTimeout(tick, REFRESH_MS));
tick();
