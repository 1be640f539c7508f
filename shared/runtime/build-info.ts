import packageJson from "../../package.json" with { type: "json" };

// Replaced with string literals by scripts/build.ts (`define`); absent under `bun run`.
declare const __SALESCONTROL_VERSION__: string | undefined;
declare const __SALESCONTROL_COMMIT__: string | undefined;
declare const __SALESCONTROL_BUILT_AT__: string | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  builtAt: string | null;
  compiled: boolean;
}

export const buildInfo: BuildInfo = Object.freeze({
  version: typeof __SALESCONTROL_VERSION__ === "string" ? __SALESCONTROL_VERSION__ : packageJson.version,
  commit: typeof __SALESCONTROL_COMMIT__ === "string" ? __SALESCONTROL_COMMIT__ : "dev",
  builtAt: typeof __SALESCONTROL_BUILT_AT__ === "string" ? __SALESCONTROL_BUILT_AT__ : null,
  compiled: typeof __SALESCONTROL_VERSION__ === "string",
});

export function describeBuild(node: string): string {
  return `salescontrol-${node} ${buildInfo.version} (commit ${buildInfo.commit}${buildInfo.builtAt ? `, built ${buildInfo.builtAt}` : ""})`;
}
