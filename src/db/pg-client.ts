import pg from 'pg';
import { preparedName } from './prepared-statements.ts';

// The pool's client on PostgreSQL. On a 2-core machine a round trip to the server costs more than
// most statements a request runs (each write to the socket wakes a backend, and the backend's
// answer wakes Node): measured with pgbench, BEGIN, four `SELECT 1` and COMMIT cost 0.20 ms of
// machine CPU one round trip at a time and 0.06 ms in one. So the client saves round trips where
// the answer cannot change:
//
// - **BEGIN is sent with the transaction's first statement.** Kysely's `begin` is answered at
//   once and written ahead of the next statement, in the same packet. Nothing observable moves:
//   PostgreSQL takes a transaction's snapshot at its first statement, not at BEGIN. A transaction
//   that ends before any statement never reaches the server.
// - **A batch** (`db/pipeline.ts`) writes several statements at once and reads their answers in
//   order. Each still runs on its own, one after the other, with its own snapshot.
// - **A final batch** is written together with COMMIT, for a transaction whose owner knows that
//   nothing follows. Kysely's own COMMIT (or ROLLBACK) is then answered here: the transaction has
//   already ended on the server, and any other statement before it is refused.
// - **Marked statements run prepared** (`prepared-statements.ts`).
//
// The client runs in pg's pipeline mode, which is what lets a second statement go out before the
// first is answered. Kysely still sends one statement at a time otherwise, and policypay reads
// no cursors (pipeline mode refuses them).

/** The text Kysely sends to open a transaction: `begin`, or `start transaction …` with settings. */
const BEGIN = /^(begin|start transaction)\b/i;

/** The marker `db/pipeline.ts` sends: its one parameter is the list of statements. */
export const BATCH = '/* policypay batch */';

export interface BatchStatement {
  sql: string;
  parameters: readonly unknown[];
}

export interface BatchOptions {
  /** Write COMMIT after the statements: the transaction ends with them. */
  commit: boolean;
}

type Result = pg.QueryResult<Record<string, unknown>>;
type Query = (this: pg.Client, ...args: unknown[]) => Promise<Result>;
const baseQuery = pg.Client.prototype.query as unknown as Query;

interface ClientState {
  /** A BEGIN Kysely asked for that has not been written yet. */
  pendingBegin: string | null;
  /** The transaction ended with a final batch; Kysely's COMMIT or ROLLBACK is still to come. */
  ended: boolean;
  preparedNames: Set<string>;
}
const states = new WeakMap<pg.Client, ClientState>();
function stateOf(client: pg.Client): ClientState {
  let state = states.get(client);
  if (!state) {
    state = { pendingBegin: null, ended: false, preparedNames: new Set() };
    states.set(client, state);
  }
  return state;
}

function answered(command: string): Promise<Result> {
  return Promise.resolve({ command, rowCount: null, oid: 0, rows: [], fields: [] });
}

/** One statement as pg takes it: named when marked `prepared`. */
function statement(state: ClientState, text: string, values: readonly unknown[]): pg.QueryConfig {
  const name = preparedName(text, state.preparedNames);
  return name ? { name, text, values: [...values] } : { text, values: [...values] };
}

/**
 * Writes the pending BEGIN (if any) and `statements` in one go and waits for every answer; the
 * first error (in the order they ran) is thrown. pg's pipeline mode submits each query as it is
 * given; corking the socket makes them one write.
 */
async function writeTogether(client: pg.Client, state: ClientState, statements: pg.QueryConfig[]): Promise<Result[]> {
  const begin = state.pendingBegin;
  state.pendingBegin = null;
  const socket = (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream;
  socket.cork();
  let answers: Promise<Result>[];
  try {
    answers = [...(begin ? [begin] : []), ...statements].map((s) => baseQuery.call(client, s));
  } finally {
    socket.uncork();
  }
  const settled = await Promise.allSettled(answers);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const results = settled.map((s) => (s as PromiseFulfilledResult<Result>).value);
  return begin ? results.slice(1) : results;
}

/** A `pg` client that defers BEGIN, runs batches in one round trip and prepares marked statements. */
export class PolicypayClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(typeof config === 'string' ? { connectionString: config, pipeline: true } : { ...config, pipeline: true });
    // A checked-out client whose connection breaks emits 'error' besides failing its queries, and
    // the pool listens only while the client is idle: unheard, that event would end the process.
    // The failed query already tells its caller; on release the pool drops the broken client.
    this.on('error', () => {});
  }
}

// Patched on the prototype rather than declared: pg's typings overload `query` a dozen ways. Only
// Kysely's calls (text and a parameter array, no callback) are handled; anything else is pg's own.
(PolicypayClient.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]) {
  const [text, values, callback] = args;
  if (typeof text !== 'string' || !Array.isArray(values) || callback !== undefined) {
    return baseQuery.apply(this, args);
  }
  const state = stateOf(this);
  if (state.ended) {
    if (values.length === 0 && /^(commit|rollback)$/i.test(text)) {
      // The final batch ended the transaction (committed it, or it failed and PostgreSQL rolled
      // it back); there is nothing left to end on the server.
      state.ended = false;
      return answered(text.toUpperCase());
    }
    return Promise.reject(new Error('the transaction already ended with its final batch; no statement may follow it'));
  }
  if (values.length === 0 && BEGIN.test(text)) {
    state.pendingBegin = text;
    return answered('BEGIN');
  }
  if (state.pendingBegin && values.length === 0 && /^(commit|rollback)$/i.test(text)) {
    // Nothing ran since BEGIN: there is no transaction on the server to end.
    state.pendingBegin = null;
    return answered(text.toUpperCase());
  }
  if (text === BATCH) {
    const statements = (values[0] as BatchStatement[]).map((s) => statement(state, s.sql, s.parameters));
    const { commit } = values[1] as BatchOptions;
    if (commit) {
      statements.push({ text: 'COMMIT' });
      state.ended = true;
    }
    return writeTogether(this, state, statements).then((results) => {
      if (commit && results.at(-1)?.command === 'ROLLBACK') {
        throw new Error('the transaction was rolled back at COMMIT: a statement before the final batch had failed');
      }
      return {
        command: 'BATCH',
        rowCount: null,
        oid: 0,
        fields: [],
        rows: (commit ? results.slice(0, -1) : results).map((r) => ({ rows: r.rows, rowCount: r.rowCount })),
      };
    });
  }
  const query = statement(state, text, values);
  if (state.pendingBegin) return writeTogether(this, state, [query]).then((results) => results[0] as Result);
  return baseQuery.call(this, query);
};
