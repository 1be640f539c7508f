import { type Dictionary, defineWords, type PageLanguage, type PhraseValues, translate } from "./words.ts";

/** The words every page shares: the layout, dialogs, and the one word per state. */
export const kitWords = defineWords(
  {
    "kit.skip": "Skip to content",
    "kit.pages": "Pages",
    "kit.signOut": "Sign out",
    "kit.signedInAs": "Signed in as {name}",
    "kit.language": "Language",
    "kit.cancel": "Cancel",
    "kit.close": "Close",
    "kit.details": "Details",
    "kit.none": "–",
    "kit.requestFailed": "The request failed ({status}).",
    "kit.connectionLost": "The connection to the server was lost. Check the network and try again.",
    "kit.bytes.kB": "{value} kB",
    "kit.bytes.MB": "{value} MB",
    "kit.bytes.GB": "{value} GB",
    "kit.duration.s": "{s} s",
    "kit.duration.min": "{m} min {s} s",
    "kit.duration.h": "{h} h {m} min",
    "kit.pageOf": "Page {page} of {pages}",
    "kit.previous": "Previous page",
    "kit.next": "Next page",
  },
  {
    "kit.skip": "К содержимому",
    "kit.pages": "Разделы",
    "kit.signOut": "Выйти",
    "kit.signedInAs": "Вы вошли как {name}",
    "kit.language": "Язык",
    "kit.cancel": "Отмена",
    "kit.close": "Закрыть",
    "kit.details": "Подробности",
    "kit.none": "–",
    "kit.requestFailed": "Запрос не выполнен ({status}).",
    "kit.connectionLost": "Связь с сервером прервалась. Проверьте сеть и попробуйте ещё раз.",
    "kit.bytes.kB": "{value} КБ",
    "kit.bytes.MB": "{value} МБ",
    "kit.bytes.GB": "{value} ГБ",
    "kit.duration.s": "{s} с",
    "kit.duration.min": "{m} мин {s} с",
    "kit.duration.h": "{h} ч {m} мин",
    "kit.pageOf": "Страница {page} из {pages}",
    "kit.previous": "Предыдущая страница",
    "kit.next": "Следующая страница",
  },
);

export type Say = (key: string, values?: PhraseValues) => string;

/** A page's words with the kit's beneath them, and `say` over the whole. */
export function withKitWords(language: PageLanguage, words: Dictionary): { words: Dictionary; say: Say } {
  const every: Dictionary = { ...kitWords[language], ...words };
  return { words: every, say: (key, values) => translate(every, language, key, values) };
}
