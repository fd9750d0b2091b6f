import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyClaim,
  releaseIdempotencyKey,
  requestFingerprint,
} from '../services/idempotency.ts';
import { type Db, inTransaction, type Tx } from '../services/transaction.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { fingerprint: string; claim?: IdempotencyClaim; completed?: boolean };
  }
  interface FastifyContextConfig {
    /** POST routes that must not replay (signing in would hand out a stored session). */
    idempotent?: false;
  }
}

const HEADER = 'idempotency-key';

/** Wires Idempotency-Key handling into every POST: fingerprint, claim, replay, release. */
export function registerIdempotency(app: FastifyInstance, db: Db): void {
  // Fingerprint the body as received, before validation transforms it.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'POST' || request.routeOptions.config.idempotent === false) return;
    const key = request.headers[HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw new DomainError('validation_failed', 'Idempotency-Key must be 1 to 255 characters', {
        errors: [{ path: 'header/Idempotency-Key', message: 'must be 1 to 255 characters' }],
      });
    }
    request.idempotency = { fingerprint: requestFingerprint(request.method, request.url, request.body) };
  });

  // Only a valid, authenticated request claims a key; invalid input never reaches here.
  app.addHook('preHandler', async (request, reply) => {
    const pending = request.idempotency;
    const key = request.headers[HEADER];
    if (!pending || !request.actor || typeof key !== 'string') return;
    const result = await claimIdempotencyKey(db, {
      agencyId: request.actor.agencyId,
      // Keys are the agency's; a portal client's are their own, so no client can replay another's.
      key: request.actor.client ? `portal:${request.actor.client.contactId}:${key}` : key,
      fingerprint: pending.fingerprint,
      method: request.method,
      path: request.url,
    });
    if (result.kind === 'replay') {
      reply
        .status(result.status)
        .header('idempotent-replayed', 'true')
        .type(result.status >= 400 ? 'application/problem+json' : 'application/json');
      return reply.send(JSON.stringify(result.body));
    }
    pending.claim = result.claim;
  });

  // A response that did not go through `respond` (an error): keep 4xx answers as Stripe does,
  // but release the key after invalid input (400) or a 5xx, so nothing stays written and the
  // client can retry.
  app.addHook('onSend', async (request, reply, payload) => {
    const pending = request.idempotency;
    if (!pending?.claim || pending.completed) return payload;
    pending.completed = true;
    if (reply.statusCode >= 500 || reply.statusCode === 400) {
      await releaseIdempotencyKey(db, pending.claim);
    } else {
      const body = typeof payload === 'string' ? safeParse(payload) : null;
      await completeIdempotencyKey(db, pending.claim, reply.statusCode, body);
    }
    return payload;
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What `respond` tells the use case about the transaction it runs in. */
export interface ResponseTransaction {
  /**
   * True when nothing runs in the transaction after the use case (no idempotency record to
   * store): its final write may be sent with COMMIT (`pipelinedThenCommit`).
   */
  endsWithWork: boolean;
}

/**
 * Runs a use case in one transaction and, when the request holds an Idempotency-Key, stores the
 * response in that same transaction.
 */
export async function respond<T>(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (tx: Tx, transaction: ResponseTransaction) => Promise<T>,
): Promise<T> {
  reply.status(status);
  const body = await inTransaction(db, async (tx) => {
    const result = await work(tx, { endsWithWork: !request.idempotency?.claim });
    const claim = request.idempotency?.claim;
    if (claim) {
      // Stored as the client receives it, through the route's response schema: a handler's result
      // may carry more (internal fields, bigint cents JSON cannot hold).
      await completeIdempotencyKey(tx, claim, status, JSON.parse(String(reply.serialize(result))));
    }
    return result;
  });
  if (request.idempotency?.claim) request.idempotency.completed = true;
  return body;
}
