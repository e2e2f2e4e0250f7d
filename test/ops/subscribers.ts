/** @module Test helpers for status subscriptions over the public routes: sign up, and wait for a subscription's status. */

/** The reply of a sign-up or a subscription read. */
export interface SubscriptionReply {
  status: number;
  body: Record<string, unknown> & {
    id?: string;
    secret?: string;
    error?: { code: string; message?: string; retryAfterMs?: number };
  };
}

/** `POST /status/subscribers {url, components?}`. */
export async function subscribe(baseUrl: string, url: string, components?: string[]): Promise<SubscriptionReply> {
  const res = await fetch(`${baseUrl}/status/subscribers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(components ? { url, components } : { url }),
  });
  return { status: res.status, body: (await res.json()) as SubscriptionReply["body"] };
}

/** `GET /status/subscribers/<id>` with the secret. */
export async function readSubscription(baseUrl: string, id: string, secret: string): Promise<SubscriptionReply> {
  const res = await fetch(`${baseUrl}/status/subscribers/${id}`, { headers: { authorization: `Bearer ${secret}` } });
  return { status: res.status, body: (await res.json()) as SubscriptionReply["body"] };
}

/** Poll until the subscription reads `confirmed`; throws after `timeoutMs`. */
export async function untilConfirmed(baseUrl: string, id: string, secret: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await readSubscription(baseUrl, id, secret);
    if (reply.body.status === "confirmed") return reply.body;
    if (Date.now() > deadline) throw new Error(`subscription ${id} is ${JSON.stringify(reply.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
