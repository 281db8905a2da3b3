import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDatabase, silentLogger } from '../../test/helpers/database.ts';
import { AppError } from '../errors/app-error.ts';
import { ConnectionStore } from '../forges/connection-store.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { DeliveryNotStored, DeliveryStore, type Delivery } from './delivery-store.ts';
import { DeliveryWorker, type DeliveryProcessor } from './delivery-worker.ts';

describeEachDatabase('DeliveryWorker', (getDatabase) => {
  let store: DeliveryStore;
  let worker: DeliveryWorker | undefined;

  beforeEach(async () => {
    const { db } = getDatabase();
    await new ConnectionStore(db, new SecretBox(randomBytes(32))).upsertConnection({
      id: 'gl',
      baseUrl: 'https://gitlab.example.com',
      webhookSecret: 's',
    });
    store = new DeliveryStore(db);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  const start = (processor: DeliveryProcessor) => {
    // No poll within a test: only the wake-ups under test can make the worker find work.
    worker = new DeliveryWorker({ store, processor, logger: silentLogger(), pollMs: 3_600_000 });
    worker.start();
    return worker;
  };
  const store1 = (event = 'Note Hook', key = 'k1') =>
    store.insert({ connectionId: 'gl', idempotencyKey: key, event, payload: '{}' });
  const rows = () =>
    getDatabase()
      .db.selectFrom('webhook_deliveries')
      .select(['id', 'event', 'status', 'outcome'])
      .orderBy('id')
      .execute();

  it('commits the decisions and the start job with the outcome, and takes the job at once', async () => {
    let followed: (delivery: Delivery) => void = () => undefined;
    const followUpDone = new Promise<Delivery>((resolve) => (followed = resolve));
    const running = start({
      process: (delivery) => {
        if (delivery.event === 'Follow') {
          followed(delivery);
          return Promise.resolve('followed');
        }
        delivery.writes.decide({
          triggerId: null,
          serviceAccount: 'claude-agent',
          eventType: 'mention',
          decision: 'refused',
          reason: 'no mention trigger',
        });
        delivery.writes.enqueue({
          event: 'Follow',
          idempotencyKey: 'follow:1',
          payload: '{"a":1}',
        });
        return Promise.resolve('acknowledged');
      },
    });
    const { id } = await store1();
    running.notify();
    expect(await running.result(id)).toMatchObject({ status: 'done', outcome: 'acknowledged' });
    expect(await store.decisions(id)).toEqual([
      {
        triggerId: null,
        serviceAccount: 'claude-agent',
        eventType: 'mention',
        decision: 'refused',
        reason: 'no mention trigger',
        runId: null,
      },
    ]);
    const job = await followUpDone;
    expect(job).toMatchObject({ connectionId: 'gl', event: 'Follow', payload: { a: 1 } });
    expect(await running.result(job.id)).toMatchObject({ status: 'done' });
    expect(await rows()).toMatchObject([
      { id, status: 'done', outcome: 'acknowledged' },
      { id: job.id, event: 'Follow', status: 'done', outcome: 'followed' },
    ]);
  });

  it('queues a start job once when the delivery is tried again', async () => {
    let attempts = 0;
    let secondCommitted: () => void = () => undefined;
    const second = new Promise<void>((resolve) => (secondCommitted = resolve));
    const running = start({
      process: (delivery) => {
        if (delivery.event === 'Follow') return Promise.resolve('followed');
        if (delivery.event === 'Marker') {
          secondCommitted();
          return Promise.resolve('marked');
        }
        attempts += 1;
        delivery.writes.enqueue({ event: 'Follow', idempotencyKey: 'follow:1', payload: '{}' });
        if (attempts === 1)
          return Promise.reject(new AppError('FORGE_UNAVAILABLE', 'forge briefly down'));
        // Committed in the same statement as the second outcome: once it runs, that is written.
        delivery.writes.enqueue({ event: 'Marker', idempotencyKey: 'marker:1', payload: '{}' });
        return Promise.resolve('acknowledged');
      },
    });
    const { id } = await store1();
    running.notify();
    await second;
    expect(attempts).toBe(2);
    expect(await store.status(id)).toEqual({ status: 'done', outcome: 'acknowledged' });
    expect((await rows()).filter((r) => r.event === 'Follow')).toHaveLength(1);
  });

  it('keeps the decisions made before processing failed, with the failure', async () => {
    const running = start({
      process: (delivery) => {
        delivery.writes.decide({
          triggerId: null,
          serviceAccount: 'claude-agent',
          eventType: 'stop',
          decision: 'accepted',
          reason: 'stop: cancelled r1',
        });
        return Promise.reject(new AppError('FORGE_FORBIDDEN', 'no access'));
      },
    });
    const { id } = await store1();
    running.notify();
    expect(await running.result(id)).toMatchObject({ status: 'failed', outcome: 'no access' });
    expect((await store.decisions(id)).map((d) => d.reason)).toEqual(['stop: cancelled r1']);
    expect(await store.status(id)).toEqual({ status: 'failed', outcome: 'no access' });
  });

  /** A worker whose claims are recorded; resolves once every slot sleeps. */
  async function countingWorker(
    processor: DeliveryProcessor = { process: () => Promise.resolve('done') },
    concurrency = 16,
  ) {
    const claims: (Delivery | undefined)[] = [];
    let onClaim: () => void = () => undefined;
    const claim: DeliveryStore['claim'] = async (...args) => {
      const claimed = await store.claim(...args);
      claims.push(claimed);
      onClaim();
      return claimed;
    };
    const counting = new Proxy(store, {
      get: (target, property) => {
        if (property === 'claim') return claim;
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const claimsReach = async (n: number) => {
      await new Promise<void>((resolve) => {
        onClaim = () => {
          if (claims.length >= n) resolve();
        };
        onClaim();
      });
      // Let the slot that made the last claim go back to sleep.
      await new Promise((resolve) => setImmediate(resolve));
    };
    const running = new DeliveryWorker({
      store: counting,
      processor,
      logger: silentLogger(),
      concurrency,
      pollMs: 3_600_000,
    });
    worker = running;
    running.start();
    // Every slot looks once at start, finds nothing and sleeps.
    await claimsReach(concurrency);
    claims.length = 0;
    return { running, claims, claimsReach };
  }

  it('wakes one idle slot for a delivery another process stored, not every slot', async () => {
    const { running, claims, claimsReach } = await countingWorker();
    const { id } = await new DeliveryStore(getDatabase().db).insert({
      connectionId: 'gl',
      idempotencyKey: 'elsewhere',
      event: 'Note Hook',
      payload: '{}',
    });
    running.notify();
    expect(await running.result(id)).toMatchObject({ status: 'done' });
    // The slot that took it woke one more, which found nothing, and looked again itself once
    // done: three claims, not seventeen.
    await claimsReach(3);
    expect(claims.map((c) => c?.id ?? null)).toEqual([id, null, null]);
  });

  it('hands a delivery this process stores straight to an idle slot, without a claim', async () => {
    const { running, claims, claimsReach } = await countingWorker();
    const stored = await store1();
    expect(stored).toMatchObject({ duplicate: false, taken: true });
    expect(await running.result(stored.id)).toMatchObject({ status: 'done' });
    expect(await store.status(stored.id)).toEqual({ status: 'done', outcome: 'done' });
    // Only the slot's own look for more work once it was done.
    await claimsReach(1);
    expect(claims).toEqual([undefined]);
    // A redelivery is stored once and handed to nobody.
    expect(await store1()).toEqual({ id: stored.id, duplicate: true, taken: false });
  });

  it('stores a delivery as pending for the next claim when every slot is busy', async () => {
    let release: () => void = () => undefined;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const { running } = await countingWorker(
      {
        process: async (delivery) => {
          if (delivery.event === 'Slow') await busy;
          return delivery.event;
        },
      },
      1,
    );
    try {
      expect((await store1('Slow', 'slow')).taken).toBe(true);
      // The one slot is busy: the next delivery waits, stored, for a claim.
      const next = await store1('Note Hook', 'next');
      expect(next.taken).toBe(false);
      expect(await store.status(next.id)).toEqual({ status: 'pending', outcome: null });
      release();
      expect(await running.result(next.id)).toMatchObject({ status: 'done', outcome: 'Note Hook' });
    } finally {
      release();
    }
  });

  it('runs one start job at a time while acknowledgements are in progress, all of them after', async () => {
    const gates = new Map<string, () => void>();
    const started: string[] = [];
    let onStart: () => void = () => undefined;
    const startedReach = (n: number) =>
      new Promise<void>((resolve) => {
        onStart = () => {
          if (started.length >= n) resolve();
        };
        onStart();
      });
    const running = new DeliveryWorker({
      store,
      processor: {
        process: (delivery) => {
          const key = (delivery.payload as { key: string }).key;
          started.push(key);
          onStart();
          return new Promise<string>((resolve) => {
            gates.set(key, () => {
              resolve(key);
            });
          });
        },
      },
      logger: silentLogger(),
      concurrency: 4,
      reserved: { event: 'Start', concurrency: 3 },
      pollMs: 3_600_000,
    });
    worker = running;
    running.start();
    const put = (event: string, key: string) =>
      new DeliveryStore(getDatabase().db).insert({
        connectionId: 'gl',
        idempotencyKey: key,
        event,
        payload: JSON.stringify({ key }),
      });
    try {
      // An acknowledgement in progress, then three start jobs: one runs, two wait.
      await put('Note Hook', 'ack');
      running.notify();
      await startedReach(1);
      for (const key of ['s1', 's2', 's3']) await put('Start', key);
      running.notify();
      await startedReach(2);
      expect(started).toEqual(['ack', 's1']);
      // The one that runs finishes: the next one runs, still one at a time.
      gates.get('s1')?.();
      await startedReach(3);
      expect(started).toEqual(['ack', 's1', 's2']);
      // No acknowledgement left in progress: the rest run alongside.
      gates.get('ack')?.();
      await startedReach(4);
      expect(started).toEqual(['ack', 's1', 's2', 's3']);
    } finally {
      for (const open of gates.values()) open();
    }
  });

  it('starts reading a delivery this process stores before the commit, and acts only after it', async () => {
    let insertReturned = false;
    const seen: { readBeforeStored: boolean; stored: boolean; id: string }[] = [];
    let onDone: () => void = () => undefined;
    const done = () =>
      new Promise<void>((resolve) => {
        onDone = resolve;
      });
    const { running, claimsReach } = await countingWorker(
      {
        process: async (delivery) => {
          const readBeforeStored = !insertReturned;
          const stored = await delivery.stored;
          seen.push({ readBeforeStored, stored, id: delivery.id });
          onDone();
          if (!stored) throw new DeliveryNotStored('redelivery');
          return 'acted';
        },
      },
      1,
    );
    const first = done();
    const stored = await store1();
    insertReturned = true;
    await first;
    expect(stored.taken).toBe(true);
    expect(await running.result(stored.id)).toMatchObject({ status: 'done', outcome: 'acted' });
    expect(seen).toEqual([{ readBeforeStored: true, stored: true, id: stored.id }]);

    // The same delivery again: handed over too, told it was not stored, and nothing recorded.
    insertReturned = false;
    // Once the slot has looked for more work and gone back to sleep.
    await claimsReach(1);
    const second = done();
    expect(await store1()).toEqual({ id: stored.id, duplicate: true, taken: false });
    await second;
    expect(seen[1]).toMatchObject({ stored: false, id: '' });
    expect(await rows()).toMatchObject([{ id: stored.id, status: 'done', outcome: 'acted' }]);
  });
});
