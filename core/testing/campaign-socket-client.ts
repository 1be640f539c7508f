import { waitUntil } from "../../shared/testing/wait-until.ts";

/** A WebSocket client that keeps every message and how the socket closed. */
export function openSocket(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers } as unknown as string[]);
  const messages: Array<Record<string, any>> = [];
  let closed: { code: number; reason: string } | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", () => reject(new Error(`socket ${url} failed to open`)));
  });
  socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
  socket.addEventListener("close", (event) => (closed = { code: event.code, reason: event.reason }));
  return {
    socket,
    messages,
    opened,
    closed: () => closed,
    async next(predicate: (message: Record<string, any>) => boolean, what: string, timeoutMs = 5_000) {
      await waitUntil(what, () => messages.some(predicate), timeoutMs, 5);
      return messages.find(predicate)!;
    },
  };
}

export type TestSocket = ReturnType<typeof openSocket>;
