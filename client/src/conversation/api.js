/** The conversation endpoints of CONTRACT.md (`/api/orders/{id}/messages`), as plain functions over the API client. */
import { api } from "../api/client.js";

export const PAGE_SIZE = 30;
export const MAX_CHARS = 2000; // after trimming, as the server counts

export function listMessages(orderId, { cursor, limit = PAGE_SIZE } = {}) {
  return api(`/api/orders/${orderId}/messages`, { params: { limit, cursor } });
}

export function sendMessage(orderId, text) {
  return api(`/api/orders/${orderId}/messages`, { method: "POST", body: { text } });
}
