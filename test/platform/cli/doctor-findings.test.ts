import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connectionsPerProcess,
  type DeploymentFacts,
  judgeDeployment,
} from '../../../src/platform/cli/doctor-findings.ts';

/** A healthy PostgreSQL deployment; each test changes one thing. */
function healthy(): DeploymentFacts {
  return {
    database: {
      kind: 'postgres',
      description: 'PostgreSQL at postgres://db/policypay',
      serverVersionNum: 150020,
      serverVersion: '15.20',
      maxConnections: 200,
      reservedConnections: 3,
      connectionsInUse: 5,
    },
    migrations: { applied: ['0001_a', '0002_b'], pending: [], unknown: [] },
    secrets: { plaintext: 0, underOlderKey: 0 },
    processes: { api: 2, workers: 1, apiRunsWorkers: false },
    pools: { database: 10, jobs: 4 },
    publicUrl: 'https://pay.agency.example',
    smtp: { host: 'mail.example:587' },
    processor: { name: 'stripe', webhookSecret: true },
  };
}

const levels = (facts: DeploymentFacts) => Object.fromEntries(judgeDeployment(facts).map((f) => [f.topic, f.level]));
const about = (facts: DeploymentFacts, topic: string) => judgeDeployment(facts).filter((f) => f.topic === topic);

describe('policypay doctor: what it concludes', () => {
  it('finds nothing wrong with a healthy deployment', () => {
    const findings = judgeDeployment(healthy());
    assert.deepEqual(
      findings.filter((f) => f.level !== 'ok'),
      [],
    );
    assert.deepEqual(
      findings.map((f) => f.topic),
      ['configuration', 'database', 'connections', 'migrations', 'secrets', 'public URL', 'e-mail', 'processor'],
    );
  });

  it('stops at a configuration that does not parse, quoting it', () => {
    const findings = judgeDeployment({ ...healthy(), configError: 'invalid configuration:\n  PORT: too big' });
    assert.deepEqual(findings, [
      { level: 'problem', topic: 'configuration', message: 'invalid configuration:\n  PORT: too big' },
    ]);
  });

  it('stops at an unreachable database, saying why', () => {
    const facts = healthy();
    facts.database = { kind: 'postgres', description: 'PostgreSQL at x', error: 'nothing listens there' };
    const findings = judgeDeployment(facts);
    assert.deepEqual(findings.at(-1), {
      level: 'problem',
      topic: 'database',
      message: 'PostgreSQL at x: nothing listens there',
    });
    assert.equal(findings.length, 2);
  });

  it('refuses PostgreSQL older than 14', () => {
    const facts = healthy();
    facts.database = { ...facts.database!, serverVersionNum: 130011, serverVersion: '13.11' };
    assert.match(about(facts, 'database')[0]!.message, /13\.11 is older than 14/);
    assert.equal(levels(facts).database, 'problem');
  });

  it('counts the connections every process opens against what the server allows', () => {
    assert.equal(connectionsPerProcess({ database: 10, jobs: 4 }, true), 14);
    assert.equal(connectionsPerProcess({ database: 10, jobs: 4 }, false), 12);
    const facts = healthy();
    // 2 API without workers × 12 + 1 worker × 14 = 38 of 197.
    assert.match(about(facts, 'connections')[0]!.message, /open up to 38 connections.*allows 197/);
    facts.processes = { api: 10, workers: 6, apiRunsWorkers: true };
    // 16 × 14 = 224 > 197.
    const over = about(facts, 'connections')[0]!;
    assert.equal(over.level, 'problem');
    assert.match(over.message, /up to 224 connections.*PgBouncer/);
    facts.processes = { api: 10, workers: 1, apiRunsWorkers: true };
    // 11 × 14 = 154, and 5 in use: above 80 % of 197.
    assert.equal(levels(facts).connections, 'warning');
  });

  it('says a second process cannot share an embedded database', () => {
    const facts = healthy();
    facts.database = { kind: 'pglite', description: 'embedded PGlite in ./data' };
    assert.equal(levels(facts).database, 'problem');
    facts.processes = { api: 1, workers: 0, apiRunsWorkers: true };
    assert.equal(levels(facts).database, 'ok');
  });

  it('warns of migrations the next start applies, and refuses a database newer than the code', () => {
    const facts = healthy();
    facts.migrations = { applied: ['0001_a'], pending: ['0002_b', '0003_c', '0004_d', '0005_e'], unknown: [] };
    assert.deepEqual(about(facts, 'migrations'), [
      { level: 'warning', topic: 'migrations', message: '4 to apply at the next start (0002_b … 0005_e); 1 applied' },
    ]);
    facts.migrations = { applied: ['0001_a'], pending: [], unknown: ['0099_future'] };
    assert.equal(levels(facts).migrations, 'problem');
    assert.match(about(facts, 'migrations')[0]!.message, /0099_future.*newer policypay/);
  });

  it('names secrets that do not decrypt, wait for rotation, or sit in clear', () => {
    const facts = healthy();
    facts.secrets = {
      error: 'the stored secret of sync ams does not decrypt with key "a"',
      plaintext: 0,
      underOlderKey: 0,
    };
    assert.equal(levels(facts).secrets, 'problem');
    facts.secrets = { plaintext: 2, underOlderKey: 3 };
    const messages = about(facts, 'secrets').map((f) => `${f.level}: ${f.message}`);
    assert.equal(messages.length, 2);
    assert.match(messages[0]!, /^warning: 3 stored secret\(s\) are under an older key: run `policypay secrets rotate`/);
    assert.match(messages[1]!, /^warning: 2 stored secret\(s\) are in clear/);
  });

  it('warns of production without https, without mail, or in test mode; refuses Stripe without webhooks', () => {
    const facts = healthy();
    facts.publicUrl = 'http://pay.agency.example';
    delete facts.smtp;
    facts.processor = { name: 'sandbox', webhookSecret: false };
    assert.deepEqual(
      [levels(facts)['public URL'], levels(facts)['e-mail'], levels(facts).processor],
      ['warning', 'warning', 'warning'],
    );
    facts.processor = { name: 'stripe', webhookSecret: false };
    assert.equal(levels(facts).processor, 'problem');
    facts.smtp = { host: 'mail:25', error: 'connect ECONNREFUSED' };
    assert.match(about(facts, 'e-mail')[0]!.message, /mail:25 does not answer: connect ECONNREFUSED/);
    // Loopback http is a developer's machine, not a warning.
    facts.publicUrl = 'http://localhost:3000';
    assert.equal(levels(facts)['public URL'], 'ok');
  });
});
