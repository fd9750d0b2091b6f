import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRefusal, outboundPolicyFromEnv } from '../../src/platform/outbound.ts';

describe('outbound address policy', () => {
  const strict = outboundPolicyFromEnv({});

  it('allows public unicast addresses only', () => {
    for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111']) {
      assert.equal(addressRefusal(address, strict), undefined, address);
    }
    const refused = {
      '127.0.0.1': 'loopback',
      '127.8.9.10': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'linkLocal',
      '100.64.0.1': 'carrierGradeNat',
      '0.0.0.0': 'unspecified',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'linkLocal',
      'fd00::1': 'uniqueLocal',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:10.0.0.1': 'private',
    };
    for (const [address, range] of Object.entries(refused)) {
      assert.match(addressRefusal(address, strict) ?? 'allowed', new RegExp(`a ${range} address`), address);
    }
  });

  it('lets the operator allow private addresses, all or by range', () => {
    const all = outboundPolicyFromEnv({ POLICYPAY_ALLOW_PRIVATE_CONNECTORS: 'true' });
    assert.equal(addressRefusal('127.0.0.1', all), undefined);
    const listed = outboundPolicyFromEnv({ POLICYPAY_CONNECTOR_ALLOWLIST: '10.20.0.0/16, ams.internal ,192.168.1.5' });
    assert.equal(listed.allowPrivate, false);
    assert.deepEqual(listed.allowHosts, ['ams.internal']);
    assert.equal(addressRefusal('10.20.3.4', listed), undefined);
    assert.equal(addressRefusal('192.168.1.5', listed), undefined);
    assert.match(addressRefusal('10.21.0.1', listed) ?? '', /private/);
    assert.match(addressRefusal('127.0.0.1', listed) ?? '', /loopback/);
    assert.throws(() => outboundPolicyFromEnv({ POLICYPAY_CONNECTOR_ALLOWLIST: '10.0.0.0/99' }), /not a CIDR range/);
  });
});
