/** The job both queue tests enqueue, and the fulfillment order body it becomes. */
export interface OrderJob {
  readonly orderNumber: string;
  readonly email: string;
}

/** The order body a worker creates for `job`; the order number doubles as the business key. */
export const order = (job: OrderJob) => ({
  campaignId: 'spring',
  externalRef: job.orderNumber,
  shipTo: { name: 'Ada', email: job.email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 1 }],
});
