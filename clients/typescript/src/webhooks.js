// Verifying Rampart's signed webhooks (Standard Webhooks, HMAC-SHA256).
import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

/**
 * Returns the event ({type, timestamp, data}) when the webhook-id,
 * webhook-timestamp and webhook-signature headers sign `body` with
 * `secret` (whsec_...) within five minutes; throws otherwise.
 * @param {string} secret
 * @param {string} body the raw request body
 * @param {Record<string, string>} headers
 */
export function verifyWebhook(secret, body, headers) {
  const lowered = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return new Webhook(secret).verify(body, lowered);
}
