/**
 * The records the fulfillment emulator stores. With `storage: 'exact'` they hold what the
 * create sent; with `storage: 'normalized'` they hold it the way many real APIs store it
 * (see normalize.ts), which is why some fields allow a second type.
 */
import type { ShipTo } from './fulfillment-validation.js';

/** A stored recipient address: `address2` is `null` when absent under normalized storage. */
export type StoredShipTo = ShipTo & { address2?: string | null };

/** A stored order line: a numeric string `quantity` and `unitPrice: null` under normalized storage. */
export interface StoredProductLine {
  sku: string;
  quantity: number | string;
  unitPrice?: string | null;
}

/** A stored fulfillment order. */
export interface FulfillmentOrder {
  id: string;
  campaignId: string;
  shipTo: StoredShipTo;
  products: StoredProductLine[];
  externalRef?: string;
  status: 'pending' | 'shipped' | 'cancelled';
  /** `'api'` under normalized storage (a field the server adds). */
  source?: 'api';
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, under normalized storage. */
  updatedAt?: string;
}

/** A stored fulfillment contact. */
export interface FulfillmentContact {
  id: string;
  email: string;
  name: string;
  externalRef?: string;
  /** `'api'` under normalized storage. */
  source?: 'api';
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, under normalized storage. */
  updatedAt?: string;
}

/** The fulfillment emulator's stored resources. */
export interface FulfillmentRecords {
  readonly orders: FulfillmentOrder[];
  readonly contacts: FulfillmentContact[];
}
