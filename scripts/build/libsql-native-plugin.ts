import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { constants, zstdCompressSync } from "node:zlib";
import type { BunPlugin } from "bun";
import { writeFileAtomicSync } from "../../shared/runtime/files.ts";

const loaderModule = join(import.meta.dir, "../../shared/runtime/native-addon.ts");

/**
 * libsql picks its native addon at run time with `require(\`@libsql/${target}\`)`, which the bundler
 * cannot follow. This plugin replaces that lookup with the target's addon, embedded zstd-compressed
 * and unpacked by shared/runtime/native-addon.ts. It refuses to build if the code it rewrites no
 * longer looks as expected.
 */
export function libsqlNativePlugin(addonPath: string, cacheDirectory: string, onPatched: () => void): BunPlugin {
  const addon = readFileSync(addonPath);
  const sha256 = createHash("sha256").update(addon).digest("hex");
  const archive = join(cacheDirectory, `libsql-${sha256.slice(0, 16)}.node.zst`);
  if (!existsSync(archive)) writeFileAtomicSync(archive, zstdCompressSync(addon, { params: { [constants.ZSTD_c_compressionLevel]: 19 } }));

  return {
    name: "libsql-native-addon",
    setup(build) {
      build.onResolve({ filter: /^salescontrol-libsql-native$/ }, () => ({ path: "libsql-native", namespace: "salescontrol" }));
      build.onLoad({ filter: /.*/, namespace: "salescontrol" }, () => ({
        contents: [
          `import archivePath from ${JSON.stringify(archive)} with { type: "file" };`,
          `import { loadCompressedNativeAddon } from ${JSON.stringify(loaderModule)};`,
          `export const addon = loadCompressedNativeAddon({ archivePath, sha256: ${JSON.stringify(sha256)}, name: "libsql" });`,
        ].join("\n"),
        loader: "js",
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, "utf8");
        const lookup = /function requireNative\(\) \{[\s\S]*?return require\(`@libsql\/\$\{target\}`\);\n\}/;
        const matches = source.match(new RegExp(lookup.source, "g")) ?? [];
        if (matches.length !== 1) {
          throw new Error(
            `${args.path}: expected exactly one requireNative() ending in require(\`@libsql/\${target}\`), found ${matches.length}; libsql changed shape, update scripts/build/libsql-native-plugin.ts`,
          );
        }
        onPatched();
        return {
          contents: source.replace(lookup, 'function requireNative() {\n  return require("salescontrol-libsql-native").addon;\n}'),
          loader: "js",
        };
      });
    },
  };
}
