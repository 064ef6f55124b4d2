package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"liaptui/game"
	"liaptui/web"
)

// The browser tests play through the page (web/) in headless Chromium
// against a real server in fast mode: every decision is a click or a key
// the way a player would make it, checked against what the server holds.

// TestBrowserQuickPlayGame: one human signs in, plays a quick-play game to
// game over (declining redeals, declaring allowed values, leading pairs or
// singles with the mouse and following with the keyboard), sees the final
// ranking the server computed and returns to the lobby. Every render the
// page made is checked against every hand.
func TestBrowserQuickPlayGame(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	bt := newBrowserTest(t, addr)
	p := bt.newPage("ana", 0, 0)
	p.signIn("Ana")
	p.shot("lobby")
	p.do("quick play", chromedp.Click(chromedp.ID("quick-play")))
	p.must("the game", `document.getElementById("app").dataset.screen === "room"`, 10*time.Second)
	room := p.state().Room
	browserDrive(t, []*browserPage{p}, allGameOver)
	p.checkGameOver(room)
	p.shot("game-over")
	p.drainRenders()
	phases := verifyRenders(t, addr, room, p.renders)
	for _, ph := range []string{"waiting", "preparation", "round_start", "declaration", "turn", "turn_results", "scoring", "game_over"} {
		if !phases[ph] {
			t.Errorf("no render in phase %s (saw %v)", ph, phases)
		}
	}
	p.do("back to the lobby", chromedp.Click(chromedp.ID("leave-room")))
	p.must("the lobby", `document.getElementById("app").dataset.screen === "lobby"`, 10*time.Second)
}

// TestBrowserReloadMidGame: on a phone-sized screen, a player reloads the
// page in the middle of a turn; the page comes back to the same room and
// seat with the stored token, resyncs, and the game is finished from there.
func TestBrowserReloadMidGame(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	bt := newBrowserTest(t, addr)
	p := bt.newPage("phone", 390, 844)
	p.signIn("Mei")
	p.noHorizontalScroll("lobby")
	p.do("quick play", chromedp.Click(chromedp.ID("quick-play")))
	p.must("the game", `document.getElementById("app").dataset.screen === "room"`, 10*time.Second)
	browserDrive(t, []*browserPage{p}, func(sts []pageState) bool {
		return sts[0].Phase == "turn" && sts[0].Action == "play" && p.acted > 0
	})
	before := p.state()
	token := pageEval[string](p, `localStorage.getItem("liaptui.token")`)
	p.noHorizontalScroll("mid-game")
	p.shot("before-reload")
	p.drainRenders()
	p.do("reload", chromedp.Reload())
	p.must("the game after the reload", fmt.Sprintf(`(() => { const d = document.getElementById("app").dataset;
		return d.screen === "room" && d.conn === "open" && Number(d.seq) >= %d; })()`, before.Seq), 15*time.Second)
	after := p.state()
	if after.Room != before.Room || after.Seat != before.Seat || after.Phase != "turn" || after.Action != "play" {
		p.fail("after the reload the page shows %+v, before it %+v", after, before)
	}
	if again := pageEval[string](p, `localStorage.getItem("liaptui.token")`); again != token || len(token) != 32 {
		p.fail("the token changed across the reload: %q, then %q", token, again)
	}
	p.shot("after-reload")
	browserDrive(t, []*browserPage{p}, allGameOver)
	p.checkGameOver(before.Room)
	p.noHorizontalScroll("game over")
	p.shot("game-over")
	p.drainRenders()
	verifyRenders(t, addr, before.Room, p.renders)
}

// TestBrowserLostConnection: the page's socket drops while it is the
// player's turn to declare: it reconnects by itself and resyncs. Then
// another connection resumes the identity and declares: the page says it
// was replaced and, after "Play here", shows the declaration it missed
// (resync from its last seq) and plays on to the end.
func TestBrowserLostConnection(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	bt := newBrowserTest(t, addr)
	p := bt.newPage("ana", 0, 0)
	p.signIn("Ana")
	p.do("quick play", chromedp.Click(chromedp.ID("quick-play")))
	p.must("the game", `document.getElementById("app").dataset.screen === "room"`, 10*time.Second)
	browserDrive(t, []*browserPage{p}, func(sts []pageState) bool { return sts[0].Action == "declare" })
	before := p.state()
	p.do("cut the connection", chromedp.Evaluate[chromedp.Void](`window.__sockets.at(-1).close()`))
	p.must("the page notices", `document.getElementById("app").dataset.conn !== "open"`, 5*time.Second)
	p.shot("connection-lost")
	p.must("the page reconnects", fmt.Sprintf(`(() => { const d = document.getElementById("app").dataset;
		return d.conn === "open" && Number(d.seq) >= %d && d.action === "declare"; })()`, before.Seq+2), 15*time.Second)
	p.must("the log tells", `(() => { const log = document.getElementById("log").textContent;
		return log.includes("You lost the connection") && log.includes("You are back"); })()`, 5*time.Second)

	token := pageEval[string](p, `localStorage.getItem("liaptui.token")`)
	c := e2eDial(t, addr)
	w := c.mustAck(c.call("hello", map[string]any{"token": token}))
	member, _ := w["room"].(map[string]any)
	if member == nil || member["room_id"] != before.Room {
		t.Fatalf("welcome for the page's token: %v", w)
	}
	c.room, c.seat = before.Room, int(member["seat"].(float64))
	c.resync(int64(member["last_seq"].(float64)))
	p.must("the page steps aside", `document.getElementById("use-here") !== null`, 10*time.Second)
	p.shot("replaced")
	typ, data := e2eMove(c.last, "declare")
	c.mustAck(c.call(typ, data))
	var missed int64
	for _, raw := range c.events {
		if ev := e2eParseEvent(t, raw); ev.Type == "declared" && ev.Payload.Seat == c.seat {
			missed = ev.Seq
		}
	}
	c.ws.Close()
	p.do("play here", chromedp.Click(chromedp.ID("use-here")))
	p.must("the missed declaration", fmt.Sprintf(`(() => { const li = document.querySelector('#log li[data-seq="%d"]');
		return document.getElementById("app").dataset.conn === "open" && li && li.textContent.startsWith("You declared %v"); })()`,
		missed, data["value"]), 15*time.Second)
	p.shot("taken-back")
	browserDrive(t, []*browserPage{p}, allGameOver)
	p.checkGameOver(before.Room)
	p.drainRenders()
	verifyRenders(t, addr, before.Room, p.renders)
}

// TestBrowserTwoHumansTwoBots: Ana creates a room, Bo sees it in his live
// lobby, mistypes a code (the page says so in words) and joins from the
// list, Ana seats, removes and seats bots with the host
// controls (Bo has none) and starts; both play the game to the end in
// their own browser contexts, and neither page ever shows the other's hand.
func TestBrowserTwoHumansTwoBots(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	bt := newBrowserTest(t, addr)
	ana, bo := bt.newPage("ana", 0, 0), bt.newPage("bo", 0, 0)
	ana.signIn("Ana")
	bo.signIn("Bo")
	ana.do("create a room", chromedp.Click(chromedp.ID("create-room")))
	ana.must("the waiting room", `document.getElementById("app").dataset.phase === "waiting"`, 10*time.Second)
	room := ana.state().Room
	row := fmt.Sprintf(`#room-list .room-row[data-room=%q]`, room)
	bo.must("the room in the lobby", fmt.Sprintf(`(() => { const r = document.querySelector(%q);
		return r && r.textContent.includes("Host: Ana") && !r.querySelector("button.join").disabled; })()`, row), 10*time.Second)
	bo.shot("lobby")
	bo.do("join a room that does not exist", chromedp.SendKeys(chromedp.ID("join-code"), "zzzzzz\n"))
	bo.must("the error in words", `document.getElementById("notice").textContent.includes("There is no open room with that code.")`, 10*time.Second)
	bo.shot("error")
	bo.do("join", chromedp.Click(chromedp.CSS(row+" button.join")))
	ana.must("Bo in seat 2", `document.querySelector('#seats [data-seat="2"] .seat-name').textContent === "Bo"`, 10*time.Second)
	bo.must("the waiting room", `document.getElementById("app").dataset.phase === "waiting"`, 10*time.Second)
	if n := pageEval[int](bo, `document.querySelectorAll(".seat-control, #start-game").length`); n != 0 {
		bo.fail("a guest sees %d host controls", n)
	}
	seatControl := func(seat int, want string) {
		sel := fmt.Sprintf(`#seats [data-seat="%d"] .seat-control`, seat)
		ana.must("seat control", fmt.Sprintf(`(() => { const b = document.querySelector(%q);
			return b && b.dataset.seatControl === %q && !b.disabled; })()`, sel, want), 10*time.Second)
		ana.do("seat control", chromedp.Click(chromedp.CSS(sel)))
	}
	seatControl(3, "bot")
	seatControl(4, "bot")
	seatControl(4, "open")
	ana.must("start disabled with an open seat", `document.getElementById("start-game").disabled`, 10*time.Second)
	seatControl(4, "bot")
	ana.must("start enabled", `!document.getElementById("start-game").disabled`, 10*time.Second)
	ana.shot("waiting-room")
	ana.do("start", chromedp.Click(chromedp.ID("start-game")))
	pages := []*browserPage{ana, bo}
	browserDrive(t, pages, allGameOver)
	for _, p := range pages {
		p.checkGameOver(room)
		p.shot("game-over")
		p.drainRenders()
		if phases := verifyRenders(t, addr, room, p.renders); !phases["waiting"] || !phases["turn"] || !phases["game_over"] {
			t.Errorf("%s: renders cover only %v", p.name, phases)
		}
	}
}

// TestBrowserStaticFiles: the page and each of its files are served with
// their type, no-store and a same-origin content policy, and none of them
// refers to anything outside the server (no CDN). It needs no browser.
func TestBrowserStaticFiles(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	names, err := fs.Glob(web.Files, "*")
	if err != nil || !slices.Contains(names, "index.html") || !slices.Contains(names, "app.js") {
		t.Fatalf("embedded files %v (%v)", names, err)
	}
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(`)
	types := map[string]string{".html": "text/html", ".js": "javascript", ".css": "text/css"}
	for _, name := range append(names, "") {
		path := "/" + name
		resp, body := e2eGet(t, "http://"+addr+path, nil)
		if name == "" {
			name = "index.html"
		}
		want, _ := fs.ReadFile(web.Files, name)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusOK || string(body) != string(want) ||
			!regexp.MustCompile(regexp.QuoteMeta(types[filepath.Ext(name)])).MatchString(ct) {
			t.Fatalf("GET %s: %d %s, %d bytes (want %d)", path, resp.StatusCode, ct, len(body), len(want))
		}
		if cc, csp := resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Security-Policy"); cc != "no-store" ||
			!regexp.MustCompile(`default-src 'self'`).MatchString(csp) {
			t.Fatalf("GET %s: Cache-Control %q, Content-Security-Policy %q", path, cc, csp)
		}
		if m := external.Find(body); m != nil {
			t.Fatalf("%s refers outside the server: %q", name, m)
		}
	}
	resp, body := e2eGet(t, "http://"+addr+"/no-such-file.js", nil)
	if resp.StatusCode != http.StatusNotFound || !regexp.MustCompile(`"code":"NOT_FOUND"`).Match(body) {
		t.Fatalf("GET an unknown file: %d %s", resp.StatusCode, body)
	}
}

// TestBrowserRulesMatchGame: the page's play-type classifier, play values
// and declaration options (web/rules.js) agree with package game on every
// subset of up to three pieces, every one-colour subset of four to six
// pieces, and every declaration situation.
func TestBrowserRulesMatchGame(t *testing.T) {
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), browserEnv())
	bt := newBrowserTest(t, addr)
	p := bt.newPage("rules", 0, 0)
	p.do("open the page", chromedp.Navigate("http://"+addr+"/"))
	var cases [][]int
	var subsets func(pool, cur []int, maxLen int)
	subsets = func(pool, cur []int, maxLen int) {
		if len(cur) > 0 {
			cases = append(cases, slices.Clone(cur))
		}
		for i, id := range pool {
			if len(cur) < maxLen {
				subsets(pool[i+1:], append(cur, id), maxLen)
			}
		}
	}
	all := make([]int, 32)
	for i := range all {
		all[i] = i
	}
	subsets(all, nil, 3)
	for _, colour := range [][]int{{0, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 24, 25, 26}, {1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 27, 28, 29, 30, 31}} {
		subsets(colour, nil, 6)
	}
	b, _ := json.Marshal(cases)
	got := pageEval[[][2]any](p, fmt.Sprintf(`import("/rules.js").then((m) => %s.map((ids) => [m.classify(ids), m.playValue(ids)]))`, b),
		chromedp.EvalAwaitPromise)
	for i, ids := range cases {
		kinds := make([]game.Kind, len(ids))
		for j, id := range ids {
			kinds[j] = game.KindOfPiece(id)
		}
		want := [2]any{string(game.Classify(kinds)), float64(game.PlayValue(kinds))}
		if got[i] != want {
			t.Fatalf("pieces %v: the page says %v, package game %v", ids, got[i], want)
		}
	}
	t.Logf("%d piece sets agree", len(cases))
	type situation struct{ Others, Last, Streak int }
	var sits []situation
	for others := 0; others <= 24; others++ {
		for streak := 0; streak <= 3; streak++ {
			sits = append(sits, situation{others, 0, streak}, situation{others, 1, streak})
		}
	}
	b, _ = json.Marshal(sits)
	allowed := pageEval[[][]int](p, fmt.Sprintf(`import("/rules.js").then((m) => %s.map((s) =>
		m.declarationChoices(s.Others, s.Last === 1, s.Streak).filter((c) => !c.reason).map((c) => c.value)))`, b),
		chromedp.EvalAwaitPromise)
	for i, s := range sits {
		if want := game.DeclarationOptions(s.Others, s.Last == 1, s.Streak); !slices.Equal(allowed[i], want) {
			t.Fatalf("declaration %+v: the page allows %v, package game %v", s, allowed[i], want)
		}
	}
}

// decide makes the decision the page asks for, through the page.
func (p *browserPage) decide(st pageState) {
	p.bt.t.Helper()
	switch st.Action {
	case "redeal":
		p.must("the redeal countdown", `/^Time left: \d+ s$/.test(document.querySelector("#redeal-panel .countdown").textContent)`, 5*time.Second)
		p.shotOnce("redeal-offer")
		p.do("decline the redeal", chromedp.Click(chromedp.ID("redeal-decline")))
	case "declare":
		p.declare(st)
	case "play":
		p.play(st)
	}
	p.acted = st.Seq
	p.decisions++
	p.drainRenders()
}

// declare checks that exactly the values rules §11 allows are enabled, that
// forbidden ones say why, and declares with a digit key.
func (p *browserPage) declare(st pageState) {
	t := p.bt.t
	t.Helper()
	v := adminView(t, p.bt.addr, st.Room)
	others, declared := 0, 0
	for _, d := range v.Declarations {
		if d != nil {
			others += *d
			declared++
		}
	}
	want := game.DeclarationOptions(others, declared == 3, v.ZeroStreaks[st.Seat-1])
	type option struct {
		Value     int    `json:"value"`
		Disabled  bool   `json:"disabled"`
		Forbidden string `json:"forbidden"`
		Reason    string `json:"reason"`
	}
	opts := pageEval[[]option](p, `[...document.querySelectorAll(".declare-option")].map((b) => ({value: Number(b.dataset.value),
		disabled: b.disabled, forbidden: b.dataset.forbidden,
		reason: b.dataset.forbidden ? document.getElementById("forbidden-" + b.dataset.forbidden).textContent : ""}))`)
	var enabled []int
	for _, o := range opts {
		if !o.Disabled {
			enabled = append(enabled, o.Value)
		} else if o.Forbidden == "" || o.Reason == "" {
			p.fail("declaration %d is disabled without a reason shown", o.Value)
		}
	}
	if !slices.Equal(enabled, want) {
		p.fail("declarations enabled %v, rules allow %v", enabled, want)
	}
	p.must("the declaration countdown", `/^Time left: \d+ s$/.test(document.querySelector("#declaration-panel .countdown").textContent)`, 5*time.Second)
	p.shotOnce("declaration")
	p.do("declare", chromedp.KeyEvent(strconv.Itoa(want[len(want)/3])))
}

// play leads a pair (or else the lowest single) with the mouse, after
// checking how the page judges the two strongest pieces; a follower picks
// its lowest pieces with digit keys and plays with Enter.
func (p *browserPage) play(st pageState) {
	t := p.bt.t
	t.Helper()
	v := adminView(t, p.bt.addr, st.Room)
	hand := pageEval[[]int](p, `[...document.querySelectorAll("#hand .piece")].map((e) => Number(e.dataset.piece))`)
	var held []int
	for _, pc := range v.Hands[st.Seat-1] {
		held = append(held, pc.ID)
	}
	if !slices.Equal(hand, held) {
		p.fail("the page shows hand %v, the server holds %v", hand, held)
	}
	p.do("focus the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	if v.RequiredCount == nil {
		if len(hand) >= 2 {
			p.do("pick two by key", chromedp.KeyEvent("1"), chromedp.KeyEvent("2"))
			p.checkSelection(hand[:2], true)
			p.do("clear by key", chromedp.KeyEvent(kb.Escape))
			p.must("an empty selection", `document.getElementById("selection").dataset.type === ""`, 5*time.Second)
		}
		lead := hand[len(hand)-1:]
		for i := 0; i+1 < len(hand); i++ {
			if game.KindOfPiece(hand[i]) == game.KindOfPiece(hand[i+1]) {
				lead = hand[i : i+2]
			}
		}
		for _, id := range lead {
			p.do("pick a piece", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#hand .piece[data-piece="%d"]`, id))))
		}
		p.checkSelection(lead, true)
		p.shotOnce("lead")
		p.do("play", chromedp.Click(chromedp.ID("play-button")))
		return
	}
	n := *v.RequiredCount
	for i := len(hand) - n; i < len(hand); i++ {
		p.do("pick by key", chromedp.KeyEvent(strconv.Itoa(i+1)))
	}
	p.checkSelection(hand[len(hand)-n:], false)
	p.shotOnce("follow")
	p.do("play by key", chromedp.KeyEvent(kb.Enter))
}

// checkSelection compares the page's judgement of the selected pieces with
// package game: type, value, and (for a starter) legal exactly when valid.
func (p *browserPage) checkSelection(ids []int, starter bool) {
	p.bt.t.Helper()
	p.must("the selection", fmt.Sprintf(`document.querySelectorAll("#hand .piece.selected").length === %d`, len(ids)), 5*time.Second)
	kinds := make([]game.Kind, len(ids))
	for i, id := range ids {
		kinds[i] = game.KindOfPiece(id)
	}
	typ, value := string(game.Classify(kinds)), game.PlayValue(kinds)
	sel := pageEval[map[string]string](p, `(() => { const s = document.getElementById("selection");
		return {type: s.dataset.type, value: s.dataset.value, legal: s.dataset.legal, text: s.textContent,
		  disabled: String(document.getElementById("play-button").disabled)}; })()`)
	legal := !starter || typ != "INVALID"
	if sel["type"] != typ || sel["value"] != strconv.Itoa(value) ||
		sel["legal"] != strconv.FormatBool(legal) || sel["disabled"] != strconv.FormatBool(!legal) {
		p.fail("selection %v: the page shows %v, want type %s value %d legal %v", ids, sel, typ, value, legal)
	}
}
