import { ConfigError } from "../config/config-loader.ts";

/** The problems a configuration load reports; fails the test when it loads without any. */
export function configProblemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
