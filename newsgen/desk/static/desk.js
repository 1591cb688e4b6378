// newsgen desk: follows /api/events and renders one card per <record id>:<task>, latest revision on top.
// Record content is only ever set with textContent / Text nodes (never innerHTML): a team called
// "<script>" shows as text. The server's CSP allows no inline script either.
"use strict";

const desk = {
  notes: new Map(),      // note key -> view
  groups: new Map(),     // group -> Map(key -> view): the note's history (revision.edit places)
  cards: new Map(),      // group -> <article>
  approvals: new Map(),  // note key -> {approved_by, approved_at}
  pending: new Map(),    // group -> {revision, action}
  config: {styles: ["news", "brief", "formal", "plain", "social"]},
  filters: {sport: "", status: "", tournament: "", flagged: "", state: ""},
};
const FACETS = ["sport", "status", "tournament"];
const $ = (sel, root = document) => root.querySelector(sel);

// what newsgen.grammar.clean_text drops (C0/C1 controls but line breaks, DEL, bidi marks, embeddings,
// overrides and isolates, zero-width and invisible format characters, the BOM): a team called
// "Zenit\u202e" cannot reverse the text after it. The server cleans views too; this is the page's own guard.
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
function clean(value) { return String(value).replace(CONTROLS, ""); }

// el("p", {class: "x", "data-key": k}, "text", child): attributes via setAttribute, children as nodes/text
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : clean(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : clean(child));
  }
  return node;
}

function token() { return sessionStorage.getItem("newsgen.desk.token") || ""; }
function authHeaders() {
  const t = token();
  return t ? {"Authorization": "Bearer " + t} : {};
}

function toast(message, kind = "info") {
  const box = el("div", {class: "toast " + kind}, message);
  $("#toasts").append(box);
  setTimeout(() => box.remove(), kind === "error" ? 10000 : 5000);
}

// --- the event stream (fetch, so the token can go in a header) ----------------------------------
const stream = {controller: null, wake: null};

function reconnect() {  // a new token: drop the stream and open it again at once
  if (stream.controller) stream.controller.abort();
  if (stream.wake) stream.wake();
}

async function follow() {
  let delay = 1000;
  for (;;) {
    setConn("connecting", "connecting…");
    stream.controller = new AbortController();
    try {
      const response = await fetch("/api/events", {headers: authHeaders(), cache: "no-store",
                                                    signal: stream.controller.signal});
      if (!response.ok) {
        const detail = await errorText(response);
        setConn("error", `stream refused (${response.status}): ${detail}`);
      } else {
        delay = 1000;
        await readEvents(response.body.getReader());
        setConn("connecting", "reconnecting…");
      }
    } catch (err) {
      if (err.name === "AbortError") { delay = 0; continue; }
      setConn("error", "stream lost: " + err.message);
    }
    await new Promise((resolve) => { stream.wake = resolve; setTimeout(resolve, delay); });
    stream.wake = null;
    delay = Math.min(Math.max(delay * 2, 1000), 15000);
  }
}

async function readEvents(reader) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, {stream: true});
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) handle(event, JSON.parse(data));
    }
  }
}

function setConn(state, text) {
  const c = $("#conn");
  c.dataset.state = state;
  c.textContent = text;
}

function handle(event, data) {
  if (event === "snapshot") {
    for (const card of desk.cards.values()) card.remove();
    desk.notes.clear(); desk.groups.clear(); desk.cards.clear(); desk.pending.clear();
    for (const p of data.pending) desk.pending.set(p.group, p);
    for (const view of data.notes) addNote(view);
    for (const group of desk.pending.keys()) if (!desk.cards.has(group)) renderGroup(group);
    setConn(data.ready ? "live" : "loading", data.ready ? "live" : "loading backlog…");
  } else if (event === "ready") {
    setConn("live", "live");
  } else if (event === "note") {
    addNote(data);
  } else if (event === "approval") {
    desk.approvals.set(data.key, data);
    const view = desk.notes.get(data.key);
    if (view) renderGroup(view.group);
  } else if (event === "pending") {
    desk.pending.set(data.group, data);
    renderGroup(data.group);
  } else if (event === "reset") {
    toast("the page fell behind the stream: reloading the notes");
  }
  refreshFacets();
  applyFilters();
}

function addNote(view) {
  desk.notes.set(view.key, view);
  if (view.approved) desk.approvals.set(view.key, view.approved);
  if (!desk.groups.has(view.group)) desk.groups.set(view.group, new Map());
  desk.groups.get(view.group).set(view.key, view);
  const pending = desk.pending.get(view.group);
  if (pending && byPlace(view, pending) >= 0) desk.pending.delete(view.group);
  renderGroup(view.group);
}

// a note's place in its history: (machine revision, editorial sequence); the current one is the highest
function byPlace(a, b) {
  return (a.revision - b.revision) || ((a.edit || 0) - (b.edit || 0));
}

function latest(group) {
  const revisions = desk.groups.get(group);
  if (!revisions || revisions.size === 0) return null;
  return [...revisions.values()].sort((a, b) => byPlace(b, a) || b.seq - a.seq)[0];
}

// --- cards --------------------------------------------------------------------------------------
function renderGroup(group) {
  let card = desk.cards.get(group);
  const fresh = !card;
  if (fresh) {
    card = el("article", {class: "note", "data-group": group});
    desk.cards.set(group, card);
  }
  const view = latest(group);
  if (view && card.dataset.editing === "1") {
    // keep the editor's work; just say that something newer arrived
    const notice = $(".newer", card);
    if (notice && view.key !== card.dataset.key) notice.hidden = false;
  } else {
    card.replaceChildren(...(view ? cardParts(view) : placeholderParts(group)));
  }
  if (view) {
    card.dataset.key = view.key;
    card.dataset.revision = view.label || String(view.revision);
    card.dataset.recordId = view.record_id;
    card.dataset.state = desk.approvals.has(view.key) ? "approved" : "pending";
    card.classList.toggle("flagged", !!view.flagged);
    card.classList.remove("placeholder");
  } else {
    card.classList.add("placeholder");
  }
  if (fresh || card.dataset.editing !== "1") place(card, group);
}

// newest first: a card sits by the newest note of its group ([timestamp, arrival]); placeholders on top
function orderKey(group) {
  let best = [Number.MAX_SAFE_INTEGER, 0];
  for (const v of (desk.groups.get(group) || new Map()).values()) {
    const first = best[0] === Number.MAX_SAFE_INTEGER;
    if (first || v.timestamp_ms > best[0] || (v.timestamp_ms === best[0] && v.seq > best[1])) best = [v.timestamp_ms, v.seq];
  }
  return best;
}

function place(card, group) {
  const key = orderKey(group);
  card.order = key;
  const list = $("#notes");
  for (const other of list.children) {
    if (other === card) continue;
    const k = other.order;
    if (k[0] < key[0] || (k[0] === key[0] && k[1] < key[1])) {
      if (other.previousElementSibling !== card) list.insertBefore(card, other);
      return;
    }
  }
  if (list.lastElementChild !== card) list.append(card);
}

function placeholderParts(group) {
  const p = desk.pending.get(group) || {};
  return [el("div", {class: "facts"}, el("h3", {}, group)),
          el("div", {class: "body"}, el("p", {class: "text muted"},
             `${p.action || "request"} sent (revision ${p.label || p.revision}); waiting for the workers…`))];
}

function badge(text, kind, title) {
  return el("span", {class: "badge " + (kind || ""), title: title || null}, text);
}

function fmtLatency(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms >= 1000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms) + " ms";
}

function cardParts(v) {
  const facts = el("dl", {class: "kv"});
  for (const [label, value] of v.facts) facts.append(el("dt", {}, label), el("dd", {"data-fact": label}, value));
  const factsBox = el("div", {class: "facts"},
    el("h3", {class: "record-id"}, v.record_id),
    el("div", {class: "sport"}, `${v.sport} · ${v.task}`),
    facts,
    el("details", {class: "raw"}, el("summary", {}, "record"),
       el("pre", {}, JSON.stringify(v.record, null, 2))));  // el() cleans the JSON text too

  const approval = desk.approvals.get(v.key);
  const pending = desk.pending.get(v.group);
  const fc = v.factcheck;
  const flags = el("div", {class: "flags"},
    fc ? badge(`fact check: ${fc.verdict}`, fc.ok === false ? "bad" : fc.ok ? "good" : "", fc.detail || null)
       : badge("fact check: –", "muted", "no verdict in provenance"),
    v.fallback ? badge(`fallback${v.fallback_reason ? ": " + v.fallback_reason : ""}`, "warn") : null,
    v.human_edit ? badge(`human-edited${v.edited_by ? " by " + v.edited_by : ""}`, "human") : null,
    approval ? badge(`approved${approval.approved_by ? " by " + approval.approved_by : ""}`, "good approved") : null,
    pending ? badge(`${pending.action} → rev ${pending.label || pending.revision}…`, "pending") : null,
    v.supersedes_edit ? badge(`replaces edit ${v.supersedes_edit.label}${v.supersedes_edit.edited_by ?
      " by " + v.supersedes_edit.edited_by : ""}`, "warn superseded",
      "a later revision is current; the edit stays in the history below") : null,
    v.rejected.length ? badge(`${v.rejected.length} rejected candidate${v.rejected.length > 1 ? "s" : ""}`, "muted")
                      : null);
  const fcDetail = fc && fc.ok === false && fc.detail ? el("p", {class: "fc-detail"}, fc.detail) : null;
  const rejected = v.rejected.length ? el("details", {class: "rejected"},
    el("summary", {}, `model texts that failed the fact check (${v.rejected.length})`),
    el("ol", {}, ...v.rejected.map((c) => el("li", {},
      el("span", {class: "muted"}, `${c.reasons.join(", ") || "?"} · `), c.text)))) : null;

  const meta = el("div", {class: "meta"},
    el("span", {class: "rev"}, `rev ${v.label || v.revision}`),
    el("span", {class: "model", title: "model"}, v.model || "?"),
    el("span", {class: "backend", title: "backend"}, v.backend || "?"),
    el("span", {class: "latency", title: "generation latency"}, fmtLatency(v.latency_ms)),
    el("span", {class: "when", title: v.created_at || ""}, (v.created_at || "").replace("T", " ").slice(0, 19)),
    el("span", {class: "key muted"}, v.key));

  const text = el("p", {class: "text", lang: v.language || null}, v.text);
  const editBox = el("div", {class: "edit", hidden: true},
    el("textarea", {rows: 5, "aria-label": "note text"}),
    el("div", {class: "row"},
      el("button", {type: "button", "data-action": "save"}, "Publish edit"),
      el("button", {type: "button", "data-action": "cancel"}, "Cancel"),
      el("span", {class: "newer", hidden: true}, "a newer revision arrived")));

  const style = el("select", {class: "style", "aria-label": "rewrite style"},
    ...desk.config.styles.map((s) => el("option", {value: s}, s)));
  const buttons = el("div", {class: "actions"},
    el("button", {type: "button", "data-action": "approve", disabled: !!approval}, approval ? "Approved" : "Approve"),
    el("button", {type: "button", "data-action": "edit"}, "Edit"),
    el("button", {type: "button", "data-action": "regenerate"}, "Regenerate"),
    el("span", {class: "rewrite"}, style, el("button", {type: "button", "data-action": "rewrite"}, "Rewrite")));

  const older = [...desk.groups.get(v.group).values()].filter((o) => o.key !== v.key)
    .sort((a, b) => byPlace(b, a) || b.seq - a.seq);
  const history = older.length ? el("details", {class: "history"},
    el("summary", {}, `earlier revisions (${older.length})`),
    el("ol", {}, ...older.map((o) => el("li", {value: o.revision},
      el("span", {class: "muted"}, `rev ${o.label || o.revision} · ${o.backend}${o.edited_by ? " · " + o.edited_by : ""} · `),
      o.text)))) : null;

  const body = el("div", {class: "body"}, meta, flags, fcDetail, text, editBox, buttons, history, rejected);
  return [factsBox, body];
}

// --- actions ------------------------------------------------------------------------------------
async function errorText(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (_) {
    return response.statusText;
  }
}

async function act(key, action, body = {}) {
  const response = await fetch(`/api/notes/${encodeURIComponent(key)}/${action}`, {
    method: "POST",
    headers: {"Content-Type": "application/json", ...authHeaders()},
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    toast(`${action} refused (${response.status}): ${await errorText(response)}`, "error");
    return null;
  }
  return response.json();
}

async function onCardClick(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const card = button.closest("article.note");
  const key = card.dataset.key;
  const action = button.dataset.action;
  const edit = $(".edit", card);
  if (action === "edit") {
    card.dataset.editing = "1";
    $("textarea", edit).value = desk.notes.get(key).text;
    edit.hidden = false;
    $("textarea", edit).focus();
    return;
  }
  if (action === "cancel") {
    delete card.dataset.editing;
    renderGroup(card.dataset.group);
    applyFilters();
    return;
  }
  button.disabled = true;
  try {
    if (action === "approve") {
      const r = await act(key, "approve");
      if (r) toast(`approved ${key}`);
    } else if (action === "regenerate") {
      const r = await act(key, "regenerate");
      if (r) toast(`regenerating ${r.record_id} as revision ${r.label || r.revision}`);
    } else if (action === "rewrite") {
      const style = $("select.style", card).value;
      const r = await act(key, "rewrite", {style});
      if (r) toast(`rewrite (${style}) requested: ${r.key}`);
    } else if (action === "save") {
      const r = await act(key, "edit", {text: $("textarea", edit).value});
      if (r) {
        toast(`edit published as ${r.key}`);
        delete card.dataset.editing;
        renderGroup(card.dataset.group);
      }
    }
  } finally {
    if (button.isConnected && !(action === "approve" && desk.approvals.has(key))) button.disabled = false;
  }
}

// --- filters ------------------------------------------------------------------------------------
function refreshFacets() {
  for (const facet of FACETS) {
    const select = $(`#f-${facet}`);
    const known = new Set([...select.options].map((o) => o.value));
    const values = new Set();
    for (const group of desk.groups.keys()) {
      const v = latest(group);
      if (v && v[facet]) values.add(String(v[facet]));
    }
    for (const value of [...values].sort()) {
      if (!known.has(value)) select.append(el("option", {value}, value));
    }
  }
}

function passes(v) {
  const f = desk.filters;
  if (f.sport && v.sport !== f.sport) return false;
  if (f.status && v.status !== f.status) return false;
  if (f.tournament && v.tournament !== f.tournament) return false;
  if (f.flagged && (!!v.flagged) !== (f.flagged === "yes")) return false;
  if (f.state && desk.approvals.has(v.key) !== (f.state === "approved")) return false;
  return true;
}

function applyFilters() {
  let shown = 0, flagged = 0, approved = 0;
  for (const [group, card] of desk.cards) {
    const v = latest(group);
    const visible = v ? passes(v) : true;
    card.hidden = !visible;
    if (visible) shown += 1;
    if (v && v.flagged) flagged += 1;
    if (v && desk.approvals.has(v.key)) approved += 1;
  }
  $("#counts").textContent = `${desk.cards.size} notes · ${flagged} flagged · ${approved} approved`;
  $("#shown").textContent = `${shown} shown`;
  $("#empty").hidden = desk.cards.size > 0;
}

// --- start --------------------------------------------------------------------------------------
async function start() {
  $("#token").value = token();
  $("#auth").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("newsgen.desk.token", $("#token").value.trim());
    toast("token saved for this tab");
    whoami();
    if (desk.config.read_token_required) reconnect();
  });
  for (const select of document.querySelectorAll("select[data-filter]")) {
    select.addEventListener("change", () => { desk.filters[select.dataset.filter] = select.value; applyFilters(); });
  }
  $("#notes").addEventListener("click", onCardClick);
  try {
    const response = await fetch("/api/config");
    if (response.ok) desk.config = await response.json();
    if (!desk.config.actions_enabled) toast("actions are disabled: the desk has no token configured", "error");
  } catch (_) { /* the stream reports the connection */ }
  applyFilters();
  whoami();
  follow();
}

// the editor the token names (the server decides who acts: edited_by and approved_by are this name)
async function whoami() {
  const who = $("#whoami");
  if (!token()) { who.textContent = "not signed in"; delete who.dataset.editor; return; }
  try {
    const response = await fetch("/api/whoami", {headers: authHeaders(), cache: "no-store"});
    if (response.ok) {
      const name = clean((await response.json()).editor);
      who.textContent = "editor: " + name;
      who.dataset.editor = name;
    } else {
      who.textContent = `token refused (${response.status})`;
      delete who.dataset.editor;
    }
  } catch (_) { /* the stream reports the connection */ }
}

document.addEventListener("DOMContentLoaded", start);
