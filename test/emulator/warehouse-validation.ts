/**
 * Body validation of the emulated warehouse API, with Django REST framework's field messages.
 */

/** One failed field, as listed in `error.details`. */
export interface FieldDetail {
  readonly field: string;
  readonly message: string;
}

/** One order line as the warehouse stores it. */
export interface WarehouseItem {
  sku_code: string;
  quantity: number;
}

const REQUIRED = 'This field is required.';

/**
 * Validates an order-create body.
 *
 * @returns the failed fields (empty when valid).
 * @example
 * ```ts
 * validateWarehouseOrder({}); // [{ field: 'order_number', ... }, { field: 'items', ... }]
 * ```
 */
export function validateWarehouseOrder(body: unknown): FieldDetail[] {
  const input = asObject(body);
  const details = [...checkString('order_number', input.order_number), ...checkItems(input.items)];
  if (input.ship_to !== undefined && input.ship_to !== null && !isObject(input.ship_to)) {
    details.push({ field: 'ship_to', message: 'Invalid data. Expected a dictionary.' });
  }
  if (input.reference !== undefined && input.reference !== null) details.push(...checkString('reference', input.reference));
  return details;
}

/**
 * Validates that each of `fields` of `body` is a non-blank string.
 *
 * @returns the failed fields (empty when valid).
 */
export function validateStrings(body: unknown, fields: readonly string[]): FieldDetail[] {
  const input = asObject(body);
  return fields.flatMap((field) => checkString(field, input[field]));
}

function checkItems(items: unknown): FieldDetail[] {
  if (items === undefined || items === null) return [{ field: 'items', message: REQUIRED }];
  if (!Array.isArray(items)) return [{ field: 'items', message: `Expected a list of items but got type "${typeof items}".` }];
  if (items.length === 0) return [{ field: 'items', message: 'Ensure this field has at least 1 elements.' }];
  return items.flatMap((line: unknown, index) => {
    const item = asObject(line);
    const details = checkString(`items[${index}].sku_code`, item.sku_code);
    const quantity = item.quantity;
    const field = `items[${index}].quantity`;
    if (quantity === undefined || quantity === null) details.push({ field, message: REQUIRED });
    else if (typeof quantity !== 'number' || !Number.isInteger(quantity)) details.push({ field, message: 'A valid integer is required.' });
    else if (quantity < 1) details.push({ field, message: 'Ensure this value is greater than or equal to 1.' });
    return details;
  });
}

function checkString(field: string, value: unknown): FieldDetail[] {
  if (value === undefined || value === null) return [{ field, message: REQUIRED }];
  if (typeof value !== 'string') return [{ field, message: 'Not a valid string.' }];
  if (value.trim() === '') return [{ field, message: 'This field may not be blank.' }];
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}
