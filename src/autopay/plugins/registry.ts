import type { AutopayPlugin } from '../rules/autopay.ts';
import { defaultAutopayPlugin } from './default-plugin.ts';

/**
 * The autopay plugins this process can run, by name. `default` is built in; an operator plugs in
 * more through AUTOPAY_PLUGIN / AUTOPAY_PLUGINS (`plugin.ts` loads them at start-up), and an
 * agency chooses one by name (`PUT /api/v1/autopay/plugin`). Every process that serves the API or
 * runs autopay loads the same environment, so a name the API accepted is one the workers know.
 */

/**
 * What a plugin's name may look like (it is shown and stored): printable, no spaces. A module that
 * exports no `name` is registered under its specifier, which may be a path.
 */
export const PLUGIN_NAME = /^[^\s\p{Cc}]{1,1000}$/u;

const plugins = new Map<string, AutopayPlugin>([['default', defaultAutopayPlugin]]);

export function registerAutopayPlugin(name: string, plugin: AutopayPlugin): void {
  if (!PLUGIN_NAME.test(name)) throw new Error(`autopay plugin name "${name}" must match ${PLUGIN_NAME}`);
  plugins.set(name, plugin);
}

export function findAutopayPlugin(name: string): AutopayPlugin | undefined {
  return plugins.get(name);
}

/** Registered names, `default` first. */
export function autopayPluginNames(): string[] {
  return ['default', ...[...plugins.keys()].filter((n) => n !== 'default').sort()];
}
