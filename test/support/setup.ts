/**
 * Runs before every test file (jest `setupFiles`): the suite is quiet by default. A logger made
 * without an explicit level reads POWERTOOLS_LOG_LEVEL; a test that expects a line makes its
 * logger with a level and captures the output with `captureOutput`.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION ??= 'local';
