import type { DemoLoad } from '../../demo/demo-agency.ts';

export interface BannerFacts {
  url: string;
  seconds: number;
  /** The demo agency: loaded now (`created`), or by an earlier start; undefined without one. */
  demo: DemoLoad | undefined;
  /** POLICYPAY_DEMO_API_KEY is set: the demo's staff key is that text. */
  demoApiKeyFromEnv: boolean;
  /** The first run's link (`--no-demo` on an empty database): set the agency up there. */
  setupUrl?: string | undefined;
  workers: boolean;
  smtpUrl: string | undefined;
  processor: { stripe: true } | { stripe: false; sandboxUrl: string | undefined; inProcess: boolean };
}

const row = (label: string, text: string) => `  ${label.padEnd(15)} ${text}`;

/**
 * `serve`'s start-up banner: where the console and the portal are and how to sign in, on the first
 * start and on every restart alike (the demo staff password is fixed; the API key is the one
 * thing shown only once, so a restart says how to get another).
 */
export function bannerLines(facts: BannerFacts): string[] {
  const { url, demo } = facts;
  const lines = [
    '',
    `policypay is ready in ${facts.seconds.toFixed(1)} s: ${url}`,
    row('staff console', `${url}/`),
    row('client portal', demo ? `${url}/portal (demo client ${demo.client.email})` : `${url}/portal`),
    row('API reference', `${url}/api/docs`),
    row('health', `${url}/api/v1/health`),
  ];
  if (facts.setupUrl) {
    lines.push(
      row('first run', `${facts.setupUrl}`),
      row('', 'open it to set up your agency, its banks and the first staff user (the link works once)'),
    );
  }
  if (demo) {
    lines.push(
      row('demo agency', demo.created ? `"${demo.agency.name}" loaded` : `"${demo.agency.name}" (loaded earlier)`),
      row('staff sign-in', `${demo.staff.email} / ${demo.staff.password}`),
    );
    if (demo.apiKey) lines.push(row('staff API key', `${demo.apiKey}  (shown once)`));
    else if (facts.demoApiKeyFromEnv) lines.push(row('staff API key', 'the text of POLICYPAY_DEMO_API_KEY'));
    else {
      lines.push(
        row(
          'staff API key',
          `printed at the first start; a new one: npx policypay api-key create --agency ${demo.agency.slug} --role staff`,
        ),
      );
    }
  }
  lines.push(
    row('workers', facts.workers ? 'running (pg-boss)' : 'off (--no-workers)'),
    facts.smtpUrl
      ? row('e-mail', `sent over SMTP (${new URL(facts.smtpUrl).host})`)
      : row('e-mail', `kept in the outbox (set SMTP_URL to send): ${url}/app/emails; clients' portal links print here`),
  );
  if (facts.processor.stripe) {
    lines.push(row('processor', 'stripe (live: the sandbox is off)'));
  } else {
    lines.push(
      row(
        'processor',
        facts.processor.inProcess
          ? `sandbox ${facts.processor.sandboxUrl} (test card 4242 4242 4242 4242)`
          : `sandbox ${facts.processor.sandboxUrl ?? 'not configured'}`,
      ),
      row('TEST MODE', 'payments go to the sandbox: nothing is charged (set STRIPE_SECRET_KEY for live)'),
    );
  }
  return lines;
}
