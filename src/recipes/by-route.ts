import { ExistenceCheckError } from '../errors/existence-check-error.js';
import type { ExistenceCheck } from '../idempotency/existence-check-contract.js';
import { matchRoute } from '../core/routes.js';
import type { RequestSpec, ResendDecision } from '../core/types.js';

/** An existence check for one route. */
export interface ExistenceRecipe {
  /** Method of the create. */
  readonly method: string;
  /** Path pattern of the create (`:name` for one segment, a trailing `*` for the rest). */
  readonly path: string;
  /** The check itself. */
  readonly check: ExistenceCheck;
}

/**
 * Routes each call to the recipe of its route (its check, its rewrite of the create, its
 * identity hold); a call with no recipe fails closed.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders(), fulfillmentContacts(), warehouseOrders()) });
 * ```
 */
export function byRoute(...recipes: readonly ExistenceRecipe[]): ExistenceCheck {
  const recipeOf = (request: RequestSpec): ExistenceRecipe | undefined =>
    recipes.find((candidate) => matchRoute([candidate], request.method, new URL(request.url)) !== undefined);
  const holdMs = Math.max(0, ...recipes.map((recipe) => recipe.check.identity?.holdMs ?? 0));
  const check = async function existenceByRoute(...args: Parameters<ExistenceCheck>): Promise<ResendDecision> {
    const [ctx] = args;
    const recipe = recipeOf(ctx.request);
    if (recipe === undefined) {
      throw new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason: 'no existence check is configured for this route' });
    }
    return recipe.check(...args);
  };
  return Object.assign(check, {
    prepare: (request: RequestSpec, clientRequestId: string): RequestSpec => recipeOf(request)?.check.prepare?.(request, clientRequestId) ?? request,
    identity: { of: (request: RequestSpec): string | undefined => recipeOf(request)?.check.identity?.of(request), holdMs },
    resourceOf: (body: unknown, request: RequestSpec): string | undefined => recipeOf(request)?.check.resourceOf?.(body, request),
  });
}
