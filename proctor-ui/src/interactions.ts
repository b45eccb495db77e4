// The order and match questions of a test stage (issue 12), as the
// server scores them (server/workflow checkResponse): an order's response
// is the choice identifiers in the candidate's order, a match's the
// "source target" pairs. Each box saves through the page's answer path
// (IndexedDB first, then the server, by revision), so nothing is lost.

import { h } from "./dom";
import { t } from "./i18n";

export interface Choice {
  id: string;
  text: string;
  /** A match choice's matchMax: in how many pairs it may be (0: any). */
  match_max: number;
}

/** Saves a question's response. */
export type Save = (response: string[]) => void;

/**
 * The order question: the choices as an ordered list, each with "up" and
 * "down" buttons. It starts in the order the server gave (the draw's
 * shuffle) or the one saved. Nothing is saved until the candidate moves
 * an item or confirms the order shown, and the box says so: an order
 * the candidate never touched is not taken for an answer.
 */
export function orderBox(choices: Choice[], saved: string[], save: Save): HTMLElement {
  const text = new Map(choices.map((c) => [c.id, c.text]));
  // The saved order, then any choice it lacks in the server's order.
  const order = saved.filter((id) => text.has(id));
  for (const c of choices) if (!order.includes(c.id)) order.push(c.id);
  let answered = saved.length > 0;
  const box = h("div", { class: "order" });
  const live = h("p", { class: "order-live visually-hidden", "aria-live": "polite" });

  const commit = (): void => {
    answered = true;
    save([...order]);
  };
  const move = (i: number, by: number): void => {
    const j = i + by;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j] as string, order[i] as string];
    commit();
    draw();
    live.textContent = t("test.order.moved", { text: text.get(order[j] as string) ?? "", n: String(j + 1), total: String(order.length) });
    // The focus stays on the item moved, on the button that can still move it.
    const row = box.querySelectorAll<HTMLElement>("li.order-item")[j];
    const again = row?.querySelector<HTMLButtonElement>(by < 0 ? "button.order-up" : "button.order-down");
    const other = row?.querySelector<HTMLButtonElement>(by < 0 ? "button.order-down" : "button.order-up");
    (again && !again.disabled ? again : other)?.focus();
  };
  const draw = (): void => {
    const rows = order.map((id, i) => {
      const label = text.get(id) ?? id;
      const up = h("button", { type: "button", class: "order-up", "aria-label": t("test.order.up_label", { text: label }), disabled: i === 0 }, `▲ ${t("test.order.up")}`);
      const down = h("button", { type: "button", class: "order-down", "aria-label": t("test.order.down_label", { text: label }), disabled: i === order.length - 1 }, `▼ ${t("test.order.down")}`);
      up.addEventListener("click", () => move(i, -1));
      down.addEventListener("click", () => move(i, 1));
      return h("li", { class: "order-item", "data-id": id }, h("span", { class: "order-text" }, label), h("span", { class: "order-moves" }, up, down));
    });
    const state = h("p", { class: answered ? "hint order-state" : "error order-state", "data-saved": answered ? "yes" : "no" }, t(answered ? "test.order.answered" : "test.order.unsaved"));
    const parts: HTMLElement[] = [h("p", { class: "hint" }, t("test.order.hint")), h("ol", { class: "order-list" }, ...rows), state];
    if (!answered) {
      const confirm = h("button", { type: "button", class: "order-confirm" }, t("test.order.confirm"));
      confirm.addEventListener("click", () => {
        commit();
        draw();
        box.querySelector<HTMLElement>("button.order-up:not([disabled]), button.order-down:not([disabled])")?.focus();
      });
      parts.push(confirm);
    }
    box.replaceChildren(...parts, live);
  };
  draw();
  return box;
}

/**
 * The match question: for each source a select of the targets, with "—"
 * for none. The response is the pairs chosen, in the sources' order. At
 * most maxPairs pairs (the item's maxAssociations, 0: any): once reached,
 * the sources left at "—" wait; a target already in its matchMax pairs
 * is not offered to another source.
 */
export function matchBox(sources: Choice[], targets: Choice[], maxPairs: number, saved: string[], save: Save): HTMLElement {
  const picked = new Map<string, string>();
  for (const v of saved) {
    const [src, tgt] = v.split(" ");
    if (src && tgt && sources.some((s) => s.id === src) && targets.some((x) => x.id === tgt)) picked.set(src, tgt);
  }
  const selects = sources.map((s) =>
    h(
      "select",
      { class: "match-target", "data-source": s.id, "aria-label": t("test.match.label", { text: s.text }) },
      h("option", { value: "" }, "—"),
      ...targets.map((x) => h("option", { value: x.id, selected: picked.get(s.id) === x.id }, x.text)),
    ),
  );
  const limit = (): void => {
    const uses = new Map<string, number>();
    for (const tgt of picked.values()) uses.set(tgt, (uses.get(tgt) ?? 0) + 1);
    const full = maxPairs > 0 && picked.size >= maxPairs;
    for (const sel of selects) {
      const mine = picked.get(sel.dataset["source"] ?? "");
      sel.disabled = full && !mine;
      for (const opt of sel.options) {
        const x = targets.find((c) => c.id === opt.value);
        opt.disabled = !!x && x.match_max > 0 && opt.value !== mine && (uses.get(x.id) ?? 0) >= x.match_max;
      }
    }
  };
  for (const sel of selects) {
    sel.addEventListener("change", () => {
      const src = sel.dataset["source"] ?? "";
      if (sel.value) picked.set(src, sel.value);
      else picked.delete(src);
      limit();
      save(sources.filter((s) => picked.has(s.id)).map((s) => `${s.id} ${picked.get(s.id) ?? ""}`));
    });
  }
  limit();
  const rows = sources.map((s, i) => h("div", { class: "match-row" }, h("span", { class: "match-source" }, s.text), selects[i] ?? null));
  const hints = [h("p", { class: "hint" }, t("test.match.hint"))];
  if (maxPairs > 0 && maxPairs < sources.length) hints.push(h("p", { class: "hint match-max" }, t("test.match.max", { n: String(maxPairs) })));
  return h("div", { class: "match" }, ...hints, ...rows);
}
