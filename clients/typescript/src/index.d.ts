import type { Client } from "openapi-fetch";
import type { paths, components } from "./schema";

export type { paths, components };
export type Schemas = components["schemas"];

/** A typed client: every path, body and response of the Rampart API. */
export function rampartClient(baseUrl: string, token: string): Client<paths>;

export class WebhookVerificationError extends Error {}
export function verifyWebhook(
  secret: string,
  body: string,
  headers: Record<string, string>,
): { type: string; timestamp: string; data: Record<string, unknown> };
