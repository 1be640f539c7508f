import { randomUUID } from "node:crypto";
import type { SignedInOperator } from "../../shared/accounts/accounts.usecases.ts";
import { AppError } from "../../shared/http/app-error.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";

/** Every message on a campaign socket, both ways, is one JSON object naming its type. */
export type CampaignEvent = { type: string; [field: string]: unknown };

export type SocketCaller =
  /** The core's operator session cookie, from a page of the core itself. */
  | { kind: "operator"; operator: SignedInOperator }
  /** `Authorization: Bearer <ADMIN_TOKEN>`: scripts. */
  | { kind: "admin" }
  /** `?listen=<token>`: a listen-only link, accepted by a feature's check. */
  | { kind: "listener"; linkId: string };

export interface CampaignConnection {
  readonly id: string;
  readonly campaignId: string;
  readonly caller: SocketCaller;
  readonly openedAt: number;
  /** JSON-encodes the event; a socket that has closed is skipped. */
  send(event: CampaignEvent): void;
  close(code: number, reason: string): void;
}

type MessageHandler = (connection: CampaignConnection, message: CampaignEvent) => void | Promise<void>;

/**
 * The campaign socket `GET /ws/{campaign_id}`: one socket per campaign carries the events of every
 * feature (listening rooms, the dialer). Features publish events and register the messages they take;
 * the socket owns connections, the snapshot on open, and the refusal of malformed messages.
 */
export interface CampaignSocket {
  /** Sends the event to every open socket of the campaign; returns how many it went to. */
  publish(campaignId: string, event: CampaignEvent): number;
  connections(campaignId: string): CampaignConnection[];
  /** Events sent to a socket as it opens (a feature's snapshot), in registration order. */
  onOpen(handler: (connection: CampaignConnection) => CampaignEvent[] | Promise<CampaignEvent[]>): void;
  /**
   * Handles client messages of one type. The handler validates the fields; an AppError it throws is
   * answered to that socket alone as `{"type": "error", code, message, in_reply_to}`.
   */
  onMessage(type: string, handler: MessageHandler): void;
  onClose(handler: (connection: CampaignConnection) => void): void;
  /** A socket opens only for a campaign one of these knows. */
  addCampaignLookup(exists: (campaignId: string) => Promise<boolean>): void;
  /** Checks `?listen=<token>` for a campaign: the link it belongs to, or null. */
  addListenerCheck(check: (campaignId: string, token: string) => Promise<{ linkId: string } | null>): void;
  /** Closes every socket opened with this listen-only link (code 4403), e.g. when it is revoked. */
  closeListener(linkId: string, reason: string): void;
}

/** What the route needs from the socket beyond the features' interface. */
export interface CampaignSocketHost extends CampaignSocket {
  campaignExists(campaignId: string): Promise<boolean>;
  listenerOf(campaignId: string, token: string): Promise<{ linkId: string } | null>;
  opened(socket: RawSocket, campaignId: string, caller: SocketCaller): CampaignConnection;
  received(connection: CampaignConnection, data: unknown): Promise<void>;
  closed(connection: CampaignConnection): void;
}

/** The runtime's socket, as Hono's WSContext presents it. */
export interface RawSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
}

export const campaignSocketLimits = {
  /** A client message longer than this is refused (the largest legitimate one is far smaller). */
  maxMessageBytes: 16 * 1024,
  /** Messages a socket may send per second; past it the socket is closed (1008). */
  maxMessagesPerSecond: 100,
};

const socketOpen = 1;

export function createCampaignSocket(deps: { logger: Logger; metrics: MetricsRegistry; clock: Clock }): CampaignSocketHost {
  const byCampaign = new Map<string, Map<string, { connection: CampaignConnection; raw: RawSocket; window: { start: number; count: number } }>>();
  const openHandlers: Array<(connection: CampaignConnection) => CampaignEvent[] | Promise<CampaignEvent[]>> = [];
  const closeHandlers: Array<(connection: CampaignConnection) => void> = [];
  const messageHandlers = new Map<string, MessageHandler>();
  const lookups: Array<(campaignId: string) => Promise<boolean>> = [];
  const listenerChecks: Array<(campaignId: string, token: string) => Promise<{ linkId: string } | null>> = [];
  const sent = deps.metrics.counter("campaign_socket_events_sent_total", "Events sent to campaign sockets");
  const refused = deps.metrics.counter("campaign_socket_messages_refused_total", "Client messages on campaign sockets refused as malformed, unknown or too large");
  deps.metrics.gauge("campaign_socket_connections", "Open campaign sockets", () => {
    let open = 0;
    for (const sockets of byCampaign.values()) open += sockets.size;
    return open;
  });

  function sendTo(raw: RawSocket, event: CampaignEvent | string): boolean {
    if (raw.readyState !== socketOpen) return false;
    raw.send(typeof event === "string" ? event : JSON.stringify(event));
    sent.inc();
    return true;
  }

  const errorEvent = (code: string, message: string, inReplyTo: string | null): CampaignEvent => ({ type: "error", code, message, in_reply_to: inReplyTo });

  return {
    publish(campaignId, event) {
      const sockets = byCampaign.get(campaignId);
      if (!sockets) return 0;
      const encoded = JSON.stringify(event);
      let delivered = 0;
      for (const { raw } of sockets.values()) if (sendTo(raw, encoded)) delivered++;
      return delivered;
    },
    connections: (campaignId) => [...(byCampaign.get(campaignId)?.values() ?? [])].map((entry) => entry.connection),
    onOpen: (handler) => void openHandlers.push(handler),
    onMessage(type, handler) {
      if (messageHandlers.has(type)) throw new Error(`campaign socket: a handler for '${type}' is registered already`);
      messageHandlers.set(type, handler);
    },
    onClose: (handler) => void closeHandlers.push(handler),
    addCampaignLookup: (exists) => void lookups.push(exists),
    addListenerCheck: (check) => void listenerChecks.push(check),
    closeListener(linkId, reason) {
      for (const sockets of byCampaign.values()) {
        for (const { connection } of sockets.values()) {
          if (connection.caller.kind === "listener" && connection.caller.linkId === linkId) connection.close(4403, reason);
        }
      }
    },

    async campaignExists(campaignId) {
      for (const exists of lookups) if (await exists(campaignId)) return true;
      return false;
    },
    async listenerOf(campaignId, token) {
      for (const check of listenerChecks) {
        const link = await check(campaignId, token);
        if (link) return link;
      }
      return null;
    },

    opened(raw, campaignId, caller) {
      const connection: CampaignConnection = {
        id: randomUUID(),
        campaignId,
        caller,
        openedAt: deps.clock.now(),
        send: (event) => void sendTo(raw, event),
        close: (code, reason) => raw.close(code, reason),
      };
      let sockets = byCampaign.get(campaignId);
      if (!sockets) byCampaign.set(campaignId, (sockets = new Map()));
      sockets.set(connection.id, { connection, raw, window: { start: deps.clock.now(), count: 0 } });
      deps.logger.info("campaign socket opened", { campaignId, connectionId: connection.id, caller: caller.kind });
      void (async () => {
        for (const handler of openHandlers) {
          try {
            for (const event of await handler(connection)) connection.send(event);
          } catch (error) {
            deps.logger.error("campaign socket: a snapshot failed", { campaignId, connectionId: connection.id, error });
            connection.send(errorEvent("socket.snapshot_failed", "part of the campaign's state could not be read; reconnect to try again", null));
          }
        }
      })();
      return connection;
    },

    async received(connection, data) {
      const entry = byCampaign.get(connection.campaignId)?.get(connection.id);
      if (!entry) return;
      const now = deps.clock.now();
      if (now - entry.window.start >= 1000) entry.window = { start: now, count: 0 };
      if (++entry.window.count > campaignSocketLimits.maxMessagesPerSecond) {
        refused.inc();
        connection.close(1008, `more than ${campaignSocketLimits.maxMessagesPerSecond} messages a second`);
        return;
      }
      const refuse = (code: string, message: string, inReplyTo: string | null = null) => {
        refused.inc();
        connection.send(errorEvent(code, message, inReplyTo));
      };
      if (typeof data !== "string") return refuse("socket.binary_message", "messages are JSON text; binary frames are not taken");
      if (Buffer.byteLength(data) > campaignSocketLimits.maxMessageBytes) return refuse("socket.message_too_large", `a message may be at most ${campaignSocketLimits.maxMessageBytes} bytes`);
      let message: unknown;
      try {
        message = JSON.parse(data);
      } catch {
        return refuse("socket.malformed_json", "the message is not valid JSON");
      }
      if (typeof message !== "object" || message === null || Array.isArray(message) || typeof (message as { type?: unknown }).type !== "string") {
        return refuse("socket.malformed_message", 'a message is a JSON object with a "type" text field');
      }
      const event = message as CampaignEvent;
      const handler = messageHandlers.get(event.type);
      if (!handler) return refuse("socket.unknown_type", `no message of type '${event.type.slice(0, 64)}' is taken here`, event.type.slice(0, 64));
      try {
        await handler(connection, event);
      } catch (error) {
        if (error instanceof AppError) return refuse(error.code, error.message, event.type);
        deps.logger.error("campaign socket: a message failed", { campaignId: connection.campaignId, connectionId: connection.id, type: event.type, error });
        refuse("socket.internal_error", "the message could not be handled; try again", event.type);
      }
    },

    closed(connection) {
      const sockets = byCampaign.get(connection.campaignId);
      if (!sockets?.delete(connection.id)) return;
      if (sockets.size === 0) byCampaign.delete(connection.campaignId);
      deps.logger.info("campaign socket closed", { campaignId: connection.campaignId, connectionId: connection.id });
      for (const handler of closeHandlers) {
        try {
          handler(connection);
        } catch (error) {
          deps.logger.error("campaign socket: a close handler failed", { campaignId: connection.campaignId, connectionId: connection.id, error });
        }
      }
    },
  };
}
