/**
 * How the Lambda bundle is built, in plain values (no aws-cdk-lib), so that the stack, the
 * benchmark's bare function and its esbuild metafile all come from the very same settings.
 */

/**
 * Lets bundled CommonJS dependencies call `require` for Node built-ins: an ESM bundle has no
 * `require` of its own, and esbuild's shim throws "Dynamic require of ... is not supported".
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The Lambda runtime's Node.js. */
export const BUNDLE_TARGET = 'node24';

/** Prefer the ES module builds of dependencies (the AWS SDK ships both). */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/**
 * Every esbuild setting NodejsFunction is given, under aws-lambda-nodejs's names. The SDK is
 * bundled (no externals): the versions in package-lock.json, which the tests ran against.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  // Shipped for src/observability/stack-trace.ts, which reads it when it first logs a stack: no
  // --enable-source-maps, which parsed all of it on every cold start (about 15% of the time).
  sourceMap: true,
  // Mapped stack traces need only the line mappings, not a copy of every source file.
  sourcesContent: false,
  target: BUNDLE_TARGET,
  format: 'esm',
  mainFields: BUNDLE_MAIN_FIELDS,
  banner: ESM_REQUIRE_BANNER,
} as const;
