import type { Context } from "hono";
import { type SessionDeps, currentOperator, sessionTokenOf } from "../../shared/accounts/operator-session.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../../shared/http/app-error.ts";
import { bearerTokenOf, tokensMatch } from "../../shared/http/bearer-token.ts";
import type { AppEnv, HttpApp } from "../../shared/http/create-http-app.ts";
import { upgradeWebSocket } from "../../shared/runtime/websocket.ts";
import type { CampaignConnection, CampaignSocketHost, SocketCaller } from "./campaign-socket.ts";

export const campaignSocketPath = "/ws/:campaignId";

/**
 * Who opens the socket: `Authorization: Bearer <ADMIN_TOKEN>`, a listen-only link's `?listen=`, or
 * the operator session cookie — which a browser sends to a socket of any site, so it counts only
 * from a page whose Origin is this core.
 */
async function socketCallerOf(c: Context<AppEnv>, campaignId: string, deps: { socket: CampaignSocketHost; adminToken: string | undefined; sessions: SessionDeps }): Promise<SocketCaller> {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    if (!deps.adminToken) throw forbidden("socket.token_disabled", "campaign sockets take an operator session or a listen link: set ADMIN_TOKEN to open one with a token");
    if (!tokensMatch(bearerTokenOf(header), deps.adminToken)) throw unauthorized("auth.invalid_token", "the token is not valid for campaign sockets");
    return { kind: "admin" };
  }
  const listen = c.req.query("listen");
  if (listen !== undefined) {
    const link = listen.length <= 256 ? await deps.socket.listenerOf(campaignId, listen) : null;
    if (!link) throw unauthorized("auth.invalid_token", "this listen link is not valid for the campaign, or it was revoked: ask for a new one");
    return { kind: "listener", linkId: link.linkId };
  }
  if (sessionTokenOf(c, deps.sessions.node) !== null) {
    const origin = c.req.header("origin");
    let originHost: string | null = null;
    try {
      originHost = origin ? new URL(origin).host : null;
    } catch {
      originHost = null;
    }
    if (originHost === null || originHost !== c.req.header("host")) throw forbidden("auth.csrf", "a campaign socket opened with a session must come from the core's own pages");
    const operator = await currentOperator(c, deps.sessions);
    if (!operator) throw unauthorized("auth.required", "the session has ended: sign in again");
    return { kind: "operator", operator };
  }
  throw unauthorized("auth.required", "sign in as an operator, or send Authorization: Bearer <ADMIN_TOKEN>, or open a listen link");
}

/** `GET /ws/{campaign_id}`: the caller and the campaign are checked before the upgrade. */
export function registerCampaignSocketRoute(app: HttpApp, deps: { socket: CampaignSocketHost; adminToken: string | undefined; sessions: SessionDeps }): void {
  const accepted = new WeakMap<Request, { campaignId: string; caller: SocketCaller }>();
  app.get(
    campaignSocketPath,
    async (c, next) => {
      const campaignId = c.req.param("campaignId") ?? "";
      if (!campaignIdPattern.test(campaignId)) throw badRequest("socket.invalid_campaign_id", "the campaign id in the path is not a valid id");
      const caller = await socketCallerOf(c, campaignId, deps);
      if (!(await deps.socket.campaignExists(campaignId))) throw notFound("campaign.not_found", `no campaign '${campaignId}'`);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new AppError("socket.upgrade_required", 426, "this is a WebSocket: open it with an Upgrade: websocket request");
      accepted.set(c.req.raw, { campaignId, caller });
      return next();
    },
    upgradeWebSocket((c) => {
      const { campaignId, caller } = accepted.get(c.req.raw)!;
      let connection: CampaignConnection | null = null;
      return {
        onOpen: (_event, ws) => {
          connection = deps.socket.opened(ws, campaignId, caller);
        },
        onMessage: (event, _ws) => {
          if (connection) void deps.socket.received(connection, event.data);
        },
        onClose: () => {
          if (connection) deps.socket.closed(connection);
        },
      };
    }),
  );
}
