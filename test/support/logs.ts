import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { jest } from '@jest/globals';
import { DeliveryLog } from '../../src/observability/delivery-log';
import { SERVICE_NAME } from '../../src/observability/names';

export interface CapturedOutput {
  /** Everything written to stdout and stderr since the capture began, as written. */
  text(): string;
  /** Every JSON line written: log lines have `level` and `message`, metric lines `_aws`. */
  lines(): Record<string, unknown>[];
  /** The log lines whose message is `message`. */
  logLines(message?: string): Record<string, unknown>[];
  /** Stops capturing; the streams write as before. */
  restore(): void;
}

/**
 * Captures what the process writes to stdout and stderr, where Powertools Logger (info to
 * stdout, warnings and errors to stderr) and Metrics write, instead of printing it.
 */
export function captureOutput(): CapturedOutput {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  const lines = () =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    text: () => written.join(''),
    lines,
    logLines: (message) =>
      lines().filter((line) => 'level' in line && (message === undefined || line.message === message)),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/**
 * A logger that keeps its lines instead of printing them: Powertools Logger itself, at `INFO`,
 * with only its last step (the write to the console) replaced, so the lines have the shape
 * the function's have.
 */
export class RecordingLogger extends Logger {
  readonly lines: string[] = [];

  constructor(options: { stage: string }) {
    super({ serviceName: SERVICE_NAME, logLevel: 'INFO', persistentKeys: { stage: options.stage } });
    this.stage = options.stage;
  }

  private readonly stage: string;

  /** The receiver's line per delivery, as the local run writes it (no metrics), kept with these lines. */
  deliveryLog(): DeliveryLog {
    return new DeliveryLog({
      stage: this.stage,
      logLevel: 'info',
      metrics: false,
      write: (line) => {
        this.lines.push(line.trimEnd());
      },
    });
  }

  protected override printLog(_level: number, log: LogItem): void {
    this.lines.push(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  /** The recorded lines whose message is `message`, parsed. */
  logLines(message?: string): Record<string, unknown>[] {
    return this.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => message === undefined || line.message === message);
  }
}
