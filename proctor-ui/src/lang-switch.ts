import { h } from "./dom";
import { langs, lang, setLang, t, onLangChange, type Lang } from "./i18n";

/** A language switcher: kk, ru, en buttons; the current one is pressed. */
export function langSwitch(): HTMLElement {
  const nav = h("nav", { class: "langs", "aria-label": t("ui.lang.choose") });
  const render = (): void => {
    nav.setAttribute("aria-label", t("ui.lang.choose"));
    nav.replaceChildren(
      ...langs.map((l: Lang) => {
        const b = h("button", { type: "button", "data-lang": l, "aria-pressed": String(l === lang()) }, t(`ui.lang.${l}`));
        b.addEventListener("click", () => setLang(l));
        return b;
      }),
    );
  };
  render();
  onLangChange(render);
  return nav;
}
