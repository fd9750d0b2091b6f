import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_JANITOR_DELAYS, nextJanitorCheck } from '../../../src/payments/rules/payment-states.ts';
import { DEFAULT_WORKER_SETTINGS, workerSettings } from '../../../src/platform/app/workers.ts';
import { ConfigError, loadConfig } from '../../../src/platform/config.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POOL_SIZE } from '../../../src/platform/db/database.ts';
import { DEFAULT_JOBS_POOL_SIZE } from '../../../src/platform/jobs/boss.ts';

describe('operations configuration', () => {
  it('defaults to the values policypay ran with as constants', () => {
    const config = loadConfig({});
    assert.equal(config.DATABASE_POOL_SIZE, DEFAULT_POOL_SIZE);
    assert.equal(config.DATABASE_CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS);
    assert.equal(config.JOBS_POOL_SIZE, DEFAULT_JOBS_POOL_SIZE);
    assert.equal(config.SANDBOX_TIMEOUT_MS, 10_000);
    assert.equal(config.STRIPE_TIMEOUT_MS, 30_000);
    assert.deepEqual(workerSettings(config), DEFAULT_WORKER_SETTINGS);
  });

  it('takes every tunable from the environment and hands it to the workers', () => {
    const config = loadConfig({
      DATABASE_POOL_SIZE: '25',
      DATABASE_CONNECT_TIMEOUT_MS: '3000',
      JOBS_POOL_SIZE: '6',
      WORKER_PAYMENT_CONCURRENCY: '16',
      WORKER_AUTOPAY_CONCURRENCY: '12',
      WORKER_AMS_RECEIPT_CONCURRENCY: '2',
      WORKER_EMAIL_CONCURRENCY: '3',
      WORKER_POLLING_INTERVAL_SECONDS: '0.5',
      EMAIL_POLLING_INTERVAL_SECONDS: '1',
      SWEEP_CRON: '*/5 * * * *',
      PAYMENT_JANITOR_STARTED_CHECK_SECONDS: '60',
      PAYMENT_JANITOR_FIRST_CHECK_SECONDS: '120',
      PAYMENT_JANITOR_SECOND_CHECK_SECONDS: '1800',
      PAYMENT_JANITOR_LATER_CHECK_SECONDS: '43200',
      SANDBOX_TIMEOUT_MS: '2500',
      STRIPE_TIMEOUT_MS: '20000',
    });
    assert.equal(config.DATABASE_POOL_SIZE, 25);
    assert.equal(config.DATABASE_CONNECT_TIMEOUT_MS, 3000);
    assert.equal(config.SANDBOX_TIMEOUT_MS, 2500);
    assert.equal(config.STRIPE_TIMEOUT_MS, 20_000);
    assert.deepEqual(workerSettings(config), {
      jobsPoolSize: 6,
      paymentConcurrency: 16,
      autopayConcurrency: 12,
      amsReceiptConcurrency: 2,
      emailConcurrency: 3,
      pollingIntervalSeconds: 0.5,
      emailPollingIntervalSeconds: 1,
      sweepCron: '*/5 * * * *',
      janitorDelays: { startedMs: 60_000, firstMs: 120_000, secondMs: 1_800_000, laterMs: 43_200_000 },
    });
  });

  it('refuses unsafe values, naming the variable and the rule', () => {
    const refused = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      );
    refused({ DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE:/);
    refused({ WORKER_PAYMENT_CONCURRENCY: 'many' }, /WORKER_PAYMENT_CONCURRENCY:/);
    refused({ WORKER_POLLING_INTERVAL_SECONDS: '0.1' }, /WORKER_POLLING_INTERVAL_SECONDS:/);
    refused({ SWEEP_CRON: 'every minute' }, /SWEEP_CRON: must be a cron expression/);
    refused({ PAYMENT_JANITOR_FIRST_CHECK_SECONDS: '-5' }, /PAYMENT_JANITOR_FIRST_CHECK_SECONDS:/);
    refused({ SANDBOX_TIMEOUT_MS: '10' }, /SANDBOX_TIMEOUT_MS:/);
  });

  it('reads the metrics and shutdown settings: none exposed and 25 s by default', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.POLICYPAY_OPERATOR_TOKEN, undefined);
    assert.equal(defaults.METRICS_PORT, undefined);
    assert.equal(defaults.METRICS_HOST, '127.0.0.1');
    assert.equal(defaults.SHUTDOWN_TIMEOUT_SECONDS, 25);
    const set = loadConfig({
      POLICYPAY_OPERATOR_TOKEN: 'op_0123456789abcdef',
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
      SHUTDOWN_TIMEOUT_SECONDS: '55',
    });
    assert.deepEqual(
      [set.POLICYPAY_OPERATOR_TOKEN, set.METRICS_PORT, set.METRICS_HOST, set.SHUTDOWN_TIMEOUT_SECONDS],
      ['op_0123456789abcdef', 9464, '0.0.0.0', 55],
    );
    const refused = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      );
    refused({ POLICYPAY_OPERATOR_TOKEN: 'short' }, /POLICYPAY_OPERATOR_TOKEN: must be at least 16 characters/);
    refused(
      { POLICYPAY_OPERATOR_TOKEN: 'has a space in it, sadly' },
      /POLICYPAY_OPERATOR_TOKEN: must not contain spaces/,
    );
    refused({ METRICS_PORT: '70000' }, /METRICS_PORT:/);
    refused({ SHUTDOWN_TIMEOUT_SECONDS: '0' }, /SHUTDOWN_TIMEOUT_SECONDS:/);
  });

  it('schedules janitor checks with the configured delays', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    const delays = { startedMs: 1, firstMs: 60_000, secondMs: 600_000, laterMs: 3_600_000 };
    assert.equal(nextJanitorCheck(0, now, delays).toISOString(), '2026-05-01T12:01:00.000Z');
    assert.equal(nextJanitorCheck(1, now, delays).toISOString(), '2026-05-01T12:10:00.000Z');
    assert.equal(nextJanitorCheck(5, now, delays).toISOString(), '2026-05-01T13:00:00.000Z');
    // The defaults: 5 minutes, 1 hour, then daily.
    assert.equal(nextJanitorCheck(0, now).getTime() - now.getTime(), DEFAULT_JANITOR_DELAYS.firstMs);
    assert.equal(DEFAULT_JANITOR_DELAYS.firstMs, 5 * 60_000);
    assert.equal(DEFAULT_JANITOR_DELAYS.laterMs, 24 * 3_600_000);
  });
});
