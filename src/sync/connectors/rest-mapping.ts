import { z } from 'zod';
import { accountFields, contactFields } from '../rules/records.ts';

const path = z
  .string()
  .max(300)
  .regex(/^\/[^\s]*$/, { error: 'must start with /' });
const fieldPath = z
  .string()
  .max(100)
  .regex(/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/, { error: 'must be a field name or a dotted path' });

/**
 * The JSON mapping that points the generic REST connector at a system: where things are, how it
 * authenticates, and which of its fields are which of ours. `{id}` in a path is the record's id.
 */
export const restMappingSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
  auth: z.strictObject({ header: z.string().min(1).max(100), value: z.string().max(2000) }).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  retries: z.number().int().min(0).max(10).default(3),
  retryDelayMs: z.number().int().min(0).max(60_000).default(500),
  customer: z.strictObject({
    changesPath: path,
    getPath: path,
    createPath: path,
    updatePath: path,
    updateMethod: z.enum(['PUT', 'PATCH']).default('PUT'),
    cursorParam: z.string().max(50).default('since'),
    limitParam: z.string().max(50).default('limit'),
    itemsField: fieldPath.default('items'),
    nextCursorField: fieldPath.default('nextCursor'),
    idField: fieldPath,
    versionField: fieldPath.optional(),
    amsCustomerNumberField: fieldPath.optional(),
    /** Where our id goes on create, so the system can recognise a retried create. */
    localIdField: fieldPath.optional(),
    fields: z.strictObject(Object.fromEntries(accountFields.map((f) => [f, fieldPath.optional()]))),
    /** Where the account's one contact is in the record (paths from the record). No idField: `<id>:primary`. */
    contact: z
      .strictObject({
        idField: fieldPath.optional(),
        fields: z.strictObject(Object.fromEntries(contactFields.map((f) => [f, fieldPath.optional()]))),
      })
      .optional(),
    /** Where the account's policies are: an array in the record, and paths within each item. */
    policies: z
      .strictObject({
        itemsField: fieldPath,
        idField: fieldPath,
        /** Defaults to the id: a policy number is what local policies are matched on. */
        numberField: fieldPath.optional(),
        lineOfBusinessField: fieldPath.optional(),
        effectiveDateField: fieldPath.optional(),
        expirationDateField: fieldPath.optional(),
        /** The annual premium in dollars (e.g. `1200.50`); absent = 0, billed in policypay. */
        premiumField: fieldPath.optional(),
      })
      .optional(),
    /** Where the account's invoices are (the AMS's numbers, for receipts sent back to it). */
    invoices: z
      .strictObject({
        itemsField: fieldPath,
        idField: fieldPath,
        policyNumberField: fieldPath,
        dueDateField: fieldPath,
        amountField: fieldPath,
        /** What is still owed, in dollars: an AMS invoice with one that matches no local invoice is opening AR. */
        openBalanceField: fieldPath.optional(),
      })
      .optional(),
  }),
  events: z
    .strictObject({
      idField: fieldPath.default('id'),
      typeField: fieldPath.default('type'),
      dataField: fieldPath.default('data'),
      customerTypes: z.array(z.string().max(100)).max(20),
    })
    .optional(),
});

export type RestMapping = z.output<typeof restMappingSchema>;
export type RestMappingInput = z.input<typeof restMappingSchema>;

export function readPath(value: unknown, dotted: string): unknown {
  let current = value;
  for (const key of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function writePath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== 'object') current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1] as string] = value;
}
