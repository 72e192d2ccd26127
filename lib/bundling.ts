/**
 * How the Lambda bundle is built, in plain values (no aws-cdk-lib), so that the stack and the
 * benchmark build the very same bundle.
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
