import { z } from 'zod';

/**
 * A payment's extension data (Socotra's: "any extension data needed to be tracked on the
 * payment"): a JSON object stored with the payment (as its JSON) and returned as stored. Bounded.
 */
const MAX_EXTENSION_BYTES = 8_192;

export const extensionData = z
  .record(z.string().max(100), z.unknown())
  .superRefine((value, ctx) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      // A bigint or a cycle: nothing JSON could keep.
      ctx.addIssue({ code: 'custom', message: 'must be JSON (no bigint, no cycles)' });
      return;
    }
    if (text !== undefined && Buffer.byteLength(text) > MAX_EXTENSION_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_EXTENSION_BYTES} bytes of JSON` });
    }
  })
  .meta({ description: `Extension data: a JSON object of at most ${MAX_EXTENSION_BYTES} bytes, returned as stored` });
