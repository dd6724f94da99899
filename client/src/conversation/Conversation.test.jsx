/** The conversation on the order page: shown, written, live, and unread messages marked. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { installFetch, problem } from "../test/fetchMock.js";
import { customer, makeNotification, renderApp, signIn } from "../test/fixtures.jsx";

const t0 = "2026-11-22T10:00:00+00:00";
const sam = { id: 5, name: "Sam Okoye", role: "staff" };
const ada = { id: customer.id, name: customer.name, role: "customer" };

function message(id, from, text, overrides = {}) {
  return { id, order_id: 7, from, text, at: t0, ...overrides };
}

const order = {
  id: 7,
  user_id: 1,
  status: "paid",
  items: [{ product_id: 3, name: "Stapler", quantity: 1, unit_price_cents: 1250 }],
  total_cents: 1250,
  shipping_address: "1 Main St",
  tracking_number: null,
  created_at: t0,
  updated_at: t0,
  history: [{ status: "pending", at: t0, by: 1, note: null }],
};

let api;
let thread; // the server's conversation, oldest first
let bell; // the server's notifications, newest first

function newestFirst(items) {
  return [...items].sort((a, b) => b.id - a.id);
}

beforeEach(() => {
  signIn();
  api = installFetch();
  thread = [];
  bell = [];
  api.on("GET", "/api/orders/7", { body: order });
  api.on("GET", "/api/notifications", () => ({ body: { items: bell, next_cursor: null, unread_count: bell.filter((n) => !n.is_read).length } }));
  api.on("PATCH", /^\/api\/notifications\/\d+\/read$/, ({ path }) => {
    const note = bell.find((n) => n.id === Number(path.split("/")[3]));
    note.is_read = true;
    return { body: note };
  });
  api.on("GET", "/api/orders/7/messages", ({ query }) => {
    const limit = Number(query.limit ?? 30);
    const before = query.cursor ? Number(query.cursor) : Infinity;
    const older = newestFirst(thread).filter((m) => m.id < before);
    const items = older.slice(0, limit);
    return { body: { items, next_cursor: older.length > limit ? String(items[items.length - 1].id) : null } };
  });
  api.on("POST", "/api/orders/7/messages", ({ body }) => {
    const created = message(100 + thread.length, ada, body.text);
    thread.push(created);
    return { status: 201, body: created };
  });
});

async function openOrder() {
  const view = renderApp("/orders/7");
  const socket = view.socketFactory.last();
  await act(async () => {
    await socket.serverConnect();
  });
  const section = await screen.findByTestId("conversation");
  return { ...view, socket, section };
}

function shown() {
  return screen.queryAllByTestId("message").map((li) => li.querySelector(".message__text").textContent);
}

function unread() {
  return screen
    .queryAllByTestId("message")
    .filter((li) => li.dataset.unread === "true")
    .map((li) => Number(li.dataset.id));
}

describe("the conversation on an order", () => {
  it("shows the messages oldest first, with who wrote them", async () => {
    thread = [message(1, ada, "Can it come before Friday?"), message(2, sam, "Yes, it ships tomorrow.")];
    await openOrder();

    await waitFor(() => expect(shown()).toEqual(["Can it come before Friday?", "Yes, it ships tomorrow."]));
    const [mine, theirs] = screen.getAllByTestId("message");
    expect(mine).toHaveTextContent("You");
    expect(theirs).toHaveTextContent("Sam Okoye");
    expect(theirs).toHaveTextContent("NovaCart team");
  });

  it("says so when there are no messages yet", async () => {
    await openOrder();
    expect(await screen.findByTestId("conversation-empty")).toHaveTextContent("No messages about this order yet.");
  });

  it("shows a loading state, then an error with a way to try again", async () => {
    let answer; // the server answers once the loading state has been seen (it answered too fast to see, at times)
    api.on("GET", "/api/orders/7/messages", () => new Promise((resolve) => (answer = resolve)));
    renderApp("/orders/7");
    expect(await screen.findByText("Loading the conversation…")).toBeInTheDocument();
    await waitFor(() => expect(answer).toBeDefined());
    answer(problem(503, "service_unavailable", { detail: "The database is unavailable." }));

    const section = await screen.findByTestId("conversation");
    expect(await within(section).findByRole("alert")).toHaveTextContent("The server had a problem.");
    api.on("GET", "/api/orders/7/messages", { body: { items: [message(1, sam, "Back again")], next_cursor: null } });
    await userEvent.click(within(section).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(shown()).toEqual(["Back again"]));
  });

  it("sends a message, trimmed, shows it once (even when the room echoes it) and clears the box", async () => {
    const { socket } = await openOrder();
    await screen.findByTestId("conversation-empty");
    const box = screen.getByLabelText("Your message");
    const send = screen.getByRole("button", { name: "Send" });
    expect(send).toBeDisabled();

    await userEvent.type(box, "   ");
    expect(send).toBeDisabled(); // spaces alone are no message
    await userEvent.type(box, "Please leave it with the neighbour.{enter}Thanks!  ");
    await userEvent.click(send);

    await waitFor(() => expect(shown()).toEqual(["Please leave it with the neighbour.\nThanks!"]));
    expect(api.callsTo("POST", "/api/orders/7/messages")[0].body).toEqual({ text: "Please leave it with the neighbour.\nThanks!" });
    expect(box).toHaveValue("");
    act(() => socket.fire("messageReceived", thread[0])); // the order's room brings it back to its writer
    expect(shown()).toHaveLength(1);
    expect(unread()).toEqual([]); // one's own message is never new
  });

  it("keeps the draft and says why when the server refuses it", async () => {
    api.on("POST", "/api/orders/7/messages", { ...problem(429, "rate_limited", { detail: "Too many requests." }), headers: { "Retry-After": "30" } });
    await openOrder();
    await screen.findByTestId("conversation-empty");
    const box = screen.getByLabelText("Your message");

    await userEvent.type(box, "Hello?");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));

    expect(await within(screen.getByTestId("conversation")).findByRole("alert")).toHaveTextContent(/Try again in \d+ s/);
    expect(box).toHaveValue("Hello?");
    expect(shown()).toEqual([]);
  });

  it("counts the characters and will not send more than 2,000", async () => {
    await openOrder();
    await screen.findByTestId("conversation-empty");
    const box = screen.getByLabelText("Your message");

    await userEvent.click(box);
    await userEvent.paste("x".repeat(2001));

    expect(screen.getByText("1 character too many")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(box).toHaveAttribute("aria-invalid", "true");
    await userEvent.type(box, "{backspace}");
    expect(screen.getByText("2,000 / 2,000")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
  });

  it("adds a reply live and marks it new; other orders' messages stay out", async () => {
    thread = [message(1, ada, "Where is it?")];
    const { socket } = await openOrder();
    await waitFor(() => expect(shown()).toEqual(["Where is it?"]));

    const reply = message(2, sam, "On the van now.");
    thread.push(reply);
    act(() => {
      socket.fire("messageReceived", reply);
      socket.fire("messageReceived", { ...reply }); // by the user's room and the order's
      socket.fire("messageReceived", { ...message(3, sam, "About another order"), order_id: 8 });
    });

    expect(shown()).toEqual(["Where is it?", "On the van now."]);
    expect(unread()).toEqual([2]);
    expect(screen.getByTestId("conversation-new-count")).toHaveTextContent("1 new");
    // replying reads it
    await userEvent.type(screen.getByLabelText("Your message"), "Great, thanks");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(shown()).toHaveLength(3));
    expect(unread()).toEqual([]);
    expect(screen.queryByTestId("conversation-new-count")).not.toBeInTheDocument();
  });

  it("marks what the bell holds unread as new, and reads those notifications while it is shown", async () => {
    // given a reply written while the customer was away: its notification is unread
    thread = [message(1, ada, "Is the blue one in stock?"), message(2, sam, "It is: I reserved one for you.")];
    bell = [makeNotification({ id: 900, type: "message", title: "New message about order #7", data: { order_id: 7, message_id: 2 } })];
    await openOrder();

    // then it is marked new, and its notification is read (the badge empties)
    await waitFor(() => expect(unread()).toEqual([2]));
    await waitFor(() => expect(api.callsTo("PATCH", "/api/notifications/900/read")).toHaveLength(1));
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeInTheDocument();
    expect(unread()).toEqual([2]); // still marked for this visit
  });

  it("re-reads the conversation when a message notification names a message it missed", async () => {
    thread = [message(1, ada, "Hello")];
    const { socket } = await openOrder();
    await waitFor(() => expect(shown()).toEqual(["Hello"]));

    // the socket was down when the reply went out: only its (queued) notification arrives
    thread.push(message(2, sam, "Sorry for the wait."));
    const note = makeNotification({ id: 901, type: "message", data: { order_id: 7, message_id: 2 } });
    bell.unshift(note);
    act(() => socket.fire("notification", note));

    await waitFor(() => expect(shown()).toEqual(["Hello", "Sorry for the wait."]));
    expect(unread()).toEqual([2]);
  });

  it("catches up after a reconnect", async () => {
    const { socket } = await openOrder();
    await screen.findByTestId("conversation-empty");
    act(() => socket.serverDisconnect());

    thread.push(message(1, sam, "Written while you were offline"));
    await act(async () => {
      await socket.serverConnect();
    });

    await waitFor(() => expect(shown()).toEqual(["Written while you were offline"]));
    expect(unread()).toEqual([1]);
  });

  it("shows markup as text", async () => {
    thread = [message(1, sam, '<img src=x onerror="alert(1)"><b>bold</b>')];
    const { section } = await openOrder();
    await waitFor(() => expect(shown()).toEqual(['<img src=x onerror="alert(1)"><b>bold</b>']));
    expect(section.querySelector("img")).toBeNull();
    expect(section.querySelector("b")).toBeNull();
  });

  it("shows earlier messages on request", async () => {
    thread = Array.from({ length: 35 }, (_, i) => message(i + 1, i % 2 ? sam : ada, `message ${i + 1}`));
    await openOrder();
    await waitFor(() => expect(shown()).toHaveLength(30));
    expect(shown()[0]).toBe("message 6");

    await userEvent.click(screen.getByRole("button", { name: "Show earlier messages" }));

    await waitFor(() => expect(shown()).toHaveLength(35));
    expect(shown()[0]).toBe("message 1");
    expect(screen.queryByRole("button", { name: "Show earlier messages" })).not.toBeInTheDocument();
    expect(unread()).toEqual([]); // history, not news
  });
});
