import type { Context } from "hono";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import type { SafeHtml } from "../../shared/pages/html.ts";
import { pageLanguage, renderPage } from "../../shared/pages/page-document.ts";
import { type Say, withKitWords } from "../../shared/pages/kit-words.ts";
import type { PageLanguage } from "../../shared/pages/words.ts";
import { edgeWords } from "./edge-words.ts";
import { pageScripts } from "./page-scripts.generated.ts";

export type EdgePageName = keyof typeof pageScripts;

/** The edge's pages in the kit's layout; `main` writes the page's content with the page's words. */
export function renderEdgePage<Data>(
  c: Context<AppEnv>,
  options: {
    page: EdgePageName;
    titleKey: string;
    operator: string | null;
    data?: Data;
    main: (say: Say, language: PageLanguage) => SafeHtml;
  },
): Response {
  const language = pageLanguage(c);
  const words = edgeWords[language];
  const { say } = withKitWords(language, words);
  const navigation = options.operator
    ? (["dashboard", "importer"] as const).map((page) => ({ href: `/${page}`, label: say(`nav.${page}`), current: page === options.page }))
    : [];
  return renderPage(c, {
    language,
    words,
    title: say(options.titleKey),
    product: say("product"),
    homeHref: options.operator ? "/dashboard" : "/login",
    navigation,
    account: options.operator ? { name: options.operator, signOutPath: "/operator/api/logout", signedOutHref: "/login" } : null,
    main: options.main(say, language),
    script: pageScripts[options.page],
    data: options.data,
  });
}
