import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../kernel/errors.ts';
import { type Db, inTransaction, type Tx } from '../db/transaction.ts';
import {
  claimIdempotencyKey,
  commitIdempotentEffect,
  completeIdempotencyKey,
  type IdempotencyClaim,
  LiveOwners,
  lockIdempotencyClaim,
  releaseIdempotencyKey,
  requestFingerprint,
} from './idempotency-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { fingerprint: string; claim?: IdempotencyClaim; completed?: boolean };
  }
  interface FastifyContextConfig {
    /**
     * false: a POST route that must not replay (signing in would hand out a stored session).
     * true: a route of another method (a PUT of settings) that honours Idempotency-Key as POSTs do.
     */
    idempotent?: boolean;
    /**
     * For a route whose effect commits before a processor call (`effectCommitter`): the answer to
     * a retry that finds the effect committed but no answer stored (its first request died),
     * read from the current state of what `ref` names. May throw a DomainError as the first would.
     */
    idempotentReplay?: (request: FastifyRequest, ref: string) => Promise<unknown>;
  }
}

const HEADER = 'idempotency-key';
/** Where the operator's keys are stored: the nil UUID, which gen_random_uuid never gives an agency (migration 0016). */
const OPERATOR_SCOPE = '00000000-0000-0000-0000-000000000000';

/** Wires Idempotency-Key handling into every POST (and routes marked `idempotent: true`): fingerprint, claim, replay, release. */
export function registerIdempotency(app: FastifyInstance, db: Db, clock: () => Date = () => new Date()): void {
  // This process's running owners (see LiveOwners): per app, as each app is a server of its own.
  const live = new LiveOwners();

  // Fingerprint the body as received, before validation transforms it.
  app.addHook('preValidation', async (request) => {
    const idempotent = request.routeOptions.config.idempotent;
    if (request.method === 'POST' ? idempotent === false : idempotent !== true) return;
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
    if (!pending || (!request.actor && !request.operator) || typeof key !== 'string') return;
    const result = await claimIdempotencyKey(
      db,
      {
        // The operator has no agency: its keys are kept apart under a scope no agency has.
        agencyId: request.actor?.agencyId ?? OPERATOR_SCOPE,
        // Keys are the agency's; a portal client's are their identity's (across its accounts), so
        // no client can replay another's and switching account does not make a used key new.
        key: request.actor?.client ? `portal:${request.actor.client.identityId}:${key}` : key,
        fingerprint: pending.fingerprint,
        method: request.method,
        path: request.url,
      },
      live,
      clock(),
    );
    if (result.kind === 'replay') {
      reply
        .status(result.status)
        .header('idempotent-replayed', 'true')
        .type(result.status >= 400 ? 'application/problem+json' : 'application/json');
      return reply.send(JSON.stringify(result.body));
    }
    if (result.kind === 'committed') {
      const replay = request.routeOptions.config.idempotentReplay;
      if (!replay) throw new DomainError('idempotency_key_in_use', `Idempotency-Key "${key}" has no answer yet`);
      reply.header('idempotent-replayed', 'true');
      const body = await replay(request, result.ref);
      return reply.status(result.status).send(body);
    }
    pending.claim = result.claim;
  });

  // A response that did not store its answer in its own transaction (an error, or a route whose
  // effect committed earlier): keep 4xx answers as Stripe does, but release the key after invalid
  // input (400) or a 5xx, so nothing stays written and the client can retry. A key whose effect
  // committed is never released (a retry answers from the effect instead).
  app.addHook('onSend', async (request, reply, payload) => {
    const pending = request.idempotency;
    if (!pending?.claim || pending.completed) return payload;
    pending.completed = true;
    try {
      if (reply.statusCode >= 500 || reply.statusCode === 400) {
        await releaseIdempotencyKey(db, pending.claim);
      } else if (typeof payload === 'string') {
        await completeIdempotencyKey(db, pending.claim, reply.statusCode, payload, { mustOwn: false });
      }
    } finally {
      live.delete(pending.claim);
    }
    return payload;
  });
  // However the request ends, its owner is no longer running.
  app.addHook('onResponse', async (request) => {
    if (request.idempotency?.claim) live.delete(request.idempotency.claim);
  });
}

/**
 * Runs a use case in one transaction and, when the request holds an Idempotency-Key, stores the
 * response in that same transaction: exactly the JSON the route's serializer sends, or what
 * `stored` keeps of it when the answer holds a secret that must not rest in the key table.
 */
export async function respond<T>(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (tx: Tx) => Promise<T>,
  stored: (body: T) => T = (body) => body,
): Promise<T> {
  const claim = request.idempotency?.claim;
  reply.status(status);
  const body = await inTransaction(db, async (tx) => {
    if (claim) await lockIdempotencyClaim(tx, claim);
    const result = await work(tx);
    if (claim) await completeIdempotencyKey(tx, claim, status, String(reply.serialize(stored(result))));
    return result;
  });
  if (request.idempotency?.claim) request.idempotency.completed = true;
  return body;
}

/**
 * For a use case that commits its effect and then calls a processor: the function it calls in
 * the effect's transaction to mark the key (`ref` names the payment or refund the answer is
 * about), so the key can never be taken over once the effect exists. Undefined without a key.
 * The final answer is stored when it is sent.
 */
export function effectCommitter(
  request: FastifyRequest,
  status: number,
): ((tx: Tx, ref: string) => Promise<void>) | undefined {
  const claim = request.idempotency?.claim;
  if (!claim) return undefined;
  return (tx, ref) => commitIdempotentEffect(tx, claim, status, ref);
}
