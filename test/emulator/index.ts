/**
 * Local emulation of the two seed APIs (fulfillment and warehouse) with scripted and seeded
 * random fault injection, for tests, the demo and the benchmarks.
 */
export { startFulfillment } from './fulfillment.js';
export type {
  FulfillmentContact,
  FulfillmentEmulator,
  FulfillmentOptions,
  FulfillmentOrder,
  FulfillmentRecords,
  FulfillmentStorage,
  ListShape,
  PageSignal,
  ProductLine,
  ShipTo,
  StoredProductLine,
  StoredShipTo,
} from './fulfillment.js';
export { LIST_ERROR_200_BODY } from './list-shape.js';
export { startWarehouse } from './warehouse.js';
export type { FieldDetail, WarehouseEmulator, WarehouseItem, WarehouseKey, WarehouseOptions, WarehouseOrder, WarehouseRecords } from './warehouse.js';
export { WAREHOUSE_SCOPES } from './warehouse-auth.js';
export { FAULT_KINDS, createFaultEngine, mulberry32 } from './fault.js';
export type { Fault, FaultKind, FaultMix, FaultScript } from './fault.js';
export { closedPortUrl } from './closed-port.js';
export type { Emulator, EmulatorClock, EmulatorOptions, EmulatorStats, LoggedFault, LoggedRequest, OutageResponse, Reply } from './types.js';
