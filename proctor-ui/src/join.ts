// The join link's page (/join#token=…, issue 13): a candidate who opens
// the cabinet's join link in a browser is told, in their language, how to
// start the proctored stage — get the agent, run it with this very link
// (a command to copy, so no token is typed by hand), and that the
// candidate page then opens by itself.

import "./style.css";
import { h } from "./dom";
import { initialLang, loadCatalogue, onLangChange, t } from "./i18n";
import { langSwitch } from "./lang-switch";

const root = document.getElementById("app") as HTMLElement;
const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
let copied = false;

function render(): void {
  document.title = t("join.title");
  const link = `${location.origin}/join#${new URLSearchParams({ token }).toString()}`;
  const command = `kuzet-agent join '${link}'`;
  const main = h("main", { class: "candidate join" }, h("h1", {}, t("join.title")));
  if (!token) {
    main.append(h("p", { class: "refusal", role: "alert", id: "join-invalid" }, t("join.invalid")));
  } else {
    const copy = h("button", { type: "button", id: "join-copy" }, t("join.copy"));
    copy.addEventListener("click", () => {
      void navigator.clipboard?.writeText(command).then(() => {
        copied = true;
        render();
      });
    });
    main.append(
      h("p", {}, t("join.intro")),
      h("ol", { class: "join-steps" },
        h("li", {}, t("join.step1")),
        h("li", {}, t("join.step2"), h("pre", { class: "join-command", id: "join-command" }, command), copy,
          copied ? h("span", { class: "meta", role: "status" }, " ", t("join.copied")) : null),
        h("li", {}, t("join.step3"))),
      h("p", { class: "hint" }, t("join.private")));
  }
  root.replaceChildren(h("header", { class: "top" }, h("h1", {}, "Kuzet"), langSwitch()), main);
}

async function main(): Promise<void> {
  await loadCatalogue(initialLang(new URLSearchParams(location.search).get("lang")));
  onLangChange(render);
  render();
}

void main();
