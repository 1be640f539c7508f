import type { Context } from "hono";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import type { SafeHtml } from "../../shared/pages/html.ts";
import { type Say, withKitWords } from "../../shared/pages/kit-words.ts";
import { pageLanguage, renderPage } from "../../shared/pages/page-document.ts";
import type { PageLanguage, Words } from "../../shared/pages/words.ts";
import { coreWords } from "./core-words.ts";
import { pageScripts } from "./page-scripts.generated.ts";
import { studioWords } from "./studio-words.ts";

export type CorePageName = keyof typeof pageScripts;
export type { Say };

/**
 * The core's pages in the kit's layout. A page behind sign-in is served to everyone (it carries no
 * data): its script reads the API with the operator's session or the admin token kept in the tab.
 */
export function renderCorePage<Data>(
  c: Context<AppEnv>,
  options: {
    page: CorePageName;
    titleKey: string;
    operator: string | null;
    signedIn: boolean;
    data?: Data;
    main: (say: Say, language: PageLanguage) => SafeHtml;
    /** A feature's own words beside the dashboard's. */
    words?: Words<string>;
    connectSources?: readonly string[];
  },
): Response {
  const language = pageLanguage(c);
  const words = { ...coreWords[language], ...studioWords[language], ...options.words?.[language] };
  const { say } = withKitWords(language, words);
  const navigation = options.signedIn ? [
        { href: "/dashboard", label: say("nav.overview"), current: options.page === "overview" },
        { href: "/dialogues", label: say("nav.dialogues"), current: options.page === "dialogues" || options.page === "dialogue" },
        { href: "/what-works", label: say("nav.whatWorks"), current: options.page === "what-works" },
        { href: "/points", label: say("nav.points"), current: options.page === "points" },
        { href: "/recorders", label: say("nav.recorders"), current: options.page === "recorders" },
        { href: "/studio", label: say("nav.studio"), current: options.page.startsWith("studio") },
      ] : [];
  return renderPage(c, {
    language,
    words,
    title: say(options.titleKey),
    product: say("product"),
    homeHref: options.signedIn ? "/dashboard" : "/login",
    navigation,
    account: options.operator ? { name: options.operator, signOutPath: "/operator/api/logout", signedOutHref: "/login" } : null,
    main: options.main(say, language),
    script: pageScripts[options.page],
    data: options.data,
    connectSources: options.connectSources,
  });
}
