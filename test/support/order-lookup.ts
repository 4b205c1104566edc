import type { ExistenceCheck } from '../../src/idempotency/idempotency.js';

/**
 * A hand-written existence check for the fulfillment emulator's `POST /v1/orders/create`: lists
 * orders by campaign and recipient email and takes one created after the record's first send
 * (minus a skew margin). Fails closed when the list cannot be read.
 */
export function fulfillmentOrderLookup(baseUrl: string, apiKey: string): ExistenceCheck {
  return async function orderLookup(ctx, _previous, record) {
    const { shipTo, campaignId } = JSON.parse(new TextDecoder().decode(ctx.request.body as Uint8Array)) as { campaignId: string; shipTo: { email: string } };
    const query = new URLSearchParams({ campaignId, email: shipTo.email });
    const response = await fetch(`${baseUrl}/v1/orders/list?${query.toString()}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    if (!response.ok) throw new Error(`lookup failed: HTTP ${response.status}`);
    const since = (record?.firstSentAt ?? 0) - 60_000;
    const found = ((await response.json()) as Array<{ createdAt: string }>).find((o) => Date.parse(o.createdAt) >= since);
    return found === undefined ? { action: 'resend' } : { action: 'recovered', response: Response.json(found, { status: 201 }) };
  };
}
