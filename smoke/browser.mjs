// The browser page's script (bundled by run.mjs): runs the suite against the API's origin,
// another port than the page's, so CORS is part of what is proven.
import { runSmoke } from './smoke.mjs';

const api = new URL(location.href).searchParams.get('api');
globalThis.smokeResults = runSmoke(api, 'browser');
