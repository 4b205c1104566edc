/** The surefetch client of the creates benchmark. */
import { createFetch, retry } from 'surefetch';
import { attemptTimeoutMs, type CreateClient } from './creates-peers.js';

/** A create through surefetch, as a user would configure it for this API. */
export function surefetchCreate(_baseUrl: string): CreateClient {
  const sureFetch = createFetch({ middleware: [retry()], attemptTimeoutMs });
  return async (url, headers, body) => {
    const response = await sureFetch(url, { method: 'POST', headers, body });
    return response.json();
  };
}
