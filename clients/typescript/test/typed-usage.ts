// Type-checked (npm run typecheck), not run: the generated types catch a
// wrong path, body or response field at compile time.
import { rampartClient, type Schemas } from "../src/index.js";

export async function provision(baseUrl: string, token: string): Promise<string> {
  const api = rampartClient(baseUrl, token);
  await api.POST("/v1/domains", { body: { name: "example.com" } });
  const { data } = await api.POST("/v1/accounts", {
    body: { address: "alice@example.com", password: "a long passphrase" },
  });
  const limit: Schemas["SendingLimit"] = { max_messages: 200, window_seconds: 3600 };
  await api.PATCH("/v1/accounts/{address}", {
    params: { path: { address: "alice@example.com" } },
    body: { sending_limit: limit },
  });
  const failures = await api.GET("/v1/auth-failures", { params: { query: { account: "alice@example.com" } } });
  for (const f of failures.data?.items ?? []) {
    console.log(f.at, f.ip, f.protocol, f.username);
  }
  await api.DELETE("/v1/attachment-links/{id}", { params: { path: { id: 42 } } });
  return data?.address ?? "";
}
