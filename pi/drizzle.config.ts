import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./pi/db/schema.ts",
  out: "./pi/db/migrations",
  // Litestream keeps its own tables in every replicated database; they are not ours to manage.
  tablesFilter: ["!_litestream_*", "!_salescontrol_*"],
});
