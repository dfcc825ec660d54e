// A Rampart API client: openapi-fetch over the types openapi-typescript
// generated from openapi/openapi.json (src/schema.d.ts; `npm run generate`).
import createClient from "openapi-fetch";

export { verifyWebhook, WebhookVerificationError } from "./webhooks.js";

/**
 * @param {string} baseUrl e.g. "http://127.0.0.1:8080"
 * @param {string} token an API token (`rampart token create`)
 */
export function rampartClient(baseUrl, token) {
  return createClient({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });
}
