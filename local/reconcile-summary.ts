import type { WalkOutcome } from '../src/reconcile/run-walk';

/**
 * What `npm run reconcile` prints at the end: the counts, then every problem (each invalid item
 * by page, path, company and connection), and what to do next.
 */
export function walkSummary(outcome: WalkOutcome, dryRun: boolean): string {
  const { totals, requests } = outcome.progress;
  const verb = dryRun ? 'would be ' : '';
  return [
    `${outcome.complete ? 'Complete' : 'INCOMPLETE'} walk ${outcome.progress.walkId}${dryRun ? ' (dry run: nothing written)' : ''}`,
    `  companies ${totals.companies}, connections ${totals.connections}, pages ${totals.pages}`,
    `  ${verb}created ${totals.created}, ${verb}updated ${totals.updated}, unchanged ${totals.unchanged}, ` +
      `${verb}tombstoned ${totals.tombstoned}, newer event kept ${totals.newerKept}, invalid items ${totals.invalid}`,
    `  API requests ${requests.requests}, retries ${requests.retries}, throttled ${requests.throttles}`,
    `  ${outcome.seconds.toFixed(1)} s`,
    ...outcome.problems.map((problem) => `  not complete: ${problem}`),
    ...(outcome.complete ? [] : [`  nothing was deleted; ${nextStep(outcome)}`]),
  ].join('\n');
}

/** A refused key is not mended by running again; anything else may be. */
function nextStep(outcome: WalkOutcome): string {
  if (outcome.progress.failedPages.some((page) => page.apiKeyRefused))
    return 'the API key was refused: set CODAT_API_KEY to a key from the Codat portal and run it again';
  if (outcome.progress.totals.invalid > 0)
    return 'the items named above must be fixed at the provider (or their refusal here) before a walk can delete';
  return 'run it again once the API answers every page';
}
