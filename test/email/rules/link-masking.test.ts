import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newToken } from '../../../src/agency/secrets/secrets.ts';
import { maskPortalTokens } from '../../../src/email/rules/link-masking.ts';

describe('maskPortalTokens', () => {
  it('hides every portal token in text and HTML bodies, keeping four characters to tell links apart', () => {
    const a = newToken('ppt');
    const b = newToken('ppt');
    const text = `Sign in: https://pay.example/portal/sign-in?agency=demo&token=${a}\nOr: ${b}.`;
    const html = `<a href="https://pay.example/portal/enroll?agency=demo&amp;token=${a}&amp;request=r1">Go</a>`;
    const maskedText = maskPortalTokens(text);
    const maskedHtml = maskPortalTokens(html);
    for (const token of [a, b]) {
      assert.ok(!maskedText.includes(token));
      assert.ok(maskedText.includes(`${token.slice(0, 8)}…(hidden)`));
    }
    assert.ok(!maskedHtml.includes(a));
    assert.ok(maskedHtml.includes(`token=${a.slice(0, 8)}…(hidden)&amp;request=r1`));
  });

  it("hides a console user's set-password token (invitation or reset) too", () => {
    const token = newToken('ppw');
    const text = `Choose your password: https://pay.example/set-password?token=${token}`;
    const masked = maskPortalTokens(text);
    assert.ok(!masked.includes(token));
    assert.ok(masked.endsWith(`token=${token.slice(0, 8)}…(hidden)`));
  });

  it('leaves everything else alone: other tokens, too-short look-alikes', () => {
    const body = `API key pp_live_${'x'.repeat(43)}; session pps_${'y'.repeat(43)}; ppt_short; no link here`;
    assert.equal(maskPortalTokens(body), body);
  });
});
