import { readHistoryWriterConfig } from '../src/history/writer-config';

describe('the history writer’s environment', () => {
  it('reads the table, the days to keep an item, the stage and the log level as the stack sets them', () => {
    expect(
      readHistoryWriterConfig({
        HISTORY_TABLE_NAME: 'CodatConnections-dev-HistoryTable',
        HISTORY_DAYS: '30',
        STAGE: 'dev',
        LOG_LEVEL: 'warn',
      }),
    ).toEqual({
      historyTableName: 'CodatConnections-dev-HistoryTable',
      historyDays: 30,
      stage: 'dev',
      logLevel: 'warn',
    });
  });

  it('keeps items 400 days when HISTORY_DAYS is not set', () => {
    expect(readHistoryWriterConfig({ HISTORY_TABLE_NAME: 'history' }).historyDays).toBe(400);
  });

  it('refuses to start without a table, or with days that are not a whole number, naming every problem', () => {
    expect(() => readHistoryWriterConfig({ HISTORY_DAYS: '1.5' })).toThrow(
      /HISTORY_TABLE_NAME is required.*HISTORY_DAYS must be a whole number/,
    );
  });
});
