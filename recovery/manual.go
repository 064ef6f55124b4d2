package recovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"liaptui/monitor"
)

// Bounds of the trigger route's query wait (seconds).
const (
	defaultWaitSeconds = 5
	maxWaitSeconds     = 30
)

// raisedByManual is raised_by of every manual attempt.
const raisedByManual = "manual"

// ManualRequest is POST /recovery/trigger/{name} after authentication.
type ManualRequest struct {
	Body  []byte     // the raw request body; empty or blank when none
	Query url.Values // wait, dry_run
}

// ManualResult is an admitted or dry-run manual trigger; Response renders it.
type ManualResult struct {
	Procedure string
	Context   map[string]any // the body object; nil without body
	DryRun    bool
	Targets   []string // dry run: what the action would act on
	AttemptID int64    // admitted attempt
	Attempt   *Entry   // the finished attempt; nil while it still runs
}

type dryRunBody struct {
	Success   bool     `json:"success"`
	Procedure string   `json:"procedure"`
	DryRun    bool     `json:"dry_run"`
	Targets   []string `json:"targets"`
}

type triggeredBody struct {
	Success   bool           `json:"success"`
	Procedure string         `json:"procedure"`
	Context   map[string]any `json:"context"`
	Triggered bool           `json:"triggered"`
	Attempt   Entry          `json:"attempt"`
}

type runningBody struct {
	AttemptID int64  `json:"attempt_id"`
	Status    string `json:"status"`
}

// Response is the HTTP answer of protocol.md §11.9: status, the JSON body
// and, for 202, the Location header ("" otherwise).
func (r ManualResult) Response() (status int, body any, location string) {
	switch {
	case r.DryRun:
		return http.StatusOK, dryRunBody{Success: true, Procedure: r.Procedure, DryRun: true, Targets: r.Targets}, ""
	case r.Attempt != nil:
		return http.StatusOK, triggeredBody{Success: r.Attempt.Success, Procedure: r.Procedure,
			Context: r.Context, Triggered: true, Attempt: *r.Attempt}, ""
	default:
		return http.StatusAccepted, runningBody{AttemptID: r.AttemptID, Status: "running"},
			"/recovery/status?attempt=" + strconv.FormatInt(r.AttemptID, 10)
	}
}

// TriggerManual runs checks 3-11 of §5.4 (authentication, 1-2, is the
// handler's), then waits up to the query's wait on the injected clock for
// the attempt. A refusal is an *Error carrying status, code, details and
// Retry-After; any other error is ctx's.
func (m *Manager) TriggerManual(ctx context.Context, name string, req ManualRequest) (ManualResult, error) {
	p, ok := lookupProcedure(name)
	if !ok {
		return ManualResult{}, newError(http.StatusNotFound, CodeNotFound, nil, "no recovery procedure %q", name)
	}
	body, e := parseBody(req.Body)
	if e != nil {
		return ManualResult{}, e
	}
	wait, dryRun, e := parseQuery(req.Query)
	if e != nil {
		return ManualResult{}, e
	}
	roomID, e := m.roomOf(p, body)
	if e != nil {
		return ManualResult{}, e
	}
	res := ManualResult{Procedure: p.Name, Context: body}
	if dryRun {
		res.DryRun, res.Targets = true, m.targets(p, roomID)
		return res, nil
	}

	r := request{proc: p, target: roomID, source: sourceManual, raisedBy: raisedByManual, context: body,
		causeID: monitor.CorrelationID(ctx), reply: make(chan admission, 1)}
	if _, refused := m.gate(ctx, r, false); refused != nil {
		return ManualResult{}, refused.httpError(p.Name)
	}
	adm, err := m.enqueue(ctx, r)
	if err != nil {
		return ManualResult{}, err
	}
	res.AttemptID = adm.id
	if wait > 0 {
		timer := m.clock.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-adm.done:
		case <-timer.C():
		case <-ctx.Done():
		}
	}
	select {
	case <-adm.done:
		e := adm.entry
		res.Attempt = &e
	default:
	}
	return res, nil
}

// enqueue hands r to Run and waits for its admission.
func (m *Manager) enqueue(ctx context.Context, r request) (*attempt, error) {
	m.mu.Lock()
	active, stopped := m.active.Load(), m.stopped
	m.mu.Unlock()
	notRunning := rejection{reason: reasonNotRunning, retry: queueFullRetry}
	if !active {
		return nil, notRunning.httpError(r.proc.Name)
	}
	select {
	case m.inbox <- r:
	default:
		full := rejection{reason: ReasonQueueFull, retry: queueFullRetry}
		m.rejected(ctx, r, full)
		return nil, full.httpError(r.proc.Name)
	}
	select {
	case adm := <-r.reply:
		if adm.refused != nil {
			return nil, adm.refused.httpError(r.proc.Name)
		}
		return adm.attempt, nil
	case <-stopped:
		return nil, notRunning.httpError(r.proc.Name)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// parseBody is check 4: an absent body, or a JSON object.
func parseBody(raw []byte) (map[string]any, *Error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	err := dec.Decode(&obj)
	if err == nil && obj == nil {
		err = errors.New("null")
	}
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("data after the object")
		}
	}
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeBadRequest, nil, "body is not a JSON object: %v", err)
	}
	return obj, nil
}

// parseQuery is the first part of check 5: wait (int 0-30 seconds) and
// dry_run (true or false).
func parseQuery(q url.Values) (wait time.Duration, dryRun bool, e *Error) {
	wait = defaultWaitSeconds * time.Second
	if q.Has("wait") {
		s := q.Get("wait")
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return 0, false, invalidField("wait", "not_int")
		}
		n, err := strconv.Atoi(s)
		if err != nil || n > maxWaitSeconds {
			return 0, false, invalidField("wait", "out_of_range")
		}
		wait = time.Duration(n) * time.Second
	}
	if q.Has("dry_run") {
		switch q.Get("dry_run") {
		case "true":
			dryRun = true
		case "false":
		default:
			return 0, false, invalidField("dry_run", "not_bool")
		}
	}
	return wait, dryRun, nil
}

// roomOf is the rest of checks 5 and 6: the body's room_id of a per-room
// procedure, upper-cased, naming a live room; "" when absent (client_desync
// then acts on every live room).
func (m *Manager) roomOf(p procedure, body map[string]any) (string, *Error) {
	if !p.PerRoom {
		return "", nil
	}
	v, present := body["room_id"]
	switch s, isString := v.(string); {
	case !present && p.Name == RoomStateCorruption:
		return "", invalidField("room_id", "missing")
	case !present:
		return "", nil
	case !isString:
		return "", invalidField("room_id", "not_string")
	case s == "":
		return "", invalidField("room_id", "empty")
	default:
		id := strings.ToUpper(s)
		if !m.deps.Rooms.RoomExists(id) {
			return "", newError(http.StatusNotFound, CodeRoomNotFound, nil, "no room %s", id)
		}
		return id, nil
	}
}

// targets is what an attempt would act on now (dry run): the number of
// stale connections, room ids, or the components a global action touches.
func (m *Manager) targets(p procedure, roomID string) []string {
	var t []string
	switch p.Name {
	case StaleConnections:
		if n := m.deps.Hub.StaleConnections(); n > 0 {
			t = []string{fmt.Sprintf("%d stale connections", n)}
		}
	case HighPendingMessages:
		t = []string{"hub"}
	case RoomStateCorruption:
		t = []string{roomID}
	case ClientDesync:
		t = m.desyncRooms(roomID)
	case DatabaseConnectionLoss:
		t = []string{"store"}
	case MemoryPressure:
		t = []string{"hub", "rooms", "store", "runtime"}
	default:
		t = []string{"protection", "hub", "rooms", "store", "runtime"}
	}
	if t == nil {
		t = []string{}
	}
	return t
}
