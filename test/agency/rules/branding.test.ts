import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brandingFromStored, emailSender, validateBrandingPatch } from '../../../src/agency/rules/branding.ts';
import { DomainError } from '../../../src/kernel/errors.ts';

function refusal(patch: Record<string, unknown>): { path: string; message: string }[] {
  try {
    validateBrandingPatch(patch);
  } catch (error) {
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'validation_failed');
    return error.errors;
  }
  assert.fail(`accepted ${JSON.stringify(patch)}`);
}

describe('portal branding rules', () => {
  it('names every bad field at once: a colour that is not #rrggbb, a logo that is not https, an empty name', () => {
    assert.deepEqual(refusal({ primaryColor: 'red', logoUrl: 'http://x.example/logo.png', displayName: '  ' }), [
      { path: 'displayName', message: 'must be 1–100 characters' },
      { path: 'logoUrl', message: 'must be an https:// address' },
      { path: 'primaryColor', message: 'must be a hex colour such as #1f6feb' },
    ]);
    for (const color of ['#fff', '1f6feb', '#1f6feg', '#1f6feb00', 'rgb(0,0,0)']) {
      assert.equal(refusal({ primaryColor: color })[0]?.path, 'primaryColor', color);
    }
    assert.equal(refusal({ logoUrl: 'javascript:alert(1)' })[0]?.path, 'logoUrl');
    assert.equal(refusal({ displayName: 'x'.repeat(101) })[0]?.path, 'displayName');
  });

  it('keeps only the fields given: trims the name, lower-cases the colour, null restores a default', () => {
    assert.deepEqual(validateBrandingPatch({ displayName: ' Harbor ', primaryColor: '#1F7A3A' }), {
      displayName: 'Harbor',
      primaryColor: '#1f7a3a',
    });
    assert.deepEqual(validateBrandingPatch({ logoUrl: null }), { logoUrl: null });
  });

  it('reads stored branding with defaults, ignoring anything malformed; e-mails fall back to the agency', () => {
    assert.deepEqual(brandingFromStored(undefined), { displayName: null, logoUrl: null, primaryColor: null });
    const stored = brandingFromStored({
      displayName: 'Harbor',
      primaryColor: 'red',
      logoUrl: 'https://h.example/l.png',
    });
    assert.deepEqual(stored, { displayName: 'Harbor', logoUrl: 'https://h.example/l.png', primaryColor: null });
    assert.deepEqual(emailSender({ name: 'Harbor Insurance LLC', branding: stored }), {
      agencyName: 'Harbor',
      brandColor: '#0b5cad',
      logoUrl: 'https://h.example/l.png',
    });
  });
});
