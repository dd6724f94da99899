/** The notification endpoints of CONTRACT.md, as plain functions over the API client. */
import { api } from "../api/client.js";

export const PAGE_SIZE = 20;

export function listNotifications({ cursor, unreadOnly = false, limit = PAGE_SIZE, signal } = {}) {
  return api("/api/notifications", { params: { limit, cursor, unread_only: unreadOnly ? "true" : undefined }, signal });
}

export function fetchUnreadCount() {
  return api("/api/notifications/unread-count");
}

export function markNotificationRead(id) {
  return api(`/api/notifications/${id}/read`, { method: "PATCH" });
}

export function markAllNotificationsRead() {
  return api("/api/notifications/mark-all-read", { method: "PATCH" });
}

export function deleteNotification(id) {
  return api(`/api/notifications/${id}`, { method: "DELETE" });
}

export function fetchPreferences() {
  return api("/api/notifications/preferences");
}

export function savePreferences(preferences) {
  return api("/api/notifications/preferences", { method: "PUT", body: preferences });
}

export { notificationTarget } from "./target.js";
