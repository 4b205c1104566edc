/**
 * The peers of the creates benchmark, each configured as its docs describe: a create function
 * per client that resolves on success and rejects on failure. Nothing here is tuned to lose.
 */
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import pRetry from 'p-retry';

/** One client under test: sends one logical create and settles. */
export type CreateClient = (url: string, headers: Record<string, string>, body: string, scope: string) => Promise<unknown>;

/** Per-attempt timeout every client gets, in ms. */
export const attemptTimeoutMs = 500;

/** A hand-written p-retry loop around fetch, retrying any failure (the naive fix). */
export const naivePRetry: CreateClient = (url, headers, body) =>
  pRetry(
    async () => {
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(attemptTimeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    },
    { retries: 3, minTimeout: 100, factor: 2, randomize: true },
  );

/** ky with its defaults: POST is not retried. */
export const kyDefault: CreateClient = (url, headers, body) => ky.post(url, { headers, body, timeout: attemptTimeoutMs }).json();

/** ky with POST added to its retry methods. */
export const kyPostRetry: CreateClient = (url, headers, body) =>
  ky.post(url, { headers, body, timeout: attemptTimeoutMs, retry: { limit: 3, methods: ['post'] } }).json();

/** got with its defaults: POST is not retried. */
export const gotDefault: CreateClient = (url, headers, body) => got.post(url, { headers, body, timeout: { request: attemptTimeoutMs } }).json();

/** got with POST added to its retry methods. */
export const gotPostRetry: CreateClient = (url, headers, body) =>
  got.post(url, { headers, body, timeout: { request: attemptTimeoutMs }, retry: { limit: 3, methods: ['POST'] } }).json();

/** ofetch with its defaults: POST is not retried. */
export const ofetchDefault: CreateClient = (url, headers, body) => ofetch(url, { method: 'POST', headers, body, timeout: attemptTimeoutMs });

/** ofetch with `retry: 3`, which retries every method. */
export const ofetchPostRetry: CreateClient = (url, headers, body) =>
  ofetch(url, { method: 'POST', headers, body, timeout: attemptTimeoutMs, retry: 3, retryDelay: 100 });
