import { ExistenceCheckError } from '../errors/existence-check-error.js';
import type { OriginalCall } from '../idempotency/candidate.js';
import type { ExistenceCheck, ExistenceCheckTools } from '../idempotency/existence-check-contract.js';
import { lookupExistence } from '../idempotency/lookup-existence.js';
import { bodyReadLimit, readJson } from '../verdict/response-body.js';
import type { RequestRecord } from '../store/record.js';
import type { AttemptOutcome, CallContext } from '../core/types.js';
import type { ExistenceRecipe } from './by-route.js';
import type { RecipeOptions } from './fulfillment.js';
import { asObject, text } from './json-body.js';

/**
 * Warehouse API, `POST /api/v1/orders/`: `order_number` is unique, so the API itself says
 * whether the order exists. Before a re-send the order is read by its number (a 404 is "not
 * there"; an answer without `{ success: true, data }` fails closed); a 409 DUPLICATE answered to
 * a re-send means the earlier attempt landed, so the order is read and returned as the call's
 * result.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(warehouseOrders()) });
 * ```
 */
export function warehouseOrders(options: RecipeOptions = {}): ExistenceRecipe {
  const { path = '/api/v1/orders/' } = options;
  const orderUrl = ({ url, body }: OriginalCall): URL => new URL(`${encodeURIComponent(text(asObject(body).order_number))}/`, url);
  const lookup = lookupExistence({
    // The read by key is authoritative (no list lag): one read unless told otherwise.
    settleDelaysMs: options.settleDelaysMs ?? [0],
    // A re-send meets the API's own 409 DUPLICATE if the earlier send lands first (recovered
    // below), and the earlier one meets it if it lands later: no reason to wait for it.
    requestLifetimeMs: options.requestLifetimeMs ?? 0,
    lookupUrl: orderUrl,
    acceptFirstMatch: () => true,
    notFoundIsEmpty: true,
    candidates: (body) => {
      const envelope = asObject(body);
      return envelope.success === true && typeof envelope.data === 'object' && envelope.data !== null ? [envelope.data] : undefined;
    },
    requiredFields: ['order_number'],
    matches: (candidate, original) => asObject(candidate).order_number === asObject(original.body).order_number,
    toResponse: (candidate) => Response.json({ success: true, data: candidate }, { status: 201, headers: { 'x-surefetch-recovered': 'lookup' } }),
  });
  const check: ExistenceCheck = async (ctx, previous, record, tools) => {
    const decision = await lookup(ctx, previous, record, tools);
    if (decision.action === 'recovered') return decision;
    return { action: 'resend', absent: true, reconcile: (response, rctx) => recoverDuplicate(response, rctx, lookup, previous, record, tools) };
  };
  return { method: 'POST', path, check };
}

async function recoverDuplicate(
  response: Response,
  ctx: CallContext,
  lookup: ExistenceCheck,
  previous: AttemptOutcome,
  record: RequestRecord | undefined,
  tools: ExistenceCheckTools,
): Promise<Response | undefined> {
  if (response.status !== 409) return undefined;
  const code = asObject(asObject(await readJson(response.clone(), bodyReadLimit(ctx)).catch(() => ({}))).error).code;
  if (code !== 'DUPLICATE') return undefined;
  const decision = await lookup(ctx, previous, record, tools);
  if (decision.action === 'recovered') return decision.response;
  throw new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason: 'the re-send answered 409 DUPLICATE but the order cannot be read' });
}
