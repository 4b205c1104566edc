/**
 * Body validation of the emulated fulfillment API, in the style of a schema validator:
 * one `"path: message"` string per failed field.
 */

/** A recipient address. */
export interface ShipTo {
  name: string;
  email: string;
  address1: string;
  city: string;
  zip: string;
  country: string;
}

/** One order line. */
export interface ProductLine {
  sku: string;
  quantity: number;
}

/** A validated order-create body. */
export interface OrderInput {
  campaignId: string;
  shipTo: ShipTo;
  products: ProductLine[];
  externalRef?: string;
}

/** A validated contact-create body. */
export interface ContactInput {
  email: string;
  name: string;
  externalRef?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SHIP_TO_FIELDS = ['name', 'email', 'address1', 'city', 'zip', 'country'] as const;

/**
 * Validates an order-create body.
 *
 * @returns the failures (empty when valid).
 * @example
 * ```ts
 * validateOrder({ campaignId: '' }); // ['campaignId: Must not be empty', 'shipTo: Required', ...]
 * ```
 */
export function validateOrder(body: unknown): string[] {
  const errors: string[] = [];
  const input = asObject(body);
  checkString(errors, 'campaignId', input.campaignId, true);
  if (input.shipTo === undefined) {
    errors.push('shipTo: Required');
  } else if (!isObject(input.shipTo)) {
    errors.push(`shipTo: Expected object, received ${typeName(input.shipTo)}`);
  } else {
    const shipTo = input.shipTo;
    for (const field of SHIP_TO_FIELDS) checkString(errors, `shipTo.${field}`, shipTo[field], field === 'zip');
    if (typeof shipTo.email === 'string' && !EMAIL.test(shipTo.email)) errors.push('shipTo.email: Invalid email');
  }
  checkProducts(errors, input.products);
  if (input.externalRef !== undefined) checkString(errors, 'externalRef', input.externalRef, false);
  return errors;
}

/**
 * Validates a contact-create body.
 *
 * @returns the failures (empty when valid).
 */
export function validateContact(body: unknown): string[] {
  const errors: string[] = [];
  const input = asObject(body);
  checkString(errors, 'email', input.email, true);
  if (typeof input.email === 'string' && input.email !== '' && !EMAIL.test(input.email)) errors.push('email: Invalid email');
  checkString(errors, 'name', input.name, false);
  if (input.externalRef !== undefined) checkString(errors, 'externalRef', input.externalRef, false);
  return errors;
}

function checkProducts(errors: string[], products: unknown): void {
  if (products === undefined) {
    errors.push('products: Required');
    return;
  }
  if (!Array.isArray(products)) {
    errors.push(`products: Expected array, received ${typeName(products)}`);
    return;
  }
  if (products.length === 0) errors.push('products: Must have at least 1 element');
  products.forEach((line: unknown, index) => {
    const item = asObject(line);
    checkString(errors, `products.${index}.sku`, item.sku, true);
    const quantity = item.quantity;
    if (quantity === undefined) errors.push(`products.${index}.quantity: Required`);
    else if (typeof quantity !== 'number') errors.push(`products.${index}.quantity: Expected number, received ${typeName(quantity)}`);
    else if (!Number.isInteger(quantity) || quantity < 1) errors.push(`products.${index}.quantity: Expected a positive integer`);
  });
}

function checkString(errors: string[], path: string, value: unknown, nonEmpty: boolean): void {
  if (value === undefined) errors.push(`${path}: Required`);
  else if (typeof value !== 'string') errors.push(`${path}: Expected string, received ${typeName(value)}`);
  else if (nonEmpty && value.length === 0) errors.push(`${path}: Must not be empty`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
