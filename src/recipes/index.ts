/** Ready-made existence checks, one file per API, and the router that picks one per call. */
export { byRoute, type ExistenceRecipe } from './by-route.js';
export { fulfillmentContacts, fulfillmentOrders, type FulfillmentRecipeOptions, type RecipeOptions } from './fulfillment.js';
export { warehouseOrders } from './warehouse.js';
