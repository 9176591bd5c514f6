// The review studio's page: plain JavaScript, no library, nothing loaded from elsewhere.
// Text from transcripts is only ever put into the page as text (never as HTML).
"use strict";

const token = document.querySelector('meta[name="studio-token"]').content;
const view = document.getElementById("view");
const player = document.getElementById("player");
const dialog = document.getElementById("dialog");
const form = document.getElementById("dialog-form");
const S = { page: null, study: null, iv: null, det: 0, line: 0, row: 0, playingWords: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function say(text, ok = false) {
  const m = document.getElementById("message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
}

async function api(path, body) {
  const options = { headers: { "X-Studio-Token": token } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch("/api/" + path, options);
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.stale = !!data.stale;
    throw error;
  }
  return data;
}

// --- routing -----------------------------------------------------------------------------------

async function route() {
  const code = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  player.pause();
  try {
    if (code) await openInterview(code);
    else await openStudy();
  } catch (error) {
    say(error.message);
  }
}
window.addEventListener("hashchange", () => { say(""); route(); });  // a message belongs to its page

// --- the study -----------------------------------------------------------------------------------

async function openStudy() {
  S.page = "study";
  S.study = await api("study");
  document.getElementById("where").textContent = "";
  drawStudy();
  keys([["j/k", "move"], ["Enter", "open"], ["Shift+W", "render all"]]);
}

function bar(percent) {
  const fill = el("span");
  fill.style.width = percent + "%";  // set through the DOM: the page's CSP allows no inline style
  return el("span", { class: "bar", title: percent + "%" }, fill);
}

function drawStudy() {
  const rows = S.study.interviews.map((iv, i) => {
    const done = iv.detections ? Math.round(100 * iv.decided / iv.detections) : 100;
    const status = [
      iv.anonymised ? el("span", { class: "chip good", text: "anonymised" }) : el("span", { class: "chip bad", text: "not anonymised" }),
      iv.check_first > iv.check_first_decided ? el("span", { class: "chip warn", text: `${iv.check_first - iv.check_first_decided} to check first` }) : null,
      iv.reviewed ? el("span", { class: "chip good", text: "reviewed" }) : null,
      iv.review_lost ? el("span", { class: "chip warn", text: "review mark removed", title: iv.review_lost }) : null,
      iv.corrections ? el("span", { class: "chip", text: `${iv.corrections} correction(s)` }) : null,
      iv.unfit ? el("span", { class: "chip bad", text: `${iv.unfit} correction(s) no longer fit` }) : null,
    ];
    const pending = iv.pending_lines === null ? "never rendered" : iv.pending_lines ? `${iv.pending_lines} line(s) to render` : "up to date";
    return el("tr", { class: i === S.row ? "current" : "", "data-code": iv.code, onclick: () => (location.hash = "#/" + iv.code) },
      el("td", {}, el("a", { href: "#/" + iv.code, text: iv.code })),
      el("td", { text: iv.duration }),
      el("td", {}, ...status),
      el("td", {}, bar(done),
        ` ${iv.decided} of ${iv.detections} decided`),
      el("td", { class: "pending", text: pending }));
  });
  const all = S.study.interviews;
  const total = all.reduce((n, iv) => n + iv.detections, 0), decided = all.reduce((n, iv) => n + iv.decided, 0);
  const pending = all.filter(iv => iv.pending_lines).length;
  const lost = all.filter(iv => iv.review_lost);
  view.replaceChildren(
    el("h1", { text: "Interviews" }),
    lost.length ? el("div", { class: "unfit", id: "lost" }, el("strong", { text: "No longer marked as reviewed:" }),
      ...lost.map(iv => el("div", { text: `${iv.code}: ${iv.review_lost}. Read it again and press v.` }))) : null,
    el("p", { class: "summary", text: `${all.length} interview(s), ${decided} of ${total} detection(s) decided, `
      + `${all.filter(iv => iv.reviewed).length} reviewed; ${pending ? pending + " to render (Shift+W)" : "every shareable file up to date"}.` }),
    el("table", { id: "study" },
      el("thead", {}, el("tr", {}, ...["Interview", "Length", "Status", "Review", "Shareable files"].map(h => el("th", { text: h })))),
      el("tbody", {}, ...rows)));
}

// --- one interview -------------------------------------------------------------------------------

async function openInterview(code, keepPlace = false) {
  const iv = await api("interview/" + encodeURIComponent(code));
  const first = S.iv === null || S.iv.code !== code;
  S.page = "interview";
  S.iv = iv;
  if (first && !keepPlace) {  // the first item, on its line: the line and the item are one place
    S.det = iv.detections.length ? 0 : -1;
    S.line = S.det >= 0 ? Math.max(0, iv.lines.findIndex(l => l.n === iv.detections[0].line)) : 0;
    player.removeAttribute("src");
  }
  document.getElementById("where").textContent = "Interview " + code;
  drawInterview();
  keys([["n/p", "next/previous item"], ["a", "accept"], ["r", "reject"], ["o", "own text"], ["Shift+A", "always replace"],
        ["Shift+N", "never replace"], ["Shift+P", "pseudonym"], ["m", "mark selection"], ["↑/↓", "line"], ["Space", "play/pause line"],
        ["e", "edit turn"], ["s", "speaker"], ["v", "reviewed"], ["Shift+W", "render"], ["Esc", "study"]]);
}

function label(d) {
  if (d.decision.toLowerCase() === "reject") return ["kept", "rejected"];
  if (d.decision && d.decision.toLowerCase() !== "accept") return [d.decision, "own"];
  return [d.proposed || "?", ""];
}

function drawInterview() {
  const iv = S.iv;
  const byId = Object.fromEntries(iv.detections.map(d => [d.id, d]));
  const focus = S.det >= 0 ? iv.detections[S.det] : null;
  const lines = iv.lines.map((line, index) => {
    const node = el("div", { class: "line" + (index === S.line ? " current" : ""), "data-n": line.n, "data-turn": line.turn,
      onclick: event => { if (!window.getSelection().toString()) { S.line = index; markLine(); play(index); } } });
    node.append(el("span", { class: "num", text: String(line.n).padStart(4) + "  " }));
    node.append(el("span", { class: "spk", text: (line.speaker ? line.speaker + ":" : "").padEnd(iv.lines.reduce((m, l) => Math.max(m, (l.speaker || "").length + 1), 2) + 2) }));
    let group = null;
    line.words.forEach((w, k) => {
      let text = k === 0 ? w.text.replace(/^\s+/, "") : w.text;
      const d = w.det && byId[w.det];
      if (d && (!group || group.dataset.id !== d.id)) {  // the space before a detection stays outside it
        const lead = text.match(/^\s*/)[0];
        if (lead) node.append(lead);
        text = text.slice(lead.length);
      }
      const span = el("span", { class: "w", "data-start": w.start, "data-end": w.end, "data-turn": line.turn, "data-i": w.i, text });
      if (d) {
        if (!group || group.dataset.id !== d.id) {
          const [shown, state] = label(d);
          group = el("mark", { class: `${d.category}${d.check_first ? " check" : ""}${focus && focus.id === d.id ? " focus" : ""}`,
            "data-id": d.id, title: d.why });
          node.append(group);
          group.ph = el("span", { class: "ph " + state, text: shown });
        }
        group.append(span);
        const next = line.words[k + 1];
        if (!next || next.det !== d.id) group.append(" ", group.ph);  // a word of its own: "Helen, [I]"
      } else {
        group = null;
        node.append(span);
      }
    });
    return node;
  });
  const items = iv.detections.map((d, i) => {
    const [shown, state] = label(d);
    return el("div", { class: `det ${d.category}${i === S.det ? " focus" : ""}`, "data-id": d.id,
      onclick: () => focusDetection(i) },
      el("span", { class: "state", text: d.decision ? (state === "rejected" ? "rejected" : state === "own" ? "own text" : "accepted") : "" }),
      el("div", {}, el("span", { class: "what", text: d.text }), " → ", el("span", { class: "ph " + state, text: shown })),
      el("div", { class: "meta", text: `line ${d.line} · ${d.why}` }));
  });
  const unfit = iv.unfit.length ? el("div", { class: "unfit" }, el("strong", { text: "Corrections that no longer fit the recognised words:" }),
    ...iv.unfit.map(u => el("div", { text: `${u.time} "${u.was}": ${u.kind} → ${u.wanted}` }))) : null;
  const pending = iv.pending_lines === null ? "not rendered yet" : iv.pending_lines ? `${iv.pending_lines} line(s) change on render` : "shareable files up to date";
  view.replaceChildren(el("div", { class: "interview" },
    el("section", { class: "transcript", id: "transcript", "aria-label": "numbered transcript" }, ...lines),
    el("aside", { class: "panel" },
      el("h2", { text: `${iv.detections.length} item(s) found · ${iv.corrections} correction(s) · ${pending}${iv.reviewed ? " · reviewed" : ""}` }),
      iv.review_lost ? el("div", { class: "unfit", text: `No longer marked as reviewed: ${iv.review_lost}.` }) : null,
      iv.audio ? null : el("div", { class: "unfit", text: "The recording is not available (the study file does not list it, or it changed)." }),
      iv.refusal ? el("div", { class: "unfit", text: "Rendering would refuse this interview: " + iv.refusal }) : null,
      unfit, el("div", { id: "detections" }, ...items))));
  if (focus) scrollTo(document.querySelector(`mark[data-id="${focus.id}"]`));
}

function focusDetection(index) {
  S.det = Math.max(0, Math.min(index, S.iv.detections.length - 1));
  const d = S.iv.detections[S.det];
  if (d) S.line = Math.max(0, S.iv.lines.findIndex(l => l.n === d.line));
  drawInterview();
}

// The item on the current line is the one a, r and o act on; a line without one has none, so
// only one place on the page is ever highlighted.
function itemOnLine() {
  const line = S.iv.lines[S.line];
  const mine = S.iv.detections.findIndex(d => line && d.line === line.n);
  S.det = mine;
  document.querySelectorAll("mark.focus, .det.focus").forEach(n => n.classList.remove("focus"));
  if (mine >= 0) document.querySelectorAll(`[data-id="${S.iv.detections[mine].id}"]`).forEach(n => n.classList.add("focus"));
}

function step(direction) {
  if (S.det >= 0) return focusDetection(S.det + direction);
  const here = S.iv.lines[S.line] ? S.iv.lines[S.line].n : 0;
  const order = S.iv.detections.map((d, i) => i);
  const next = direction > 0 ? order.find(i => S.iv.detections[i].line >= here) : order.reverse().find(i => S.iv.detections[i].line <= here);
  focusDetection(next === undefined ? (direction > 0 ? 0 : S.iv.detections.length - 1) : next);
}

function scrollTo(node) { if (node) node.scrollIntoView({ block: "nearest" }); }
function markLine() {
  document.querySelectorAll(".line.current").forEach(n => n.classList.remove("current"));
  const node = document.querySelectorAll(".line")[S.line];
  if (node) { node.classList.add("current"); scrollTo(node); }
  itemOnLine();
}

async function change(action, body) {
  try {
    const data = await api(`interview/${encodeURIComponent(S.iv.code)}/${action}`, { version: S.iv.version, ...body });
    S.iv = data.interview;
    drawInterview();
    return data;
  } catch (error) {
    say(error.message);
    if (error.stale) await openInterview(S.iv.code, true);
    return null;
  }
}

async function decide(decision) {
  const d = S.iv.detections[S.det];
  if (!d) { say("Nothing to decide on this line: press n for the next item."); return; }
  if (await change("decision", { id: d.id, decision })) {
    say(`${d.text}: ${decision || "accepted"}`, true);
    focusDetection(S.det + 1);
  }
}

async function rule(kind, text, category) {
  const data = await change("rule", { kind, text, category });
  if (data) {
    const codes = [...new Set(data.occurrences.map(o => o.code))];
    say(kind === "always"
      ? `"${text}" is replaced study-wide: ${data.occurrences.length} occurrence(s) in ${codes.join(", ") || "no interview"}; check them, then render.`
      : `"${text}" is never replaced in this study.`, true);
  }
}

// --- dialogs -------------------------------------------------------------------------------------

function ask(title, fields, buttons) {
  // fields: nodes; buttons: [[label, value]]; resolves with the button's value (or null on Esc).
  return new Promise(resolve => {
    form.replaceChildren(el("h3", { text: title }), ...fields,
      el("div", { class: "row" }, ...buttons.map(([text, value]) => el("button", { value, text }))));
    dialog.onclose = () => resolve(dialog.returnValue || null);
    dialog.returnValue = "";
    dialog.showModal();
    const input = form.querySelector("textarea, input");
    if (input) { input.focus(); }
  });
}

async function ownText() {
  const d = S.iv.detections[S.det];
  if (!d) { say("Nothing to replace on this line: press n for the next item."); return; }
  const input = el("input", { type: "text", id: "own", value: d.decision && !/^(accept|reject)$/i.test(d.decision) ? d.decision : d.proposed });
  input.addEventListener("keydown", e => { if (e.key === "Enter") { e.preventDefault(); dialog.close("save"); } });
  if (await ask(`Replace "${d.text}" with`, [input], [["Cancel", ""], ["Save (Enter)", "save"]]) === "save") {
    await decide(input.value.trim() || "accept");
  }
}

async function setPseudonym() {
  const d = S.iv.detections[S.det];
  if (!d || d.category !== "person") { say("Choose a person's detection to give them a pseudonym."); return; }
  const input = el("input", { type: "text", id: "pseudonym", value: d.proposed });
  input.addEventListener("keydown", e => { if (e.key === "Enter") { e.preventDefault(); dialog.close("save"); } });
  if (await ask(`Pseudonym of "${d.text}" in the whole study`, [input], [["Cancel", ""], ["Save (Enter)", "save"]]) === "save"
      && await change("pseudonym", { id: d.id, pseudonym: input.value.trim() })) {
    say(`"${d.text}" is ${input.value.trim()} in the whole study; render to update the shareable files.`, true);
  }
}

async function chooseCategory(text) {
  const keysFor = { p: "person", l: "place", o: "organisation" };
  const listener = e => { if (keysFor[e.key]) { e.preventDefault(); e.stopPropagation(); dialog.close(keysFor[e.key]); } };
  dialog.addEventListener("keydown", listener);
  const value = await ask(`Mark "${text}" as`, [el("p", { text: "It is replaced everywhere in the study by one placeholder." })],
    [["Cancel", ""], ["Person (p)", "person"], ["Place (l)", "place"], ["Organisation (o)", "organisation"]]);
  dialog.removeEventListener("keydown", listener);
  return value;
}

async function markSelection(text) {
  text = (text || window.getSelection().toString()).replace(/\s+/g, " ").trim();
  if (!text) { say("Select the missed text first (mouse, or Shift+arrows in the turn editor)."); return; }
  const category = await chooseCategory(text);
  if (category) await rule("always", text, category);
}

function currentTurn() {
  const line = S.iv.lines[S.line];
  return line ? line.turn : 0;
}

function linesOf(turn) {  // "line 7" or "lines 7-9", as the page numbers them
  const numbers = S.iv.lines.filter(l => l.turn === turn).map(l => l.n);
  if (!numbers.length) return "this turn";
  const first = numbers[0], last = numbers[numbers.length - 1];
  return first === last ? `line ${first}` : `lines ${first}-${last}`;
}

async function editTurn() {
  const turn = currentTurn();
  const original = S.iv.turns[turn].text;
  const area = el("textarea", { id: "turn-text" });
  area.value = original;
  area.addEventListener("keydown", e => {
    if (e.key === "Enter" && !e.shiftKey && !e.altKey) { e.preventDefault(); dialog.close("save"); }
    if (e.key === "s" && e.altKey) { e.preventDefault(); dialog.close("split"); }
    if (e.key === "m" && e.altKey) { e.preventDefault(); dialog.close("mark"); }
  });
  const where = linesOf(turn);
  const value = await ask(`${where[0].toUpperCase() + where.slice(1)} (${S.iv.turns[turn].speaker})`,
    [area, el("p", { text: "Enter saves. Alt+S splits the turn at the cursor; Alt+M marks the selected text as missed." })],
    [["Cancel", ""], ["Mark selection (Alt+M)", "mark"], ["Split at cursor (Alt+S)", "split"], ["Save (Enter)", "save"]]);
  if (value === "save" && area.value !== original) {
    if (await change("text", { turn, text: area.value })) say("Correction saved.", true);
  } else if (value === "split") {
    if (area.value !== original) { say("Save the text first, then split."); return; }
    const word = area.value.slice(0, area.selectionStart).trim().split(/\s+/).filter(Boolean).length;
    const atBoundary = area.selectionStart === 0 || /\s/.test(area.value[area.selectionStart - 1]) || /\s/.test(area.value[area.selectionStart] || " ");
    const index = atBoundary ? word : word - 1;
    if (await change("split", { turn, word: index })) say("Turn split.", true);
  } else if (value === "mark") {
    await markSelection(area.value.slice(area.selectionStart, area.selectionEnd));
  }
}

async function changeSpeaker() {
  const turn = currentTurn();
  const speakers = S.iv.speakers;
  const listener = e => {
    const n = parseInt(e.key, 10);
    if (n >= 1 && n <= speakers.length) { e.preventDefault(); e.stopPropagation(); dialog.close(speakers[n - 1]); }
  };
  dialog.addEventListener("keydown", listener);
  const value = await ask(`Speaker of ${linesOf(turn)} (now ${S.iv.turns[turn].speaker})`, [],
    [["Cancel", ""], ...speakers.map((s, i) => [`${s} (${i + 1})`, s])]);
  dialog.removeEventListener("keydown", listener);
  if (value && value !== S.iv.turns[turn].speaker) {
    const where = linesOf(turn);
    if (await change("speaker", { turn, speaker: value })) say(`${where[0].toUpperCase() + where.slice(1)}: now ${value}.`, true);
  }
}

async function render() {
  say("Rendering…", true);
  try {
    const data = await api("render", {});
    const failed = data.results.filter(r => r.status === "failed");
    await route();  // the page shows the new state before it says the render is done
    const notes = data.results.filter(r => r.message).map(r => `${r.code}: ${r.message}`);
    say([failed.length ? `${failed.length} interview(s) could not be rendered.` : `Rendered ${data.results.length} interview(s).`,
         ...notes].join(" "), !failed.length);
  } catch (error) { say(error.message); }
}
document.getElementById("render").addEventListener("click", render);

// --- audio ---------------------------------------------------------------------------------------

function play(lineIndex) {
  if (!S.iv.audio) { say("The recording is not available."); return; }
  const line = S.iv.lines[lineIndex];
  const start = line.words.length ? line.words[0].start : 0;
  const src = `/api/interview/${encodeURIComponent(S.iv.code)}/audio`;
  const go = () => { player.currentTime = start; player.play().catch(e => say(e.message)); };
  if (!player.src.endsWith(src)) {
    player.src = src;
    player.addEventListener("loadedmetadata", go, { once: true });
    player.load();
  } else go();
}

function highlight() {
  const t = player.currentTime;
  document.querySelectorAll(".w.now").forEach(n => n.classList.remove("now"));
  for (const node of document.querySelectorAll(".w")) {
    if (parseFloat(node.dataset.start) <= t && t < parseFloat(node.dataset.end)) {
      node.classList.add("now");
      break;
    }
  }
  if (!player.paused) requestAnimationFrame(highlight);
}
player.addEventListener("play", () => requestAnimationFrame(highlight));

// --- keyboard ------------------------------------------------------------------------------------

function keys(list) {
  document.getElementById("keys").replaceChildren(...list.flatMap(([k, what]) => [el("kbd", { text: k }), ` ${what}  `]));
}

document.addEventListener("keydown", async e => {
  if (dialog.open || e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
  if (e.key === "W") { e.preventDefault(); await render(); return; }
  if (S.page === "study") {
    const n = S.study.interviews.length;
    if (e.key === "j" || e.key === "ArrowDown") { S.row = Math.min(S.row + 1, n - 1); drawStudy(); }
    else if (e.key === "k" || e.key === "ArrowUp") { S.row = Math.max(S.row - 1, 0); drawStudy(); }
    else if (e.key === "Enter" && n) location.hash = "#/" + S.study.interviews[S.row].code;
    return;
  }
  if (S.page !== "interview") return;
  const d = S.iv.detections[S.det];
  const handlers = {
    n: () => step(1),
    j: () => handlers.n(),
    p: () => step(-1),
    k: () => handlers.p(),
    a: () => decide("accept"),
    r: () => decide("reject"),
    o: () => ownText(),
    A: () => d && rule("always", d.text, d.category),
    N: () => d && rule("never", d.text, d.category),
    P: () => setPseudonym(),
    m: () => markSelection(),
    e: () => editTurn(),
    s: () => changeSpeaker(),
    v: async () => { if (await change("reviewed", { reviewed: !S.iv.reviewed })) say(S.iv.reviewed ? "Marked as reviewed." : "No longer marked as reviewed.", true); },
    ArrowDown: () => { S.line = Math.min(S.line + 1, S.iv.lines.length - 1); markLine(); },
    ArrowUp: () => { S.line = Math.max(S.line - 1, 0); markLine(); },
    " ": () => (player.paused ? play(S.line) : player.pause()),
    Escape: () => { location.hash = "#/"; },
  };
  if (handlers[e.key]) { e.preventDefault(); await handlers[e.key](); }
});

route();
