import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_STAFF, type DemoLoad } from '../../../src/demo/demo-agency.ts';
import { type BannerFacts, bannerLines } from '../../../src/platform/cli/banner.ts';

const url = 'http://localhost:3000';
const demo = (created: boolean): DemoLoad => ({
  agency: { id: 'a1', slug: 'demo', name: 'Demo Agency', timeZone: 'America/Chicago' },
  created,
  ...(created ? { apiKey: 'pp_live_first_start_key' } : {}),
  staff: DEMO_STAFF,
  client: { email: 'jane.smith@example.com', customerNumber: 1001 },
});
const facts = (over: Partial<BannerFacts>): BannerFacts => ({
  url,
  seconds: 2.345,
  demo: demo(true),
  demoApiKeyFromEnv: false,
  workers: true,
  smtpUrl: undefined,
  processor: { stripe: false, sandboxUrl: 'http://127.0.0.1:4242', inProcess: true },
  ...over,
});

describe("serve's start-up banner", () => {
  it('on the first start: the console, the portal, the staff sign-in and the API key shown once', () => {
    const text = bannerLines(facts({})).join('\n');
    assert.match(text, /policypay is ready in 2\.3 s: http:\/\/localhost:3000/);
    assert.match(text, / {2}staff console {3}http:\/\/localhost:3000\/\n/);
    assert.match(text, / {2}client portal {3}http:\/\/localhost:3000\/portal \(demo client jane\.smith@example\.com\)/);
    assert.match(text, / {2}demo agency {5}"Demo Agency" loaded/);
    assert.match(text, / {2}staff sign-in {3}dana@demo\.policypay\.dev \/ policypay-demo/);
    assert.match(text, / {2}staff API key {3}pp_live_first_start_key {2}\(shown once\)/);
    assert.match(text, / {2}TEST MODE {7}payments go to the sandbox/);
  });

  it('on a restart: the same sign-in, and how to get an API key', () => {
    const text = bannerLines(facts({ demo: demo(false) })).join('\n');
    assert.match(text, / {2}staff console {3}http:\/\/localhost:3000\//);
    assert.match(text, / {2}client portal {3}http:\/\/localhost:3000\/portal/);
    assert.match(text, / {2}demo agency {5}"Demo Agency" \(loaded earlier\)/);
    assert.match(text, / {2}staff sign-in {3}dana@demo\.policypay\.dev \/ policypay-demo/);
    assert.match(text, / {2}staff API key {3}.*policypay api-key create --agency demo --role staff/);
    assert.doesNotMatch(text, /pp_live_/);
    const withEnvKey = bannerLines(facts({ demo: demo(false), demoApiKeyFromEnv: true })).join('\n');
    assert.match(withEnvKey, / {2}staff API key {3}the text of POLICYPAY_DEMO_API_KEY/);
  });

  it('without a demo agency, with SMTP and Stripe', () => {
    const text = bannerLines(
      facts({
        demo: undefined,
        workers: false,
        smtpUrl: 'smtp://u:p@mail.example.com:587',
        processor: { stripe: true },
      }),
    ).join('\n');
    assert.match(text, / {2}client portal {3}http:\/\/localhost:3000\/portal\n/);
    assert.doesNotMatch(text, /staff sign-in|demo agency|TEST MODE/);
    assert.match(text, / {2}workers {9}off \(--no-workers\)/);
    assert.match(text, / {2}e-mail {10}sent over SMTP \(mail\.example\.com:587\)/);
    assert.match(text, / {2}processor {7}stripe/);
  });
});
