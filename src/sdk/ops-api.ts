/** @module The ops HTTP API (`/api/v1/ops/…`) with a staff device's token: GET with a query, or send a JSON body; answers typed by the protocol's `OpsReply`. */
import { readAnswer, requestFailed } from "./http.js";

/**
 * Calls the ops API for one signed-in device. A refusal rejects with the server's code and
 * words (`HaetaeRequestError`): the caller decides nothing about access itself, the server does
 * (a plain user gets `forbidden` from every endpoint). Name the route's answer with
 * `OpsReply`, e.g. `api.get<OpsReply<"GET /incidents">>("/incidents", { limit: 50 })`.
 */
export class OpsApi {
  /** `baseUrl` empty: the page's own origin (the staff console). */
  constructor(
    private readonly token: string,
    private readonly baseUrl = "",
  ) {}

  get<T = unknown>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size > 0 ? `?${params}` : "";
    return this.call<T>("GET", `${path}${search}`);
  }

  /** POST, PUT or PATCH a JSON body (the protocol's `opsRequests` name each route's). */
  send<T = unknown>(method: "POST" | "PUT" | "PATCH", path: string, body: unknown = {}): Promise<T> {
    return this.call<T>(method, path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}/api/v1/ops${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw requestFailed(path, error);
    }
    return readAnswer<T>(response, path);
  }
}
