// HR's identity checks (rule 10.1, issue 16): the ID document the candidate
// held to the camera beside the reference snapshot of their face, and the
// decision. Only HR sees the ID photo (it shows the name and IIN, p.74-1);
// the proctor sees the decision in the sitting's feed.

import { api } from "./api";
import { h } from "./dom";
import { has, t } from "./i18n";
import { kzTime, refusal } from "./workflow-types";

interface Image {
  n: number;
  sha256: string;
  time: string;
  url: string;
}

interface Check {
  sitting: string;
  pin: string;
  competition: string;
  stage: string;
  id_photo: Image | null;
  reference: Image | null;
  decision: { outcome: string; note?: string; actor: string; time: string } | null;
  pending: boolean;
}

/** The section, filled by load(); it reloads itself after a decision. */
export class IdentityChecks {
  readonly el = h("section", { class: "panel", id: "identity", "aria-labelledby": "identity-title" });
  private checks: Check[] = [];
  private error: HTMLElement | null = null;

  async load(): Promise<void> {
    try {
      this.checks = await api<Check[]>("GET", "/api/identity");
      this.error = null;
    } catch (err) {
      this.error = refusal(err);
    }
    this.render();
  }

  render(): void {
    const pending = this.checks.filter((c) => c.pending).length;
    this.el.replaceChildren(
      h("h2", { id: "identity-title" }, t("hr.identity.title"), pending ? h("span", { class: "overdue-count" }, t("hr.identity.pending_n", { n: String(pending) })) : null),
      h("p", { class: "hint" }, t("hr.identity.hint")),
    );
    if (this.error) this.el.append(this.error);
    if (!this.checks.length) {
      this.el.append(h("p", { class: "empty" }, t("hr.identity.none")));
      return;
    }
    this.el.append(h("ul", { class: "identity-checks" }, ...this.checks.map((c) => this.item(c))));
  }

  private item(c: Check): HTMLElement {
    const photo = (img: Image | null, label: string, cls: string): HTMLElement =>
      h(
        "figure",
        { class: cls },
        img ? h("img", { src: img.url, alt: label }) : h("div", { class: "no-photo" }, t("hr.identity.no_image")),
        h("figcaption", {}, img ? `${label} · ${kzTime(img.time)}` : label),
      );
    const li = h(
      "li",
      { "data-sitting": c.sitting, "data-pin": c.pin, "data-state": c.pending ? "pending" : (c.decision?.outcome ?? "") },
      h("p", {}, h("strong", { class: "pin" }, t("hr.identity.pin", { pin: c.pin })), " · ", has(`hr.stage.${c.stage}`) ? t(`hr.stage.${c.stage}`) : c.stage),
      h("div", { class: "photos" }, photo(c.reference, t("hr.identity.reference"), "reference"), photo(c.id_photo, t("hr.identity.id_photo"), "id-photo")),
    );
    if (c.decision && !c.pending) {
      const ok = c.decision.outcome === "identity_confirmed";
      li.append(
        h(
          "p",
          { class: ok ? "decided ok" : "decided rejected", role: "status" },
          ok ? t("hr.identity.confirmed", { actor: c.decision.actor }) : t("hr.identity.rejected", { actor: c.decision.actor, note: c.decision.note ?? "" }),
        ),
      );
      return li;
    }
    const note = h("textarea", { id: `id-note-${c.sitting}`, rows: "2", maxlength: "1000" }) as HTMLTextAreaElement;
    const out = h("div", { class: "result" });
    const decide = (outcome: "confirmed" | "rejected"): void => {
      out.replaceChildren();
      api("POST", `/api/identity/${encodeURIComponent(c.sitting)}`, { outcome, note: note.value })
        .then(() => this.load())
        .catch((err: unknown) => out.replaceChildren(refusal(err)));
    };
    const confirm = h("button", { type: "button" }, t("hr.identity.confirm"));
    confirm.addEventListener("click", () => decide("confirmed"));
    const reject = h("button", { type: "button", class: "danger" }, t("hr.identity.reject"));
    reject.addEventListener("click", () => decide("rejected"));
    li.append(h("label", { for: note.id }, t("hr.identity.note")), note, h("div", { class: "buttons" }, confirm, reject), out);
    return li;
  }
}
