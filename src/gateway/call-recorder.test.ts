import { expect, it } from 'vitest';
import { describeEachDatabase, silentLogger } from '../../test/helpers/database.ts';
import { CallRecorder, type CallRecord } from './call-recorder.ts';

function record(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    run_id: 'run-1',
    connection_id: 'gl',
    project_path: 'demo/app',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    method: 'POST',
    path: '/v1/messages',
    status: 200,
    streaming: true,
    input_tokens: 12,
    output_tokens: 34,
    cache_read_tokens: 5,
    cache_write_tokens: 6,
    cost_usd: 0.000123,
    duration_ms: 1.5,
    ttfb_ms: 0.25,
    error_code: null,
    error: null,
    request_body: null,
    response_body: null,
    started_at: new Date('2026-11-25T10:00:00.123Z'),
    ...overrides,
  };
}

describeEachDatabase('call recorder', (getDatabase) => {
  it('writes batches whose text survives quotes, braces, commas, backslashes, newlines and NULLs', async () => {
    const recorder = new CallRecorder(getDatabase().db, silentLogger(), { batchSize: 2 });
    const awkward = 'a "quoted", {braced} \\ back\\slash\nnew line, NULL, ü ✓ 🙂';
    recorder.push(record());
    recorder.push(
      record({ run_id: null, model: null, ttfb_ms: null, cost_usd: null, streaming: false }),
    );
    recorder.push(
      record({
        error_code: 'upstream_error',
        error: awkward,
        request_body: '{"a":[1,2]}',
        response_body: 'NULL',
      }),
    );
    await recorder.flush();

    const rows = await getDatabase()
      .db.selectFrom('gateway_calls')
      .selectAll()
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ ...record(), id: expect.anything() as unknown });
    expect(rows[1]).toMatchObject({
      run_id: null,
      model: null,
      ttfb_ms: null,
      cost_usd: null,
      streaming: false,
    });
    expect(rows[2]).toMatchObject({
      error: awkward,
      request_body: '{"a":[1,2]}',
      response_body: 'NULL',
    });
  });

  it('drops a batch the database refuses without failing, and keeps recording', async () => {
    const recorder = new CallRecorder(getDatabase().db, silentLogger());
    recorder.push(record({ provider: 'mistral' as CallRecord['provider'] }));
    await expect(recorder.flush()).resolves.toBeUndefined();
    recorder.push(record());
    await recorder.flush();
    const rows = await getDatabase().db.selectFrom('gateway_calls').select('provider').execute();
    expect(rows).toEqual([{ provider: 'anthropic' }]);
  });
});
