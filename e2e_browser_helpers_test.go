package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Helpers of the browser tests in e2e_browser_test.go: a headless Chromium
// driven by chromedp against a real server (e2eServe), one browser context
// (own storage, so own identity) per player, screenshots as artifacts, and
// a record of every render of the page to prove that no other seat's pieces
// were ever in the DOM.

// browserAdminToken is the admin token of the tests' servers; the tests
// read every hand with it to check what the pages show.
const browserAdminToken = "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1"

// browserEnv is the server configuration of the browser tests: fast mode,
// two rounds at most, the admin token.
func browserEnv() map[string]string {
	return e2eEnv(map[string]string{"LIAP_ADMIN_TOKEN": browserAdminToken, "LIAP_GAME_MAX_ROUNDS": "2"})
}

// chromiumPath finds a Chromium binary, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary on PATH (install it with: apt-get install chromium); browser tests skipped")
	return ""
}

// browserTest is one test's browser and its artifacts directory.
type browserTest struct {
	t         *testing.T
	addr      string
	browser   context.Context // runs the browser; its tabs derive from it
	artifacts string
	shots     int
}

// newBrowserTest starts a headless Chromium for the test; it stops when the
// test ends.
func newBrowserTest(t *testing.T, addr string) *browserTest {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browserTest{t: t, addr: addr, browser: browser}
}

// pieceObserver runs in every document a tab loads: after each DOM change
// it records the rendered view's seq and the pieces shown, split into the
// hand and elsewhere, and counts piece glyphs written outside a piece. It
// also keeps the page's WebSockets in window.__sockets, so that a test can
// cut the connection as a network failure would.
const pieceObserver = `(() => {
  const NativeWebSocket = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
  const glyphs = /[帥將仕士相象俥車傌馬炮砲兵卒]/;
  const log = [];
  let last = "";
  window.__pieceLog = log;
  const snap = () => {
    const app = document.getElementById("app");
    if (!app || !app.dataset.seq) return;
    const ids = (sel) => [...document.querySelectorAll(sel)].map((e) => Number(e.dataset.piece));
    let stray = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const n = walker.currentNode;
      if (glyphs.test(n.data) && !n.parentElement.closest("[data-piece]")) stray++;
    }
    const rec = {room: app.dataset.room, seat: Number(app.dataset.seat), seq: Number(app.dataset.seq),
      phase: app.dataset.phase, hand: ids('[data-piece][data-place="hand"]'),
      shown: ids('[data-piece]:not([data-place="hand"])'), stray};
    const key = JSON.stringify(rec);
    if (key !== last) { last = key; log.push(rec); }
  };
  new MutationObserver(snap).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})()`

// renderRecord is one entry of the piece observer's log.
type renderRecord struct {
	Room  string `json:"room"`
	Seat  int    `json:"seat"`
	Seq   int64  `json:"seq"`
	Phase string `json:"phase"`
	Hand  []int  `json:"hand"`
	Shown []int  `json:"shown"`
	Stray int    `json:"stray"`
}

// browserPage is one player's tab, in its own browser context.
type browserPage struct {
	bt        *browserTest
	name      string
	ctx       context.Context
	renders   []renderRecord
	acted     int64 // view seq at the latest decision this page sent
	decisions int
	shotTaken map[string]bool
}

// newPage opens a tab in a new browser context with the piece observer
// installed; width and height > 0 emulate that viewport.
func (bt *browserTest) newPage(name string, width, height int64) *browserPage {
	bt.t.Helper()
	ctx, cancel := chromedp.NewContext(bt.browser, chromedp.WithNewBrowserContext())
	bt.t.Cleanup(cancel)
	p := &browserPage{bt: bt, name: name, ctx: ctx, shotTaken: map[string]bool{}}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: pieceObserver}); err != nil {
		bt.t.Fatalf("%s: install the piece observer: %v", name, err)
	}
	if width > 0 {
		p.do("emulate a phone", chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch))
	}
	return p
}

// do runs actions with a 20 s bound.
func (p *browserPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.bt.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// fail stops the test with a screenshot of the page.
func (p *browserPage) fail(format string, args ...any) {
	p.bt.t.Helper()
	p.shot("failure")
	p.bt.t.Fatalf("%s: %s", p.name, fmt.Sprintf(format, args...))
}

// pageEval evaluates expr in the page and decodes its JSON value.
func pageEval[T any](p *browserPage, expr string, opts ...chromedp.EvaluateOption) T {
	p.bt.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		p.fail("evaluate %.120s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds; false when bound passed.
func (p *browserPage) waitFor(cond string, bound time.Duration) bool {
	p.bt.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, bound+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingTimeout(bound), chromedp.WithPollingInterval(20*time.Millisecond)))
	return err == nil
}

// must is waitFor that fails the test.
func (p *browserPage) must(what, cond string, bound time.Duration) {
	p.bt.t.Helper()
	if !p.waitFor(cond, bound) {
		p.fail("%s: `%s` did not hold within %v (state %+v)", what, cond, bound, p.state())
	}
}

// shotOnce saves a screenshot the first time the page reaches label.
func (p *browserPage) shotOnce(label string) {
	if !p.shotTaken[label] {
		p.shotTaken[label] = true
		p.shot(label)
	}
}

// shot saves a screenshot of the page and names it in the test's log.
func (p *browserPage) shot(label string) {
	bt := p.bt
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		bt.t.Logf("%s: screenshot %s failed: %v", p.name, label, err)
		return
	}
	if bt.artifacts == "" {
		// A fresh directory in $TMPDIR that outlives the test: the artifacts.
		dir, err := os.MkdirTemp("", "liaptui-"+strings.ReplaceAll(bt.t.Name(), "/", "_")+"-*")
		if err != nil {
			bt.t.Fatal(err)
		}
		bt.artifacts = dir
	}
	bt.shots++
	path := filepath.Join(bt.artifacts, fmt.Sprintf("%02d-%s-%s.png", bt.shots, p.name, label))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		bt.t.Errorf("save screenshot: %v", err)
		return
	}
	bt.t.Logf("screenshot: %s", path)
}

// pageState is what the page's root element says about it.
type pageState struct {
	Screen string `json:"screen"`
	Conn   string `json:"conn"`
	Busy   bool   `json:"busy"`
	Room   string `json:"room"`
	Seat   int    `json:"seat"`
	Phase  string `json:"phase"`
	Seq    int64  `json:"seq"`
	Action string `json:"action"`
	Notice string `json:"notice"`
}

func (p *browserPage) state() pageState {
	p.bt.t.Helper()
	return pageEval[pageState](p, `(() => {
  const d = document.getElementById("app").dataset, n = document.getElementById("notice");
  return {screen: d.screen, conn: d.conn, busy: d.busy === "true", room: d.room, seat: Number(d.seat) || 0,
    phase: d.phase, seq: Number(d.seq) || 0, action: d.action, notice: n.hidden ? "" : n.textContent};
})()`)
}

// drainRenders moves the observer's records into p.renders.
func (p *browserPage) drainRenders() {
	p.bt.t.Helper()
	recs := pageEval[[]renderRecord](p, `window.__pieceLog ? window.__pieceLog.splice(0) : []`)
	p.renders = append(p.renders, recs...)
}

// signIn opens the page and enters a name; it waits for the lobby.
func (p *browserPage) signIn(name string) {
	p.bt.t.Helper()
	p.do("open the page", chromedp.Navigate("http://"+p.bt.addr+"/"))
	p.must("the name form", `document.getElementById("app").dataset.screen === "name"`, 10*time.Second)
	p.do("enter the name", chromedp.SendKeys(chromedp.ID("name-input"), name+"\n"))
	p.must("the lobby", `document.getElementById("app").dataset.screen === "lobby" && document.getElementById("app").dataset.conn === "open"`, 10*time.Second)
	if who := pageEval[string](p, `document.getElementById("who").textContent`); who != name {
		p.fail("header shows %q, want %q", who, name)
	}
}

// noHorizontalScroll fails when the page is wider than its viewport.
func (p *browserPage) noHorizontalScroll(where string) {
	p.bt.t.Helper()
	if w := pageEval[[]int](p, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		p.fail("%s: the page is %d px wide in a %d px viewport", where, w[0], w[1])
	}
}

// browserView is the part of an admin view (protocol §6) the tests compare
// with the page.
type browserView struct {
	Hands         [][]struct{ ID int } `json:"hands"`
	Declarations  []*int               `json:"declarations"`
	ZeroStreaks   []int                `json:"zero_streaks"`
	RequiredCount *int                 `json:"required_count"`
	GameResult    *struct {
		Winners []int `json:"winners"`
		Ranking []struct {
			Seat, Score, Rank int
		} `json:"ranking"`
	} `json:"game_result"`
}

// adminView reads the room's admin view over REST.
func adminView(t *testing.T, addr, room string) browserView {
	t.Helper()
	resp, body := e2eGet(t, fmt.Sprintf("http://%s/rooms/%s/state", addr, room),
		map[string]string{"Authorization": "Bearer " + browserAdminToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET state of %s: %d %s", room, resp.StatusCode, body)
	}
	var st struct{ View browserView }
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("state of %s: %v", room, err)
	}
	return st.View
}

// verifyRenders replays the room's events with every hand (admin) and
// checks each render a page recorded: its hand is exactly its seat's hand
// at that seq, no other piece it shows is in any hand then, and no piece
// glyph stands outside a piece. It returns the phases the renders covered.
func verifyRenders(t *testing.T, addr, room string, renders []renderRecord) map[string]bool {
	t.Helper()
	var hands [][4][]int // hands after event i+1
	var cur [4][]int
	for since := int64(0); ; {
		page := e2eEventsSince(t, addr, room, browserAdminToken, since, 1000)
		for _, raw := range page.Events {
			var ev struct {
				Type    string `json:"type"`
				Payload struct {
					Hands  map[string][]int `json:"hands"`
					Seat   int              `json:"seat"`
					Pieces []int            `json:"pieces"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatalf("event %s: %v", raw, err)
			}
			switch ev.Type {
			case "hands_dealt":
				for seat := 1; seat <= 4; seat++ {
					cur[seat-1] = ev.Payload.Hands[fmt.Sprint(seat)]
				}
			case "played":
				cur[ev.Payload.Seat-1] = slices.DeleteFunc(slices.Clone(cur[ev.Payload.Seat-1]),
					func(id int) bool { return slices.Contains(ev.Payload.Pieces, id) })
			}
			hands = append(hands, cur)
		}
		if !page.HasMore {
			break
		}
		since = e2eSeq(page.Events[len(page.Events)-1])
	}
	phases := map[string]bool{}
	for _, r := range renders {
		if r.Room != room || r.Seq < 1 || int(r.Seq) > len(hands) {
			t.Fatalf("render %+v is not of room %s (%d events)", r, room, len(hands))
		}
		phases[r.Phase] = true
		at := hands[r.Seq-1]
		if r.Stray != 0 {
			t.Fatalf("render at seq %d (%s) writes %d piece glyphs outside pieces", r.Seq, r.Phase, r.Stray)
		}
		mine := slices.Sorted(slices.Values(r.Hand))
		if r.Seat >= 1 && !slices.Equal(mine, slices.Sorted(slices.Values(at[r.Seat-1]))) {
			t.Fatalf("render at seq %d (%s) shows hand %v, seat %d holds %v", r.Seq, r.Phase, mine, r.Seat, at[r.Seat-1])
		}
		for _, id := range r.Shown {
			for seat, hand := range at {
				if slices.Contains(hand, id) {
					t.Fatalf("render of seat %d at seq %d (%s) shows piece %d of seat %d's hand", r.Seat, r.Seq, r.Phase, id, seat+1)
				}
			}
		}
	}
	return phases
}

func allGameOver(sts []pageState) bool {
	for _, st := range sts {
		if st.Phase != "game_over" {
			return false
		}
	}
	return true
}

// browserDrive plays the pages' seats through their UI until stop holds
// for their states, within 50 s and 2000 rounds of looking.
func browserDrive(t *testing.T, pages []*browserPage, stop func([]pageState) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	for step := 0; ; step++ {
		if step > 2000 || ctx.Err() != nil {
			pages[0].fail("the drive did not reach its goal (step %d)", step)
		}
		sts := make([]pageState, len(pages))
		for i, p := range pages {
			sts[i] = p.state()
			if sts[i].Notice != "" {
				p.fail("the page shows an error: %s", sts[i].Notice)
			}
		}
		if stop(sts) {
			for _, p := range pages {
				t.Logf("%s: %d decisions made through the page so far", p.name, p.decisions)
			}
			return
		}
		acted := false
		for i, p := range pages {
			if st := sts[i]; st.Action != "" && !st.Busy && st.Seq > p.acted {
				p.decide(st)
				acted = true
			}
		}
		if !acted {
			p := pages[step%len(pages)]
			p.waitFor(fmt.Sprintf(`(() => { const d = document.getElementById("app").dataset;
				return (d.action && d.busy === "false" && Number(d.seq) > %d) || d.phase === "game_over"; })()`, p.acted),
				300*time.Millisecond)
		}
	}
}

// checkGameOver compares the page's final ranking with the server's.
func (p *browserPage) checkGameOver(room string) {
	t := p.bt.t
	t.Helper()
	v := adminView(t, p.bt.addr, room)
	if v.GameResult == nil {
		t.Fatalf("room %s has no game result", room)
	}
	type row struct{ Seat, Rank, Score int }
	rows := pageEval[[]row](p, `[...document.querySelectorAll("#ranking tbody tr")].map((tr) => ({Seat: Number(tr.dataset.seat),
		Rank: Number(tr.cells[0].textContent), Score: Number(tr.cells[2].textContent)}))`)
	if len(rows) != len(v.GameResult.Ranking) {
		p.fail("ranking has %d rows, want %d", len(rows), len(v.GameResult.Ranking))
	}
	for i, r := range v.GameResult.Ranking {
		if rows[i] != (row{r.Seat, r.Rank, r.Score}) {
			p.fail("ranking row %d is %+v, the server says %+v", i+1, rows[i], r)
		}
	}
	winners := pageEval[string](p, `document.getElementById("winners").textContent`)
	if !regexp.MustCompile(`^Winners?: `).MatchString(winners) {
		p.fail("winners line %q", winners)
	}
}
