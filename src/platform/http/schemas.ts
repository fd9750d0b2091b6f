import { z } from 'zod';
import { isCalendarDate } from '../../kernel/calendar.ts';
import { DomainError } from '../../kernel/errors.ts';
import { parseAmount } from '../../kernel/money.ts';

/** A JSON number with at most two decimals, parsed to bigint cents. */
export function money(options: { allowZero?: boolean } = {}) {
  return z
    .number({ error: 'must be a number' })
    .transform((value, ctx) => {
      try {
        return parseAmount(value, '', options);
      } catch (error) {
        const message = error instanceof DomainError ? (error.errors[0]?.message ?? error.message) : String(error);
        ctx.issues.push({ code: 'custom', message, input: value });
        return z.NEVER;
      }
    })
    .meta({ description: 'An amount with at most 2 decimals, e.g. 123.45', example: 123.45 });
}

/** Money in responses: a JSON number with at most two decimals. */
export const amount = z.number().meta({ description: 'Amount with at most 2 decimals', example: 123.45 });

export const calendarDate = z
  .string()
  .refine(isCalendarDate, { message: 'must be a date YYYY-MM-DD' })
  .meta({ format: 'date', example: '2026-12-01' });

export const customerNumber = z.coerce
  .number({ error: 'must be a positive integer' })
  .int({ error: 'must be a positive integer' })
  .positive({ error: 'must be a positive integer' })
  .max(2_147_483_647, { error: 'is too large' });

export const nonEmpty = (max = 200) => z.string().trim().min(1, { error: 'must not be empty' }).max(max);

/** A list's page size: `?limit=` between 1 and `max`, `fallback` when absent. */
export const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const customerNumberParams = z.strictObject({ customerNumber });

/** The query of a list filtered by customer and/or state (payments, payment requests). */
export const byCustomerAndState = <S extends readonly [string, ...string[]]>(states: S) =>
  z.strictObject({
    customerNumber: customerNumber.optional(),
    state: z.enum(states).optional(),
    limit: pageLimit(200, 50),
  });
export const policyNumberParams = z.strictObject({ policyNumber: nonEmpty(64) });
export const invoiceNumberParams = z.strictObject({ invoiceNumber: customerNumber });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({
        description: 'The fields at fault: a path like invoiceInformations/0/paymentAmount and the rule broken',
      }),
  })
  .loose()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** The error responses every authenticated JSON route may give, for the OpenAPI document. */
export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  422: problemSchema,
} as const;
