import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { type AutopayDecision, type AutopayPlugin, autopayPaymentStates } from '../rules/autopay.ts';
import { defaultAutopayPlugin } from './default-plugin.ts';
import { extensionData } from './extension.ts';
import { PLUGIN_NAME, registerAutopayPlugin } from './registry.ts';

/**
 * The plugin boundary: `AUTOPAY_PLUGIN` names an agency's own module (a path, relative to the
 * working directory, or a package name) whose default export (or `autopayPlugin` export) is an
 * AutopayPlugin. What a plugin answers is validated like any other input from outside.
 */

// Unset or blank: the default plugin.
const environment = z.object({
  AUTOPAY_PLUGIN: z
    .string()
    .trim()
    .max(1_000, { error: 'is too long to be a module name' })
    .optional()
    .transform((value) => value || undefined),
  // More plugins an agency may choose by name: module specifiers, comma-separated.
  AUTOPAY_PLUGINS: z
    .string()
    .max(10_000, { error: 'is too long' })
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
});

const pluginFunction = z.custom<AutopayPlugin>((value) => typeof value === 'function', {
  error: 'must be a function (invoice, context) => Promise<AutopayDecision | null>',
});

const pluginModule = z.union([
  z.object({ default: pluginFunction, name: z.string().optional() }),
  z.object({ autopayPlugin: pluginFunction, name: z.string().optional() }),
]);

const cents = z.bigint({ error: 'must be a bigint amount of cents' }).positive({ error: 'must be greater than 0' });

const paymentRequest = z.strictObject({
  type: z.enum(['card', 'ach']).optional(),
  amountCents: cents.optional(),
  state: z.enum(autopayPaymentStates).optional(),
  currency: z.string().length(3).optional(),
  paymentMethodId: z.string().min(1).max(64).optional(),
  targets: z
    .array(z.strictObject({ invoiceNumber: z.number().int().positive(), amountCents: cents }))
    .min(1)
    .max(100)
    .optional(),
  retryPlan: z.string().min(1).max(100).optional(),
  bankShortName: z.string().min(1).max(20).optional(),
  extension: extensionData.optional(),
});

const decisionSchema = z
  .strictObject({
    payment: paymentRequest.optional(),
    nextRequestTime: z.date({ error: 'must be a Date' }).optional(),
  })
  .nullable();

export interface LoadedPlugin {
  /** `default`, or the module's exported `name` (else its specifier). */
  name: string;
  plugin: AutopayPlugin;
}

/**
 * Loads and registers the operator's plugins (AUTOPAY_PLUGINS, and AUTOPAY_PLUGIN), and returns
 * the one this process uses for agencies that chose none: AUTOPAY_PLUGIN's, else the default.
 * Each is registered under its module's exported `name`, else its specifier.
 */
export async function loadAutopayPlugin(env: NodeJS.ProcessEnv = process.env): Promise<LoadedPlugin> {
  const config = environment.safeParse(env);
  if (!config.success) {
    const issue = config.error.issues[0];
    throw new Error(`${String(issue?.path[0] ?? 'AUTOPAY_PLUGIN')} ${issue?.message}`);
  }
  for (const specifier of config.data.AUTOPAY_PLUGINS) {
    const loaded = await importPlugin('AUTOPAY_PLUGINS', specifier);
    registerAutopayPlugin(loaded.name, loaded.plugin);
  }
  const specifier = config.data.AUTOPAY_PLUGIN;
  if (!specifier) return { name: 'default', plugin: defaultAutopayPlugin };
  const loaded = await importPlugin('AUTOPAY_PLUGIN', specifier);
  registerAutopayPlugin(loaded.name, loaded.plugin);
  return loaded;
}

async function importPlugin(variable: string, specifier: string): Promise<LoadedPlugin> {
  const url = specifier.startsWith('.') || isAbsolute(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
  let loaded: unknown;
  try {
    loaded = await import(url);
  } catch (error) {
    throw new Error(`${variable} ${specifier} could not be loaded: ${(error as Error).message}`);
  }
  const parsed = pluginModule.safeParse(loaded);
  if (!parsed.success) {
    throw new Error(`${variable} ${specifier} must export an autopay plugin function as default or autopayPlugin`);
  }
  const plugin = 'default' in parsed.data ? parsed.data.default : parsed.data.autopayPlugin;
  const name = parsed.data.name ?? specifier;
  if (!PLUGIN_NAME.test(name))
    throw new Error(`${variable} ${specifier}: its name "${name}" must match ${PLUGIN_NAME}`);
  return { name, plugin };
}

/** A plugin's answer, checked: unknown fields, wrong types and non-positive amounts are refused. */
export function parseAutopayDecision(value: unknown): AutopayDecision | null {
  const parsed = decisionSchema.safeParse(value === undefined ? null : value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'decision'}: ${i.message}`);
  throw new Error(`invalid autopay decision (${issues.join('; ')})`);
}
