package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The ops dashboard (/dashboard) against a live server: what it shows must
// be what the REST routes answer for the same monitor sample.

// dashRejectedID is the request id of a refused recovery trigger; its
// "recovery trigger rejected" log line carries it.
const dashRejectedID = "dashboard-test-refused"

// TestBrowserDashboard opens the dashboard, enters the admin token, and
// checks the status, interval, components, plots, rooms, recovery, _system
// events and logs filtered by correlation id against the REST routes.
func TestBrowserDashboard(t *testing.T) {
	env := browserEnv()
	maps.Copy(env, map[string]string{
		// A sample every 1-2 s fills the history ring while the test runs.
		"LIAP_MONITOR_INTERVAL_DEFAULT": "1s", "LIAP_MONITOR_INTERVAL_MIN": "1s", "LIAP_MONITOR_INTERVAL_MAX": "2s",
	})
	addr := e2eServe(t, filepath.Join(t.TempDir(), "data"), env)

	// A waiting room with its host, and a game of one human and three bots.
	host := e2eDial(t, addr)
	host.hello("Wen")
	waiting := host.mustAck(host.call("room.create", map[string]any{}))["room_id"].(string)
	playing := e2eHumanRoom(t, addr, "Ana")[0].room
	// A recovery attempt for the history, then the same procedure again:
	// refused (cooldown) and logged with our request id.
	var attempt struct {
		Attempt struct {
			ID            int64  `json:"id"`
			CorrelationID string `json:"correlation_id"`
		} `json:"attempt"`
	}
	if err := json.Unmarshal(dashTrigger(t, addr, "dashboard-test-attempt", http.StatusOK), &attempt); err != nil || attempt.Attempt.CorrelationID == "" {
		t.Fatalf("trigger answer: %+v %v", attempt, err)
	}
	dashTrigger(t, addr, dashRejectedID, http.StatusConflict)

	bt := newBrowserTest(t, addr)
	p := bt.newPage("ops", 0, 0)
	p.do("open the dashboard", chromedp.Navigate("http://"+addr+"/dashboard"))
	dashMust(p, "the first refresh", `Number(document.body.dataset.polls) >= 1 && document.getElementById("overall").dataset.status`, 10*time.Second)
	pageEval[bool](p, `(() => { const s = document.getElementById("refresh-every"); s.value = "1"; s.dispatchEvent(new Event("change")); return true; })()`)
	// A wrong token is refused in words and shows nothing admin-only.
	p.do("enter a wrong token", chromedp.SendKeys(chromedp.ID("token-input"), "not-the-admin-token-0123456789abcdef"+kb.Enter))
	dashMust(p, "the refusal", `document.getElementById("token-state").textContent.includes("refused")`, 10*time.Second)
	if n := pageEval[int](p, `document.querySelectorAll("#system tr, #logs tr").length`); n != 0 {
		p.fail("%d admin rows shown with a wrong token", n)
	}
	p.do("enter the admin token", chromedp.SendKeys(chromedp.ID("token-input"), browserAdminToken+kb.Enter))
	dashMust(p, "server events and logs", `document.querySelector("#system-table tbody tr") && document.querySelector("#logs-table tbody tr")`, 10*time.Second)
	if kept := pageEval[[]string](p, `[sessionStorage.getItem("liaptui.adminToken"), localStorage.getItem("liaptui.adminToken") || ""]`); kept[0] != browserAdminToken || kept[1] != "" {
		p.fail("the token is kept as %q in sessionStorage and %q in localStorage", kept[0], kept[1])
	}

	dashCheckSample(t, p)
	dashCheckRooms(t, p, waiting, playing)
	dashCheckRecovery(t, p, attempt.Attempt.ID, attempt.Attempt.CorrelationID)
	dashCheckSystem(t, p)
	p.shot("desktop")

	// Logs of our request id, filtered through the form.
	pageEval[bool](p, `(() => { document.getElementById("log-level").value = "debug"; return true; })()`)
	p.do("filter the logs", chromedp.SendKeys(chromedp.ID("log-correlation"), dashRejectedID+kb.Enter))
	dashCheckLogs(t, p, dashRejectedID, "recovery trigger rejected")
	// From the keyboard: Enter on the attempt's correlation id shows its logs.
	p.do("press the attempt's correlation id", chromedp.Focus(chromedp.CSS(`#history-table button.corr`)),
		chromedp.KeyEvent(kb.Enter))
	dashMust(p, "the filter set from the button", fmt.Sprintf(`document.getElementById("log-correlation").value === %q`, attempt.Attempt.CorrelationID), 5*time.Second)
	dashCheckLogs(t, p, attempt.Attempt.CorrelationID, "")
	p.shot("logs-filtered")

	// A phone-sized screen: one column, nothing wider than the viewport.
	polls := pageEval[string](p, `document.body.dataset.polls`)
	p.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	dashMust(p, "a refresh on the phone", fmt.Sprintf(`Number(document.body.dataset.polls) > %s`, polls), 10*time.Second)
	p.noHorizontalScroll("dashboard on a phone")
	p.shot("phone")
}

// dashTrigger posts a manual client_desync trigger with request id rid and
// wants status; it returns the body.
func dashTrigger(t *testing.T, addr, rid string, status int) []byte {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+addr+"/recovery/trigger/client_desync", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+browserAdminToken)
	req.Header.Set("X-Request-ID", rid)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body json.RawMessage
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != status {
		t.Fatalf("trigger %s: %d %s, want %d", rid, resp.StatusCode, body, status)
	}
	return body
}

// dashMust polls a JavaScript condition on the dashboard or fails.
func dashMust(p *browserPage, what, cond string, bound time.Duration) {
	p.bt.t.Helper()
	if !p.waitFor(`!!(`+cond+`)`, bound) {
		p.fail("%s: `%s` did not hold within %v", what, cond, bound)
	}
}

// dashRetry runs check until it returns "" (a match) or 15 s pass; the
// page and the REST reads race with the monitor's samples.
func dashRetry(p *browserPage, what string, check func() string) {
	p.bt.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		why := check()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			p.fail("%s: %s", what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dashGet reads a REST body as JSON into v.
func dashGet(t *testing.T, url string, admin bool, v any) {
	t.Helper()
	h := map[string]string{}
	if admin {
		h["Authorization"] = "Bearer " + browserAdminToken
	}
	resp, body := e2eGet(t, url, h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %s: %v", url, body, err)
	}
}

// dashHealth is the part of GET /health/detailed the dashboard shows.
type dashHealth struct {
	Health struct {
		OverallStatus        string   `json:"overall_status"`
		CheckedAt            *float64 `json:"checked_at"`
		CheckIntervalSeconds float64  `json:"check_interval_seconds"`
		ConsecutiveHealthy   int      `json:"consecutive_healthy"`
		Metrics              map[string]struct {
			Status string          `json:"status"`
			Value  json.RawMessage `json:"value"`
		} `json:"metrics"`
		Checks map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"checks"`
		Components map[string]string            `json:"components"`
		History    []map[string]json.RawMessage `json:"history"`
	} `json:"health"`
}

// dashShown is what the page shows of the latest sample it read.
type dashShown struct {
	CheckedAt  string            `json:"checkedAt"`
	Status     string            `json:"status"`
	Word       string            `json:"word"`
	Interval   string            `json:"interval"`
	Streak     string            `json:"streak"`
	Components map[string]string `json:"components"`
	Points     map[string]string `json:"points"`
	Drawn      map[string][2]int `json:"drawn"` // polylines and their points, per series
}

const dashShownJS = `(() => {
  const $ = (id) => document.getElementById(id);
  const figs = [...document.querySelectorAll("figure.plot")];
  return {checkedAt: document.body.dataset.checkedAt, status: $("overall").dataset.status, word: $("overall").textContent,
    interval: $("fact-interval").dataset.seconds, streak: $("fact-streak").textContent,
    components: Object.fromEntries([...document.querySelectorAll("#components li")].map((li) =>
      [li.dataset.component, li.dataset.status + " " + li.querySelector(".status").textContent])),
    points: Object.fromEntries(figs.map((f) => [f.dataset.series, f.querySelector("svg").dataset.points])),
    drawn: Object.fromEntries(figs.map((f) => { const ls = [...f.querySelectorAll("polyline.series")];
      return [f.dataset.series, [ls.length, ls.reduce((n, l) => n + l.points.numberOfItems, 0)]]; }))};
})()`

var dashWords = map[string]string{"healthy": "Healthy", "warning": "Warning", "critical": "Critical", "unknown": "Unknown"}

// dashCheckSample waits until the page shows the sample REST serves, then
// compares status, interval, streak, components and every plotted point.
func dashCheckSample(t *testing.T, p *browserPage) {
	t.Helper()
	var want dashHealth
	var shown dashShown
	dashRetry(p, "the page shows the monitor's latest sample", func() string {
		shown = pageEval[dashShown](p, dashShownJS)
		want = dashHealth{}
		dashGet(t, "http://"+p.bt.addr+"/health/detailed?history=720", false, &want)
		if hl := want.Health; hl.CheckedAt == nil || shown.CheckedAt != strconv.FormatFloat(*hl.CheckedAt, 'f', -1, 64) {
			return fmt.Sprintf("page sample %s, server sample %v", shown.CheckedAt, hl.CheckedAt)
		}
		var cpu []json.RawMessage
		json.Unmarshal([]byte(shown.Points["cpu"]), &cpu)
		if len(cpu) < 3 {
			return fmt.Sprintf("only %d history samples plotted", len(cpu))
		}
		return ""
	})
	hl := want.Health
	if shown.Status != hl.OverallStatus || shown.Word != dashWords[hl.OverallStatus] {
		p.fail("overall status %q (%q), server %q", shown.Status, shown.Word, hl.OverallStatus)
	}
	if shown.Interval != strconv.FormatFloat(hl.CheckIntervalSeconds, 'f', -1, 64) || shown.Streak != fmt.Sprintf("%d samples", hl.ConsecutiveHealthy) {
		p.fail("interval %s s and streak %q, server %v s and %d", shown.Interval, shown.Streak, hl.CheckIntervalSeconds, hl.ConsecutiveHealthy)
	}
	for _, key := range []string{"memory", "cpu", "disk", "websocket", "messages", "database", "canary", "runtime", "game"} {
		status := hl.Components[key]
		if m, ok := hl.Metrics[key]; ok {
			status = m.Status
		}
		if got, want := shown.Components[key], status+" "+dashWords[status]; got != want {
			p.fail("component %s shows %q, server %q", key, got, want)
		}
	}
	// The ring series are exactly the server's history at that sample.
	times := map[string]bool{}
	for _, series := range []string{"cpu", "memory", "connections", "pending"} {
		var want [][2]json.RawMessage
		for _, e := range hl.History {
			want = append(want, [2]json.RawMessage{e["timestamp"], e[series]})
			times[string(e["timestamp"])] = true
		}
		dashSamePoints(p, series, shown, want)
	}
	// Rooms and append latency: one point per sample the page read; the
	// latest is this sample's value.
	var rooms struct{ Rooms json.RawMessage }
	var db struct {
		AppendP99Ms json.RawMessage `json:"append_p99_ms"`
	}
	json.Unmarshal(hl.Checks["game:rooms"].Value, &rooms)
	json.Unmarshal(hl.Metrics["database"].Value, &db)
	for series, latest := range map[string]json.RawMessage{"rooms": rooms.Rooms, "append": db.AppendP99Ms} {
		var pts [][2]json.RawMessage
		if err := json.Unmarshal([]byte(shown.Points[series]), &pts); err != nil || len(pts) == 0 {
			p.fail("plot %s: points %q (%v)", series, shown.Points[series], err)
		}
		for _, pt := range pts {
			if !times[string(pt[0])] {
				p.fail("plot %s has a point at %s, which is no sample of the server's history", series, pt[0])
			}
		}
		if last := pts[len(pts)-1]; string(last[0]) != shown.CheckedAt || !e2eJSONEqual(last[1], latest) {
			p.fail("plot %s ends with %s at %s; the server's sample %s has %s", series, last[1], last[0], shown.CheckedAt, latest)
		}
		dashDrawn(p, series, shown, pts)
	}
	t.Logf("dashboard: %s, interval %s s, %d history samples plotted", shown.Status, shown.Interval, len(hl.History))
}

// dashSamePoints compares a ring series' plotted points with want.
func dashSamePoints(p *browserPage, series string, shown dashShown, want [][2]json.RawMessage) {
	var got [][2]json.RawMessage
	if err := json.Unmarshal([]byte(shown.Points[series]), &got); err != nil {
		p.fail("plot %s: points %q: %v", series, shown.Points[series], err)
	}
	if len(got) != len(want) {
		p.fail("plot %s has %d points, the server's history %d", series, len(got), len(want))
	}
	for i := range got {
		if !e2eJSONEqual(got[i][0], want[i][0]) || !e2eJSONEqual(got[i][1], want[i][1]) {
			p.fail("plot %s point %d is %s at %s, the server's %s at %s", series, i, got[i][1], got[i][0], want[i][1], want[i][0])
		}
	}
	dashDrawn(p, series, shown, got)
}

// dashDrawn checks that the polylines draw every present value: one vertex
// each, plus one for each lone sample's short stroke.
func dashDrawn(p *browserPage, series string, shown dashShown, pts [][2]json.RawMessage) {
	present := 0
	for _, pt := range pts {
		if string(pt[1]) != "null" {
			present++
		}
	}
	lines, vertices := shown.Drawn[series][0], shown.Drawn[series][1]
	if present > 0 && (lines == 0 || vertices < present || vertices > present+lines) {
		p.fail("plot %s draws %d vertices in %d lines for %d values", series, vertices, lines, present)
	}
}

// dashRoomRow is a row of the rooms table.
type dashRoomRow struct {
	Room    string   `json:"room"`
	Phase   string   `json:"phase"`
	Players []string `json:"players"`
}

// dashCheckRooms compares the rooms table with GET /rooms.
func dashCheckRooms(t *testing.T, p *browserPage, rooms ...string) {
	t.Helper()
	dashRetry(p, "the rooms table shows GET /rooms", func() string {
		got := pageEval[[]dashRoomRow](p, `[...document.querySelectorAll("#rooms-table tbody tr")].map((tr) => ({room: tr.dataset.room,
			phase: tr.dataset.phase, players: [...tr.querySelectorAll(".player")].map((li) => li.dataset.kind + " " + li.textContent)}))`)
		var body struct {
			Rooms []struct {
				RoomID string `json:"room_id"`
				Phase  string `json:"phase"`
				Seats  []struct {
					Seat      int     `json:"seat"`
					Kind      string  `json:"kind"`
					Name      *string `json:"name"`
					Connected bool    `json:"connected"`
				} `json:"seats"`
			} `json:"rooms"`
		}
		dashGet(t, "http://"+p.bt.addr+"/rooms?limit=500", false, &body)
		var want []dashRoomRow
		for _, r := range body.Rooms {
			row := dashRoomRow{Room: r.RoomID, Phase: r.Phase}
			for _, s := range r.Seats {
				text := fmt.Sprintf("%s %d. open", s.Kind, s.Seat)
				switch {
				case s.Kind == "bot":
					text = fmt.Sprintf("bot %d. %s (bot)", s.Seat, *s.Name)
				case s.Kind == "human" && !s.Connected:
					text = fmt.Sprintf("human %d. %s (away)", s.Seat, *s.Name)
				case s.Kind == "human":
					text = fmt.Sprintf("human %d. %s", s.Seat, *s.Name)
				}
				row.Players = append(row.Players, text)
			}
			want = append(want, row)
		}
		for _, id := range rooms {
			if !slices.ContainsFunc(want, func(r dashRoomRow) bool { return r.Room == id }) {
				return fmt.Sprintf("GET /rooms lacks room %s", id)
			}
		}
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			return fmt.Sprintf("page %s, server %s", g, w)
		}
		return ""
	})
}

// dashCheckRecovery finds the attempt in the history table and the seven
// procedures, as GET /recovery/status reports them.
func dashCheckRecovery(t *testing.T, p *browserPage, id int64, corr string) {
	t.Helper()
	var status struct {
		Procedures map[string]json.RawMessage `json:"procedures"`
	}
	dashGet(t, "http://"+p.bt.addr+"/recovery/status", false, &status)
	sel := fmt.Sprintf(`#history-table tr[data-attempt="%d"]`, id)
	dashMust(p, "the attempt in the recovery history", fmt.Sprintf("document.querySelector(%q)", sel), 5*time.Second)
	row := pageEval[[]string](p, fmt.Sprintf(`(() => { const tr = document.querySelector(%q);
		return [tr.cells[1].textContent, tr.dataset.result, tr.querySelector("button.corr").textContent]; })()`, sel))
	if row[0] != "client_desync" || row[1] != "success" || row[2] != corr {
		p.fail("history row %v, want client_desync success %s", row, corr)
	}
	procs := pageEval[[]string](p, `[...document.querySelectorAll("#procedures-table tbody tr")].map((tr) => tr.dataset.procedure)`)
	if len(procs) != len(status.Procedures) || len(procs) != 7 {
		p.fail("procedures table %v, server has %d", procs, len(status.Procedures))
	}
	for _, name := range procs {
		if _, ok := status.Procedures[name]; !ok {
			p.fail("procedure %s is not in GET /recovery/status", name)
		}
	}
}

// dashCheckSystem compares the newest _system event shown with the stream's head.
func dashCheckSystem(t *testing.T, p *browserPage) {
	t.Helper()
	dashRetry(p, "the newest _system event", func() string {
		top := pageEval[[]string](p, `(() => { const tr = document.querySelector("#system-table tbody tr");
			return tr ? [tr.dataset.seq, tr.dataset.type] : ["", ""]; })()`)
		var page struct {
			LastSeq int64 `json:"last_seq"`
			Events  []struct {
				Seq  int64  `json:"seq"`
				Type string `json:"type"`
			} `json:"events"`
		}
		dashGet(t, fmt.Sprintf("http://%s/rooms/_system/events/%s?limit=1", p.bt.addr, dashPrev(top[0])), true, &page)
		if len(page.Events) != 1 || top[0] != strconv.FormatInt(page.LastSeq, 10) || top[1] != page.Events[0].Type {
			return fmt.Sprintf("page shows %v, the stream's head is %d %+v", top, page.LastSeq, page.Events)
		}
		return ""
	})
}

// dashPrev is the seq before seq (0 when none), to read that one event.
func dashPrev(seq string) string {
	n, _ := strconv.ParseInt(seq, 10, 64)
	return strconv.FormatInt(max(n-1, 0), 10)
}

// dashCheckLogs waits until the logs table shows exactly the records of
// correlation id corr that GET /logs returns: at least one, and one with
// message msg unless msg is "".
func dashCheckLogs(t *testing.T, p *browserPage, corr, msg string) {
	t.Helper()
	dashRetry(p, "the logs of "+corr, func() string {
		got := pageEval[[][2]string](p, `[...document.querySelectorAll("#logs-table tbody tr")].map((tr) => [tr.dataset.correlation, tr.cells[3].textContent])`)
		var body struct {
			Logs []struct {
				Msg           string `json:"msg"`
				CorrelationID string `json:"correlation_id"`
			} `json:"logs"`
		}
		dashGet(t, "http://"+p.bt.addr+"/logs?level=debug&limit=100&correlation_id="+corr, true, &body)
		var want [][2]string
		for _, l := range body.Logs {
			want = append(want, [2]string{l.CorrelationID, l.Msg})
		}
		if len(want) == 0 || msg != "" && !slices.Contains(want, [2]string{corr, msg}) {
			return fmt.Sprintf("GET /logs has no %q line for %s: %v", msg, corr, want)
		}
		if !slices.Equal(got, want) {
			return fmt.Sprintf("page shows %v, GET /logs %v", got, want)
		}
		return ""
	})
}
