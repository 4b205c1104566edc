import type { EventListener } from './events.js';

/**
 * The `emit` of a call that has no `onEvent` listener: it drops every event, so a layer on the
 * hot path may skip building one (`if (ctx.emit !== noEvents) ctx.emit(...)`). @internal
 */
export const noEvents: EventListener = () => undefined;
