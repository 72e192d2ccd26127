/**
 * How the Lambda bundle is built, in plain values (no aws-cdk-lib), so that the stack, the
 * benchmark's bare function, its esbuild metafile and the tests all come from the very same
 * settings.
 */

/** The Lambda runtime's Node.js. */
export const BUNDLE_TARGET = 'node24';

/** Prefer the ES module builds of dependencies (the AWS SDK ships both). */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/**
 * One CommonJS file, so that every Node.js built-in is loaded with `require`. An ES module
 * bundle imports them at its top (esbuild hoists every static import, here `node:http` from the
 * SDK's instance-metadata credential provider and from @middy/util, neither of which runs in
 * Lambda), and Node builds an ES module facade for each by reading every export, getters
 * included: `node:http`'s getters load undici, about 55 ms of every cold start. The facades of
 * `node:process`, `node:util` and `node:fs` cost more again. The sources stay ES modules (middy
 * ships only those); esbuild converts them.
 */
export const BUNDLE_FORMAT = 'cjs';

/**
 * esbuild rewrites the dynamic imports left in the bundle as `require`, for the same reason: a
 * dynamic import of a built-in builds the same facade. They are the SDK's
 * `await import("node:http")` for an `http://` endpoint (the local run, the tests and the bench
 * talk to loopback; AWS endpoints are `https://`, which never reaches it) and a `node:async_hooks`
 * import for Lambda's multi-concurrency mode.
 */
export const BUNDLE_SUPPORTED = { 'dynamic-import': false } as const;

/**
 * Every esbuild setting NodejsFunction is given, under aws-lambda-nodejs's names; `supported` is
 * passed to it as `esbuildArgs` (lib/node-function.ts). The SDK is bundled (no externals): the
 * versions in package-lock.json, which the tests ran against.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  // Shipped for src/observability/stack-trace.ts, which reads it when it first logs a stack: no
  // --enable-source-maps, which parsed all of it on every cold start (about 7% of the time).
  sourceMap: true,
  // Mapped stack traces need only the line mappings, not a copy of every source file.
  sourcesContent: false,
  target: BUNDLE_TARGET,
  format: BUNDLE_FORMAT,
  mainFields: BUNDLE_MAIN_FIELDS,
  supported: BUNDLE_SUPPORTED,
} as const;

/** `supported` as esbuild's command line takes it (`--supported:dynamic-import=false`). */
export const SUPPORTED_ARGS: Record<string, string> = Object.fromEntries(
  Object.entries(BUNDLE_SUPPORTED).map(([feature, on]) => [`--supported:${feature}`, String(on)]),
);
