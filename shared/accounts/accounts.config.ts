import { field } from "../config/config-spec.ts";
import { integer } from "../config/config-types.ts";

/** The settings of operator sign-in; `pages` names what an account opens on this node. */
export function accountsConfig(pages: string) {
  return {
    operatorSessionHours: field(integer({ min: 1, max: 24 * 30 }), {
      env: "OPERATOR_SESSION_HOURS",
      default: 12,
      description: `How long an operator stays signed in to ${pages}.`,
    }),
  };
}
