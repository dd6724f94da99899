/**
 * The conversation on an order between its customer and the shop: the messages (oldest first, earlier
 * ones on request), live, and a box to write one.
 *
 * Unread messages are marked "New": those from the other side that arrived while the page was open, and
 * those whose `message` notification is still unread in the bell (so what was read on another device is
 * not new here). While the page is visible, the bell's notifications about this conversation are marked
 * read: the conversation is where they are read. The marks stay for this visit, until the user replies.
 * Text is shown as typed, as text (React escapes it); line breaks are kept by CSS.
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { useAuth } from "../auth/AuthContext.jsx";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { useMutation } from "../hooks/useApiQuery.js";
import { useDocumentVisible } from "../hooks/useDocumentVisible.js";
import { useNotificationCenter } from "../notifications/NotificationsContext.jsx";
import { MAX_CHARS, sendMessage } from "./api.js";
import { useConversation } from "./useConversation.js";

const ROLE_LABEL = { customer: "Customer", staff: "NovaCart team", admin: "NovaCart team" };
const number = new Intl.NumberFormat();

function messageNotesAbout(items, orderId) {
  return items.filter((n) => n.type === "message" && !n.is_read && Number(n.data?.order_id) === orderId);
}

export function Conversation({ orderId }) {
  const { user } = useAuth();
  const { items: notifications, markRead } = useNotificationCenter();
  const visible = useDocumentVisible();
  const [marked, setMarked] = useState(() => new Set());
  const onArrival = useCallback(
    (message) => {
      if (message.from?.id !== user?.id) setMarked((prev) => new Set(prev).add(message.id));
    },
    [user?.id],
  );
  const { data, error, isLoading, isLoadingEarlier, refetch, loadEarlier, add } = useConversation(orderId, { onArrival });

  // The bell's unread notifications about this conversation: their messages are new to this user.
  const unreadNotes = messageNotesAbout(notifications, orderId);
  const newFromBell = unreadNotes.map((n) => Number(n.data?.message_id)).filter((id) => !marked.has(id));
  if (newFromBell.length) setMarked((prev) => new Set([...prev, ...newFromBell])); // adjusted while rendering

  const noteIds = unreadNotes.map((n) => n.id).join(",");
  useEffect(() => {
    if (!visible || isLoading || !noteIds) return;
    for (const id of noteIds.split(",")) markRead(Number(id));
  }, [visible, isLoading, noteIds, markRead]);

  const { messages, hasEarlier } = data;
  const newCount = messages.filter((m) => marked.has(m.id) && m.from?.id !== user?.id).length;

  return (
    <section className="conversation" aria-labelledby="conversation-title" data-testid="conversation">
      <h2 id="conversation-title">
        Conversation
        {newCount > 0 && (
          <span className="conversation__count" data-testid="conversation-new-count">
            {newCount} new
          </span>
        )}
      </h2>
      {isLoading ? (
        <p className="muted">Loading the conversation…</p>
      ) : error && !messages.length ? (
        <div>
          <ErrorMessage error={error} />
          <button type="button" className="button button--secondary" onClick={() => refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <MessageList
          messages={messages}
          me={user?.id}
          marked={marked}
          hasEarlier={hasEarlier}
          isLoadingEarlier={isLoadingEarlier}
          onLoadEarlier={loadEarlier}
          error={messages.length ? error : null}
        />
      )}
      <Compose
        orderId={orderId}
        onSent={(message) => {
          add(message, { live: false });
          setMarked(new Set()); // a reply means everything before it was read
        }}
      />
    </section>
  );
}

function MessageList({ messages, me, marked, hasEarlier, isLoadingEarlier, onLoadEarlier, error }) {
  const list = useRef(null);
  const newestId = messages.length ? messages[messages.length - 1].id : null;
  // Follow the newest message (not when earlier ones are added at the top).
  useLayoutEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [newestId]);

  if (!messages.length) {
    return (
      <p className="conversation__empty muted" data-testid="conversation-empty">
        No messages about this order yet. Questions about it? Write below: the other side sees it at once.
      </p>
    );
  }
  return (
    <>
      {hasEarlier && (
        <p>
          <button type="button" className="link-button" onClick={onLoadEarlier} disabled={isLoadingEarlier}>
            {isLoadingEarlier ? "Loading earlier messages…" : "Show earlier messages"}
          </button>
        </p>
      )}
      <ErrorMessage error={error} />
      <ol className="messages" ref={list} aria-label="Messages" data-testid="messages">
        {messages.map((message) => {
          const mine = message.from?.id === me;
          const isNew = !mine && marked.has(message.id);
          return (
            <li
              key={message.id}
              className={`message message--${mine ? "mine" : "theirs"}${isNew ? " message--new" : ""}`}
              data-testid="message"
              data-id={message.id}
              data-unread={isNew ? "true" : "false"}
            >
              <p className="message__meta">
                <span className="message__author">{mine ? "You" : message.from?.name || "Someone"}</span>
                {!mine && <span className="message__role">{ROLE_LABEL[message.from?.role] ?? ""}</span>}
                <time className="message__time" dateTime={message.at}>
                  {new Date(message.at).toLocaleString()}
                </time>
                {isNew && <span className="message__new">New</span>}
              </p>
              <p className="message__text">{message.text}</p>
            </li>
          );
        })}
      </ol>
    </>
  );
}

function Compose({ orderId, onSent }) {
  const [draft, setDraft] = useState("");
  const send = useMutation((text) => sendMessage(orderId, text));
  const inputId = useId();
  const countId = useId();
  const length = draft.trim().length;
  const over = length > MAX_CHARS;

  const submit = async (event) => {
    event.preventDefault();
    if (!length || over || send.isPending) return;
    const message = await send.mutate(draft.trim());
    if (message && typeof message === "object") {
      setDraft("");
      onSent(message);
    }
  };

  return (
    <form className="compose" onSubmit={submit} aria-label="Write a message">
      <label htmlFor={inputId} className="compose__label">
        Your message
      </label>
      <textarea
        id={inputId}
        className="compose__input"
        rows={3}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
        }}
        aria-describedby={countId}
        aria-invalid={over || undefined}
        placeholder="Ask a question or add a detail about this order"
      />
      <div className="compose__footer">
        <span id={countId} className={`compose__count${over ? " compose__count--over" : ""}`}>
          {over ? `${number.format(length - MAX_CHARS)} characters too many` : `${number.format(length)} / ${number.format(MAX_CHARS)}`}
        </span>
        <button type="submit" className="button" disabled={!length || over || send.isPending}>
          {send.isPending ? "Sending…" : "Send"}
        </button>
      </div>
      <ErrorMessage error={send.error} />
    </form>
  );
}
