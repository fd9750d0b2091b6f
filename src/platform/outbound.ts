import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';
import { DomainError } from '../kernel/errors.ts';

/**
 * Outbound calls to addresses staff configure (sync REST connectors, the AMS360 receipt
 * connector). Staff must not be able to make the server call its own loopback, the private
 * network or a cloud metadata endpoint (SSRF): only public unicast addresses are allowed unless
 * the operator allows private ones, for all hosts or for a list. Checked when a connector is
 * configured and again at connect time on the address actually dialled, since DNS can change.
 */
export interface OutboundPolicy {
  /** POLICYPAY_ALLOW_PRIVATE_CONNECTORS=true: any address (a test rig, or an on-premises AMS on a private network). */
  allowPrivate: boolean;
  /** POLICYPAY_CONNECTOR_ALLOWLIST: host names and CIDR ranges allowed although private. */
  allowHosts: readonly string[];
  allowRanges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export function outboundPolicyFromEnv(env: Readonly<Record<string, string | undefined>>): OutboundPolicy {
  const allowHosts: string[] = [];
  const allowRanges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of (env.POLICYPAY_CONNECTOR_ALLOWLIST ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) throw new Error(`POLICYPAY_CONNECTOR_ALLOWLIST: "${entry}" is not a CIDR range`);
      allowRanges.push(ipaddr.parseCIDR(entry));
    } else if (ipaddr.isValid(entry)) {
      allowRanges.push(ipaddr.parseCIDR(`${entry}/${entry.includes(':') ? 128 : 32}`));
    } else allowHosts.push(entry);
  }
  return { allowPrivate: env.POLICYPAY_ALLOW_PRIVATE_CONNECTORS === 'true', allowHosts, allowRanges };
}

let current: OutboundPolicy | undefined;

/** The process's policy: from the environment unless start-up or a test set one. */
export function outboundPolicy(): OutboundPolicy {
  current ??= outboundPolicyFromEnv(process.env);
  return current;
}

export function configureOutboundPolicy(policy: OutboundPolicy | undefined): void {
  current = policy;
}

/** Why an address may not be called under `policy`, or undefined when it may. */
export function addressRefusal(address: string, policy: OutboundPolicy = outboundPolicy()): string | undefined {
  if (policy.allowPrivate || !ipaddr.isValid(address)) return undefined;
  let parsed = ipaddr.parse(address);
  // ::ffff:127.0.0.1 is 127.0.0.1.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (policy.allowRanges.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits)))
    return undefined;
  return `${address} is a ${range} address`;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function hostAllowed(host: string, policy: OutboundPolicy): boolean {
  return policy.allowPrivate || policy.allowHosts.includes(host);
}

/**
 * At configuration: refuses (422 naming `field`) a URL whose host is or resolves to a loopback,
 * private, link-local or otherwise non-public address, unless the operator allows it.
 */
export async function assertConnectorUrlAllowed(urlText: string, field: string): Promise<void> {
  const policy = outboundPolicy();
  const refuse = (why: string) => {
    throw new DomainError('unprocessable', `${field}: connectors may not call ${why}`, {
      errors: [
        {
          path: field,
          message: `must be a public address (${why}; an operator can allow it with POLICYPAY_ALLOW_PRIVATE_CONNECTORS or POLICYPAY_CONNECTOR_ALLOWLIST)`,
        },
      ],
    });
  };
  const host = hostOf(new URL(urlText));
  if (hostAllowed(host, policy)) return;
  if (host === 'localhost' || host.endsWith('.localhost')) return refuse(`${host} (loopback)`);
  if (ipaddr.isValid(host)) {
    const why = addressRefusal(host, policy);
    return why ? refuse(why) : undefined;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAsync(host, { all: true });
  } catch {
    throw new DomainError('unprocessable', `${field}: the host ${host} does not resolve`, {
      errors: [{ path: field, message: `must name a host that resolves (${host} does not)` }],
    });
  }
  for (const { address } of addresses) {
    const why = addressRefusal(address, policy);
    if (why) return refuse(`${host} (${why})`);
  }
}

/** Resolves like dns.lookup, and fails the connection when any address is refused. */
function guardedLookup(policy: OutboundPolicy) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = hostAllowed(hostname.toLowerCase(), policy)
        ? undefined
        : addresses.map((a) => addressRefusal(a.address, policy)).find(Boolean);
      if (refused) return callback(new OutboundRefused(`refused to connect to ${hostname}: ${refused}`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

let guardedAgent: { policy: OutboundPolicy; agent: Agent } | undefined;

/**
 * fetch for connector calls: the policy applies to the address connected to (a literal in the
 * URL, or what DNS answers at connect time). A refusal rejects like a failed connection, with an
 * OutboundRefused as its cause.
 */
export async function connectorFetch(
  urlText: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | undefined; signal?: AbortSignal } = {},
): Promise<{ status: number; ok: boolean; text(): Promise<string> }> {
  const policy = outboundPolicy();
  // Nothing to check: Node's own fetch, as before the policy existed.
  if (policy.allowPrivate) return fetch(urlText, init);
  // An address literal is dialled without a lookup; a name is checked by the agent's lookup.
  const host = hostOf(new URL(urlText));
  const why = hostAllowed(host, policy) ? undefined : addressRefusal(host, policy);
  if (why) throw new TypeError('fetch failed', { cause: new OutboundRefused(`refused to connect: ${why}`) });
  // Loaded on first use: a command that calls no connector does not pay for it.
  const undici = await import('undici');
  if (guardedAgent?.policy !== policy) {
    guardedAgent = { policy, agent: new undici.Agent({ connect: { lookup: guardedLookup(policy) } }) };
  }
  // A redirect is not followed: its target could be an address literal, which is dialled without a lookup.
  return undici.fetch(urlText, { ...init, redirect: 'manual', dispatcher: guardedAgent.agent });
}
