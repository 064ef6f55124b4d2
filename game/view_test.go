package game

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// viewSpecExample is the member view of protocol.md §6.3, verbatim.
const viewSpecExample = `{"room_id":"K7MPQ3","seq":13,"server_time":1764245007215,"closed":false,"phase":"turn",
 "config":{"win_score":50,"max_rounds":20,"max_redeals":0,"redeal_window_ms":30000,"declaration_timeout_ms":30000,"play_timeout_ms":30000,"round_start_pause_ms":3000,"turn_results_pause_ms":3000,"scoring_pause_ms":5000,"bot_delay_ms":1000,"disconnect_grace_ms":15000,"abandon_in_game_ms":60000,"abandon_after_game_ms":300000,"fast_mode":false},
 "host_seat":1,"my_seat":1,
 "seats":[{"seat":1,"kind":"human","name":"Ana","player_id":"p_7kq2m9x4dw3h","controlled_by":"human","connected":true,"host":true,"left":false,"grace_deadline":null},
  {"seat":2,"kind":"bot","name":"Bot 2","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null},
  {"seat":3,"kind":"bot","name":"Bot 3","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null},
  {"seat":4,"kind":"bot","name":"Bot 4","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null}],
 "round":1,"deal":1,"multiplier":1,"turn":1,
 "my_hand":[{"id":2,"kind":"ADVISOR_RED","points":12},{"id":9,"kind":"ELEPHANT_BLACK","points":9},{"id":11,"kind":"CHARIOT_RED","points":8},{"id":14,"kind":"HORSE_RED","points":6},{"id":17,"kind":"HORSE_BLACK","points":5},{"id":19,"kind":"CANNON_RED","points":4},{"id":24,"kind":"SOLDIER_RED","points":2},{"id":29,"kind":"SOLDIER_BLACK","points":1}],
 "hand_sizes":[8,8,8,8],"declarations":[2,1,3,1],"zero_streaks":[0,0,0,0],"piles":[0,0,0,0],"scores":[0,0,0,0],"turns_won":[0,0,0,0],"perfect_rounds":[0,0,0,0],
 "actor":{"action":"play","seats":[3]},"deadline":null,"abandon_deadline":null,"starter":3,"starter_reason":"has_general_red","redeal":null,
 "declaration_order":[3,4,1,2],"turn_order":[3,4,1,2],"required_count":null,"turn_plays":[],"last_turn":null,"last_round":null,"game_result":null}`

// The object fields of protocol.md §6.1 that the §6.3 example leaves null.
var viewObjectKeys = map[string][]string{
	"actor":       {"action", "seats"},
	"redeal":      {"deal", "weak_seats", "offered", "awaiting_seats", "decisions"},
	"last_turn":   {"round", "turn", "winner", "piles", "plays"},
	"last_round":  {"round", "multiplier", "results"},
	"game_result": {"reason", "winners", "rounds", "ranking"},
	"play":        {"seat", "pieces", "play_type", "value"},
	"piece":       {"id", "kind", "points"},
}

var viewPerSeatArrays = []string{"seats", "hand_sizes", "declarations", "zero_streaks", "piles", "scores",
	"turns_won", "perfect_rounds"}

func viewDecode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// viewJSON renders, marshals and decodes a view.
func viewJSON(t testing.TB, s State, who Viewer) map[string]any {
	t.Helper()
	b, err := json.Marshal(RenderView(s, who))
	if err != nil {
		t.Fatalf("marshal view: %v", err)
	}
	return viewDecode(t, b)
}

// viewNormalize turns a Go value into what decoding its JSON gives.
func viewNormalize(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func viewKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func viewCompact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// viewDiff lists the top-level keys whose values differ.
func viewDiff(got, want map[string]any) []string {
	if reflect.DeepEqual(got, want) {
		return nil
	}
	var diffs []string
	seen := map[string]bool{}
	for _, m := range []map[string]any{want, got} {
		for _, k := range viewKeys(m) {
			if seen[k] {
				continue
			}
			seen[k] = true
			g, gok := got[k]
			w, wok := want[k]
			if gok != wok || !reflect.DeepEqual(g, w) {
				diffs = append(diffs, fmt.Sprintf("%s: got %s (present %v), want %s (present %v)",
					k, viewCompact(g), gok, viewCompact(w), wok))
			}
		}
	}
	return diffs
}

// viewSpecPiece is the Piece of id by the table of protocol.md §0.2.
func viewSpecPiece(id int) map[string]any {
	table := []struct {
		upTo   int
		kind   string
		points int
	}{
		{0, "GENERAL_RED", 14}, {1, "GENERAL_BLACK", 13}, {3, "ADVISOR_RED", 12}, {5, "ADVISOR_BLACK", 11},
		{7, "ELEPHANT_RED", 10}, {9, "ELEPHANT_BLACK", 9}, {11, "CHARIOT_RED", 8}, {13, "CHARIOT_BLACK", 7},
		{15, "HORSE_RED", 6}, {17, "HORSE_BLACK", 5}, {19, "CANNON_RED", 4}, {21, "CANNON_BLACK", 3},
		{26, "SOLDIER_RED", 2}, {31, "SOLDIER_BLACK", 1},
	}
	for _, row := range table {
		if id <= row.upTo {
			return map[string]any{"id": id, "kind": row.kind, "points": row.points}
		}
	}
	panic(fmt.Sprintf("piece id %d", id))
}

func viewSpecPieces(h Hand) []any {
	out := []any{}
	for _, id := range h.IDs() {
		out = append(out, viewSpecPiece(id))
	}
	return out
}

// ---- the oracle: the view rebuilt from the event stream alone ----

type viewModelSeat struct {
	kind, name, playerID, controller string
	connected, left                  bool
	grace                            Instant
}

// viewModel folds events into exactly what protocol.md §6 says a view shows,
// independently of State and Apply.
type viewModel struct {
	roomID            string
	closed            bool
	phase             Phase
	config            Config
	host              int
	seats             [numSeats]viewModelSeat
	round, deal, mult int
	turn              int
	hands             [numSeats]Hand
	declared          [numSeats]int
	zero, piles       [numSeats]int
	scores, won, perf [numSeats]int
	current           int
	deadline, abandon Instant
	starter           int
	reason            string
	weak              []int
	offered           bool
	awaiting          [numSeats]bool
	decisions         [numSeats]*bool
	declOrder         []int
	turnOrder         []int
	required          int
	plays             []PlayRecord
	lastTurn          *TurnWon
	lastRound         *RoundScored
	over              *GameOver
}

func (m *viewModel) apply(e Event) {
	switch p := e.Data.(type) {
	case RoomCreated:
		*m = viewModel{roomID: p.RoomID, phase: PhaseWaiting, config: p.Config, host: int(p.HostSeat)}
		for i := range m.seats {
			m.seats[i] = viewModelSeat{kind: Open}
			m.declared[i] = -1
		}
		if p.Host != nil {
			m.seats[0] = viewModelSeat{kind: Human, name: p.Host.Name, playerID: p.Host.PlayerID,
				controller: Human, connected: true}
		}
	case PlayerJoined:
		m.seats[p.Seat-1] = viewModelSeat{kind: Human, name: p.Name, playerID: p.PlayerID, controller: Human,
			connected: true}
	case BotAdded:
		m.seats[p.Seat-1] = viewModelSeat{kind: Bot, name: p.Name, controller: Bot, connected: true}
	case BotRemoved:
		m.seats[p.Seat-1] = viewModelSeat{kind: Open}
	case GameStarted:
		m.phase, m.round, m.deal, m.config, m.host = PhasePreparation, 1, 0, p.Config, int(p.HostSeat)
	case HandsDealt:
		if p.Round != m.round || m.deal == 0 { // a new round
			m.round, m.turn, m.starter, m.reason = p.Round, 0, 0, ""
			m.declOrder, m.lastTurn = nil, nil
			for i := range m.declared {
				m.declared[i], m.piles[i] = -1, 0
			}
		}
		m.phase, m.deal, m.mult, m.hands = PhasePreparation, p.Deal, p.Multiplier, p.Hands
		m.weak, m.offered, m.deadline, m.current = p.WeakSeats, p.RedealOffered, p.Deadline, 0
		m.awaiting, m.decisions = [numSeats]bool{}, [numSeats]*bool{}
		if p.RedealOffered {
			for _, w := range p.WeakSeats {
				m.awaiting[w-1] = true
			}
		}
		m.turnOrder, m.required, m.plays = nil, 0, nil
	case RedealDecided:
		accept := p.Accept
		m.decisions[p.Seat-1] = &accept
	case RedealStarted:
		m.mult, m.deadline = p.Multiplier, 0
	case RoundStarted:
		m.phase, m.starter, m.reason, m.mult, m.deadline = PhaseRoundStart, p.Starter, p.Reason, p.Multiplier, p.Deadline
	case DeclarationStarted:
		m.phase, m.declOrder, m.current, m.deadline = PhaseDeclaration, p.Order[:], p.Current, p.Deadline
	case Declared:
		m.declared[p.Seat-1], m.zero[p.Seat-1] = p.Value, p.ZeroStreak
		m.current, m.deadline = int(p.Next), p.Deadline
	case TurnStarted:
		m.phase, m.turn, m.turnOrder, m.required, m.plays = PhaseTurn, p.Turn, p.Order[:], 0, nil
		m.current, m.deadline = p.Starter, p.Deadline
	case Played:
		m.hands[p.Seat-1] &^= p.Pieces
		m.plays = append(m.plays, PlayRecord{Seat: p.Seat, Pieces: p.Pieces, PlayType: p.PlayType, Value: p.Value})
		m.required, m.current, m.deadline = p.Required, int(p.Next), p.Deadline
	case TurnWon:
		m.phase, m.current, m.deadline, m.lastTurn = PhaseTurnResults, 0, p.Deadline, &p
		m.piles, m.won = p.Captured, p.TurnsWon
	case RoundScored:
		m.phase, m.deadline, m.lastRound = PhaseScoring, p.Deadline, &p
		for i, r := range p.Results {
			m.scores[i] = r.Score
		}
		m.perf = p.PerfectRounds
	case GameOver:
		m.phase, m.deadline, m.current, m.over, m.abandon = PhaseGameOver, 0, 0, &p, p.AbandonDeadline
		for i := range m.seats {
			m.seats[i].grace = 0
		}
	case PlayerDisconnected:
		m.seats[p.Seat-1].connected, m.seats[p.Seat-1].grace = false, p.GraceDeadline
		if p.AbandonDeadline != 0 {
			m.abandon = p.AbandonDeadline
		}
	case PlayerReconnected:
		m.seats[p.Seat-1].connected, m.seats[p.Seat-1].grace, m.abandon = true, 0, 0
	case PlayerLeft:
		if m.phase == PhaseWaiting {
			m.seats[p.Seat-1] = viewModelSeat{kind: Open}
			break
		}
		st := &m.seats[p.Seat-1]
		st.connected, st.left, st.grace = false, true, 0
		if p.AbandonDeadline != 0 {
			m.abandon = p.AbandonDeadline
		}
	case SeatControlChanged:
		m.seats[p.Seat-1].controller, m.seats[p.Seat-1].grace = p.Controller, 0
	case HostChanged:
		m.host = p.ToSeat
	case RoomClosed:
		m.closed, m.deadline, m.abandon = true, 0, 0
		for i := range m.seats {
			m.seats[i].grace = 0
		}
	}
}

func viewOrNull[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func (m *viewModel) undecided() []int {
	out := []int{}
	for i, a := range m.awaiting {
		if a && m.decisions[i] == nil {
			out = append(out, i+1)
		}
	}
	return out
}

func viewModelPlays(plays []PlayRecord) []any {
	out := []any{}
	for _, p := range plays {
		out = append(out, map[string]any{"seat": p.Seat, "pieces": viewSpecPieces(p.Pieces),
			"play_type": p.PlayType, "value": p.Value})
	}
	return out
}

// expect is the view the model says who must get, as decoded JSON; base is
// m.expectBase().
func (m *viewModel) expect(t testing.TB, base map[string]any, who Viewer) map[string]any {
	v := make(map[string]any, len(base)+1)
	for k, x := range base {
		v[k] = x
	}
	switch {
	case who.Admin:
		var hands [numSeats]any
		for i, h := range m.hands {
			hands[i] = viewSpecPieces(h)
		}
		v["hands"] = viewNormalize(t, hands)
	case who.Seat >= 1 && who.Seat <= numSeats && !m.seats[who.Seat-1].left:
		v["my_seat"], v["my_hand"] = float64(who.Seat), viewNormalize(t, viewSpecPieces(m.hands[who.Seat-1]))
	}
	return v
}

// expectBase is the public view the model predicts, as decoded JSON.
func (m *viewModel) expectBase(t testing.TB) map[string]any {
	v := map[string]any{
		"room_id": m.roomID, "seq": 0, "server_time": 0, "closed": m.closed, "phase": m.phase,
		"config": m.config, "host_seat": viewOrNull(m.host), "my_seat": nil, "my_hand": nil,
		"round": m.round, "deal": m.deal, "multiplier": m.mult, "turn": m.turn,
		"deadline": viewOrNull(m.deadline), "abandon_deadline": viewOrNull(m.abandon),
		"starter": viewOrNull(m.starter), "starter_reason": viewOrNull(m.reason),
		"required_count": viewOrNull(m.required), "turn_plays": viewModelPlays(m.plays),
		"actor": nil, "redeal": nil, "declaration_order": nil, "turn_order": nil,
		"last_turn": nil, "last_round": nil, "game_result": nil,
	}
	var seats, sizes, decls [numSeats]any
	for i, st := range m.seats {
		seat := map[string]any{"seat": i + 1, "kind": st.kind, "name": nil, "player_id": nil,
			"controlled_by": nil, "connected": st.connected, "host": m.host == i+1, "left": st.left,
			"grace_deadline": viewOrNull(st.grace)}
		if st.kind != Open {
			seat["name"], seat["controlled_by"] = st.name, st.controller
		}
		if st.kind == Human {
			seat["player_id"] = st.playerID
		}
		seats[i] = seat
		sizes[i] = m.hands[i].Len()
		if m.declared[i] >= 0 {
			decls[i] = m.declared[i]
		}
	}
	v["seats"], v["hand_sizes"], v["declarations"] = seats, sizes, decls
	v["zero_streaks"], v["piles"], v["scores"], v["turns_won"], v["perfect_rounds"] = m.zero, m.piles, m.scores, m.won, m.perf
	if !m.closed {
		switch {
		case m.phase == PhasePreparation && len(m.undecided()) > 0:
			v["actor"] = map[string]any{"action": "redeal", "seats": m.undecided()}
		case m.phase == PhaseDeclaration && m.current != 0:
			v["actor"] = map[string]any{"action": "declare", "seats": []int{m.current}}
		case m.phase == PhaseTurn && m.current != 0:
			v["actor"] = map[string]any{"action": "play", "seats": []int{m.current}}
		}
	}
	if m.phase == PhasePreparation && len(m.weak) > 0 {
		v["redeal"] = map[string]any{"deal": m.deal, "weak_seats": m.weak, "offered": m.offered,
			"awaiting_seats": m.undecided(), "decisions": m.decisions}
	}
	if m.declOrder != nil {
		v["declaration_order"] = m.declOrder
	}
	if m.turnOrder != nil {
		v["turn_order"] = m.turnOrder
	}
	if lt := m.lastTurn; lt != nil {
		v["last_turn"] = map[string]any{"round": lt.Round, "turn": lt.Turn, "winner": lt.Winner, "piles": lt.Piles,
			"plays": viewModelPlays(lt.Plays)}
	}
	if lr := m.lastRound; lr != nil {
		v["last_round"] = map[string]any{"round": lr.Round, "multiplier": lr.Multiplier, "results": lr.Results}
	}
	if m.phase == PhaseGameOver && m.over != nil {
		v["game_result"] = map[string]any{"reason": m.over.Reason, "winners": m.over.Winners,
			"rounds": m.over.Rounds, "ranking": m.over.Ranking}
	}
	return viewNormalize(t, v).(map[string]any)
}

// ---- checks on one state ----

// viewChecker checks every view of every state of one room against the
// oracle, the field list of §6.1, the phase table of §6.2 and the redaction
// of §9.
type viewChecker struct {
	t          testing.TB
	name       string
	model      viewModel
	topKeys    []string // §6.3 example keys
	seatKeys   []string
	configKeys []string
	prevActor  map[string]any
	events     int
	phases     map[Phase]int
	actors     map[string]int
	types      map[string]int // events seen by type
	closedOwed int            // room_closed while a decision was owed
}

func newViewChecker(t testing.TB, name string) *viewChecker {
	t.Helper()
	ex := viewDecode(t, []byte(viewSpecExample))
	return &viewChecker{t: t, name: name, topKeys: viewKeys(ex),
		seatKeys:   viewKeys(ex["seats"].([]any)[0].(map[string]any)),
		configKeys: viewKeys(ex["config"].(map[string]any)),
		phases:     map[Phase]int{}, actors: map[string]int{}, types: map[string]int{}}
}

func viewViewers() []Viewer {
	return []Viewer{{}, {Admin: true}, {Seat: 1}, {Seat: 2}, {Seat: 3}, {Seat: 4}}
}

// event folds e into the oracle and checks the views of s, the state after e.
func (c *viewChecker) event(s State, e Event) {
	t := c.t
	t.Helper()
	c.checkDecision(e)
	c.model.apply(e)
	c.events++
	c.phases[s.Phase]++
	where := fmt.Sprintf("%s: event %d %s (phase %s)", c.name, c.events, e.Type(), s.Phase)
	c.types[e.Type()]++
	if _, ok := e.Data.(RoomClosed); ok && c.prevActor != nil {
		c.closedOwed++
	}
	base := c.model.expectBase(t)
	for _, who := range viewViewers() {
		got := viewJSON(t, s, who)
		if diffs := viewDiff(got, c.model.expect(t, base, who)); len(diffs) > 0 {
			t.Fatalf("%s: %+v view differs from the event-derived view:\n%s", where, who, strings.Join(diffs, "\n"))
		}
		c.checkShape(where, who, got)
		c.checkRedaction(where, s, who, got)
		c.checkPhaseTable(where, s, got)
		if who == (Viewer{}) {
			c.prevActor, _ = got["actor"].(map[string]any)
			if c.prevActor != nil {
				c.actors[c.prevActor["action"].(string)]++
			}
		}
	}
}

// checkDecision: the decision an event records was made by a seat the
// previous view named as actor.
func (c *viewChecker) checkDecision(e Event) {
	t := c.t
	t.Helper()
	var action string
	var seat int
	switch p := e.Data.(type) {
	case RedealDecided:
		action, seat = "redeal", p.Seat
	case Declared:
		action, seat = "declare", p.Seat
	case Played:
		action, seat = "play", p.Seat
	default:
		return
	}
	a := c.prevActor
	if a == nil || a["action"] != action || !slices.Contains(a["seats"].([]any), any(float64(seat))) {
		t.Fatalf("%s: event %d %s by seat %d, but the previous view's actor was %s",
			c.name, c.events+1, e.Type(), seat, viewCompact(a))
	}
}

// checkShape: field names of §6.1 as in the §6.3 example; per-seat arrays of 4.
func (c *viewChecker) checkShape(where string, who Viewer, got map[string]any) {
	t := c.t
	t.Helper()
	keys := viewKeys(got)
	_, hasHands := got["hands"]
	if hasHands != who.Admin {
		t.Fatalf("%s: %+v view has hands=%v", where, who, hasHands)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "hands" })
	if !slices.Equal(keys, c.topKeys) {
		t.Fatalf("%s: %+v view keys\n%v\nwant (§6.3)\n%v", where, who, keys, c.topKeys)
	}
	if k := viewKeys(got["config"].(map[string]any)); !slices.Equal(k, c.configKeys) {
		t.Fatalf("%s: config keys %v, want %v", where, k, c.configKeys)
	}
	for _, name := range viewPerSeatArrays {
		arr, ok := got[name].([]any)
		if !ok || len(arr) != numSeats {
			t.Fatalf("%s: %s = %s, want a per-seat array of 4", where, name, viewCompact(got[name]))
		}
	}
	for i, st := range got["seats"].([]any) {
		seat := st.(map[string]any)
		if k := viewKeys(seat); !slices.Equal(k, c.seatKeys) {
			t.Fatalf("%s: seat keys %v, want %v", where, k, c.seatKeys)
		}
		if seat["seat"] != float64(i+1) {
			t.Fatalf("%s: seats[%d].seat = %v", where, i, seat["seat"])
		}
	}
	if got["seq"] != 0.0 || got["server_time"] != 0.0 {
		t.Fatalf("%s: RenderView must leave seq and server_time 0", where)
	}
	plays, ok := got["turn_plays"].([]any)
	if !ok {
		t.Fatalf("%s: turn_plays = %s, want an array", where, viewCompact(got["turn_plays"]))
	}
	objectKeys := func(name string, v any) {
		if v == nil {
			return
		}
		if k := viewKeys(v.(map[string]any)); !slices.Equal(k, slices.Sorted(slices.Values(viewObjectKeys[name]))) {
			t.Fatalf("%s: %s keys %v, want %v", where, name, k, viewObjectKeys[name])
		}
	}
	for _, name := range []string{"actor", "redeal", "last_turn", "last_round", "game_result"} {
		objectKeys(name, got[name])
	}
	for _, p := range plays {
		objectKeys("play", p)
	}
	if lt, ok := got["last_turn"].(map[string]any); ok {
		for _, p := range lt["plays"].([]any) {
			objectKeys("play", p)
		}
	}
}

// viewPieces collects every Piece object anywhere in a decoded view.
func viewPieces(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["id"]; ok {
			if _, ok := x["kind"]; ok {
				*out = append(*out, x)
				return
			}
		}
		for _, child := range x {
			viewPieces(child, out)
		}
	case []any:
		for _, child := range x {
			viewPieces(child, out)
		}
	}
}

func viewIDs(t testing.TB, arr any) []int {
	t.Helper()
	ids := []int{}
	for _, p := range arr.([]any) {
		ids = append(ids, int(p.(map[string]any)["id"].(float64)))
	}
	return ids
}

// checkRedaction: §9 on the decoded view.
func (c *viewChecker) checkRedaction(where string, s State, who Viewer, got map[string]any) {
	t := c.t
	t.Helper()
	var all []map[string]any
	viewPieces(got, &all)
	for _, p := range all {
		id := int(p["id"].(float64))
		want := viewSpecPiece(id)
		if len(p) != 3 || p["kind"] != want["kind"] || p["points"] != float64(want["points"].(int)) {
			t.Fatalf("%s: piece %s, want %s", where, viewCompact(p), viewCompact(want))
		}
	}
	member := !who.Admin && who.Seat >= 1 && who.Seat <= numSeats && !s.Seats[who.Seat-1].Left
	switch {
	case who.Admin:
		if got["my_seat"] != nil || got["my_hand"] != nil {
			t.Fatalf("%s: admin view has my_seat %v, my_hand %v", where, got["my_seat"], got["my_hand"])
		}
		hands := got["hands"].([]any)
		if len(hands) != numSeats {
			t.Fatalf("%s: admin hands has %d entries", where, len(hands))
		}
		for i, h := range hands {
			if ids := viewIDs(t, h); !slices.Equal(ids, s.Seats[i].Hand.IDs()) {
				t.Fatalf("%s: admin hands[%d] = %v, want %v", where, i, ids, s.Seats[i].Hand.IDs())
			}
		}
		return
	case member:
		if got["my_seat"] != float64(who.Seat) {
			t.Fatalf("%s: member %d view has my_seat %v", where, who.Seat, got["my_seat"])
		}
		if ids := viewIDs(t, got["my_hand"]); !slices.Equal(ids, s.Seats[who.Seat-1].Hand.IDs()) {
			t.Fatalf("%s: member %d my_hand %v, want %v", where, who.Seat, ids, s.Seats[who.Seat-1].Hand.IDs())
		}
	default:
		if got["my_seat"] != nil || got["my_hand"] != nil {
			t.Fatalf("%s: public view %+v has my_seat %v, my_hand %s", where, who, got["my_seat"], viewCompact(got["my_hand"]))
		}
	}
	// No piece of a hidden hand may appear anywhere: every other seat's
	// current hand for a member, every hand for the public.
	for _, p := range all {
		id := int(p["id"].(float64))
		for i := range s.Seats {
			if s.Seats[i].Hand.Has(id) && !(member && i+1 == who.Seat) {
				t.Fatalf("%s: %+v view shows piece %d of seat %d's hand", where, who, id, i+1)
			}
		}
	}
}

// checkPhaseTable: protocol.md §6.2, read directly off the decoded view.
func (c *viewChecker) checkPhaseTable(where string, s State, got map[string]any) {
	t := c.t
	t.Helper()
	cfg, closed := s.Config, got["closed"] == true
	actor, _ := got["actor"].(map[string]any)
	action, _ := actor["action"].(string)
	deadline := got["deadline"]
	plays := got["turn_plays"].([]any)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: §6.2: "+format+"\nview: %s", append(append([]any{where}, args...), viewCompact(got))...)
	}
	nonNull := func(fields ...string) {
		t.Helper()
		for _, f := range fields {
			if got[f] == nil {
				fail("%s is null", f)
			}
		}
	}
	pause := func(ms int) {
		t.Helper()
		if actor != nil {
			fail("actor %s in a pause", viewCompact(actor))
		}
		if (deadline != nil) != (ms > 0 && !closed) {
			fail("deadline %v with pause %d ms", deadline, ms)
		}
	}
	if closed && (actor != nil || deadline != nil) {
		fail("a closed room waits for nobody")
	}
	if got["phase"] != string(PhaseGameOver) && got["game_result"] != nil {
		fail("game_result outside game_over")
	}
	if got["phase"] != string(PhasePreparation) && got["redeal"] != nil {
		fail("redeal outside preparation")
	}
	if (got["required_count"] != nil) != (len(plays) > 0) {
		fail("required_count %v with %d plays", got["required_count"], len(plays))
	}
	switch Phase(got["phase"].(string)) {
	case PhaseWaiting:
		if actor != nil || deadline != nil || got["round"] != 0.0 {
			fail("waiting needs actor, deadline null and round 0")
		}
	case PhasePreparation:
		redeal, _ := got["redeal"].(map[string]any)
		if (redeal != nil) != (s.WeakSeats != 0) {
			fail("redeal %v with weak seats %v", redeal, s.WeakSeats.Seats())
		}
		if actor != nil {
			if action != "redeal" || redeal == nil || !reflect.DeepEqual(actor["seats"], redeal["awaiting_seats"]) {
				fail("preparation actor %s", viewCompact(actor))
			}
		} else if redeal != nil && len(redeal["awaiting_seats"].([]any)) > 0 && !closed {
			fail("awaited seats remain but actor is null")
		}
		if deadline != nil && (redeal == nil || redeal["offered"] != true || cfg.RedealWindowMs == 0) {
			fail("deadline without a redeal window")
		}
	case PhaseRoundStart:
		pause(cfg.RoundStartPauseMs)
		nonNull("starter", "starter_reason")
	case PhaseDeclaration:
		nonNull("declaration_order", "starter")
		declared := 0
		for _, d := range got["declarations"].([]any) {
			if d != nil {
				declared++
			}
		}
		if (actor != nil) != (declared < numSeats && !closed) || (actor != nil && action != "declare") {
			fail("declaration actor %s with %d declared", viewCompact(actor), declared)
		}
		if actor != nil {
			seats := actor["seats"].([]any)
			order := got["declaration_order"].([]any)
			if len(seats) != 1 || seats[0] != order[declared] {
				fail("declarer %v, want declaration_order[%d]", seats, declared)
			}
		}
	case PhaseTurn:
		nonNull("turn_order", "declaration_order")
		if (actor != nil) != (len(plays) < numSeats && !closed) || (actor != nil && action != "play") {
			fail("turn actor %s with %d plays", viewCompact(actor), len(plays))
		}
		if actor != nil {
			seats := actor["seats"].([]any)
			if len(seats) != 1 || seats[0] != got["turn_order"].([]any)[len(plays)] {
				fail("player %v, want turn_order[%d]", seats, len(plays))
			}
		}
		for i, p := range plays {
			if p.(map[string]any)["seat"] != got["turn_order"].([]any)[i] {
				fail("turn_plays out of turn order")
			}
		}
	case PhaseTurnResults:
		pause(cfg.TurnResultsPauseMs)
		nonNull("last_turn", "turn_order")
		lt := got["last_turn"].(map[string]any)
		if lt["round"] != got["round"] || lt["turn"] != got["turn"] {
			fail("last_turn is not this turn")
		}
		if len(plays) != numSeats || !reflect.DeepEqual(plays, lt["plays"]) {
			fail("turn_plays must keep the turn's 4 plays")
		}
	case PhaseScoring:
		pause(cfg.ScoringPauseMs)
		nonNull("last_round")
		if got["last_round"].(map[string]any)["round"] != got["round"] {
			fail("last_round is not this round")
		}
	case PhaseGameOver:
		if actor != nil || deadline != nil {
			fail("game_over needs actor and deadline null")
		}
		nonNull("game_result", "last_round")
	default:
		fail("unknown phase")
	}
	if got["phase"] != string(PhaseWaiting) && !closed && got["round"] == 0.0 {
		fail("round 0 after the start")
	}
}

// ---- driving games ----

// viewDriveOpts shapes a driven game.
type viewDriveOpts struct {
	// chaos: humans also disconnect, reconnect, leave and let their timers
	// run out; after game over they all go away and the room is abandoned.
	chaos bool
	// failAt > 0 closes the room as failed before that step, mid-game.
	failAt int
}

// viewDrive plays one game with Decide and Apply and a clock that moves to
// each next deadline, so pauses, redeal windows and human timeouts are real.
// Seats with a strategy are human. Every event goes to visit with the state
// after it.
func viewDrive(t testing.TB, seed uint64, cfg Config, strategies [numSeats]Strategy, opts viewDriveOpts,
	visit func(State, Event)) State {
	t.Helper()
	chaos := opts.chaos
	env := Env{Now: MatchStart, Rand: rand.New(rand.NewPCG(seed, 11))}
	choices := rand.New(rand.NewPCG(seed, 12))
	var s State
	do := func(cmd Command) bool {
		t.Helper()
		events, err := Decide(s, cmd, env)
		if err != nil {
			return false
		}
		for _, e := range events {
			next, err := Apply(s, e)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			s = next
			visit(s, e)
		}
		return true
	}
	must := func(cmd Command) {
		t.Helper()
		if !do(cmd) {
			_, err := Decide(s, cmd, env)
			t.Fatalf("seed %d: %s rejected: %v", seed, cmd.commandName(), err)
		}
	}
	for _, cmd := range setupCommands(Match{Strategies: strategies, Config: cfg}) {
		must(cmd)
	}
	tick := func(at Instant) {
		env.Now = max(env.Now, at)
		must(Tick{})
	}
	for step := 0; !s.Closed && s.Phase != PhaseGameOver; step++ {
		if step > 50_000 {
			t.Fatalf("seed %d: no end after %d steps", seed, step)
		}
		if opts.failAt > 0 && step == opts.failAt {
			must(Close{Reason: CloseFailed})
			break
		}
		if chaos {
			seat := 1 + choices.IntN(numSeats)
			st := s.Seats[seat-1]
			if r := choices.IntN(200); strategies[seat-1] != nil && !st.Left {
				switch {
				case r < 3 && st.Connected:
					must(Disconnect{PlayerID: playerID(seat)})
					continue
				case r < 12 && !st.Connected:
					must(Reconnect{PlayerID: playerID(seat)})
					continue
				case r == 12 && seat != 1:
					must(Leave{PlayerID: playerID(seat)})
					continue
				}
			}
		}
		acted, dawdled := false, false
		for seat := 1; seat <= numSeats && !acted; seat++ {
			st := s.Seats[seat-1]
			if strategies[seat-1] == nil || st.Controller != Human || !st.Connected || !owes(&s, seat) {
				continue
			}
			if chaos && choices.IntN(8) == 0 {
				dawdled = true
				continue
			}
			must(decision(strategies[seat-1], ViewOf(s, seat), playerID(seat), choices))
			acted = true
		}
		if acted {
			continue
		}
		next := NextDeadline(s)
		if BotsOwing(s) != 0 {
			botAt := env.Now + Instant(cfg.Effective().BotDelayMs)
			if next == 0 || next > botAt {
				env.Now = botAt
				must(BotTurn{})
				continue
			}
		}
		switch {
		case next != 0:
			tick(next)
		case !dawdled:
			t.Fatalf("seed %d: nobody can act in phase %s", seed, s.Phase)
		}
	}
	if chaos && !s.Closed {
		// After the game: humans go away, the room is abandoned and closes.
		for seat := 1; seat <= numSeats; seat++ {
			if strategies[seat-1] != nil && s.Seats[seat-1].Connected {
				must(Disconnect{PlayerID: playerID(seat)})
			}
		}
		if next := NextDeadline(s); next != 0 {
			tick(next)
		}
	}
	return s
}

// ---- tests ----

func TestViewSeededGames(t *testing.T) {
	timed := DefaultConfig()
	timed.WinScore, timed.MaxRounds = 25, 2
	untimed := timed // no human deadlines, no redeal window
	untimed.RedealWindowMs, untimed.DeclarationTimeoutMs, untimed.PlayTimeoutMs = 0, 0, 0
	capped := timed
	capped.MaxRedeals = 1
	fast := timed
	fast.FastMode = true
	var (
		bot BotStrategy
		rnd RandomStrategy
	)
	cases := []struct {
		name       string
		cfg        Config
		strategies [numSeats]Strategy
		opts       viewDriveOpts
		seeds      []uint64
	}{
		{"timed/one-human", timed, [numSeats]Strategy{rnd, nil, nil, nil}, viewDriveOpts{}, []uint64{1}},
		{"timed/humans-chaos", timed, [numSeats]Strategy{bot, rnd, nil, rnd}, viewDriveOpts{chaos: true}, []uint64{3, 4, 5}},
		{"untimed/humans-chaos", untimed, [numSeats]Strategy{rnd, bot, rnd, bot}, viewDriveOpts{chaos: true}, []uint64{7, 8}},
		{"capped/canary", capped, [numSeats]Strategy{}, viewDriveOpts{}, []uint64{9}},
		{"fast/humans-chaos", fast, [numSeats]Strategy{rnd, rnd, nil, nil}, viewDriveOpts{chaos: true}, []uint64{10, 11}},
		// closed mid-game, with a decision owed in turn, declaration and preparation
		{"timed/failed", timed, [numSeats]Strategy{rnd, nil, nil, nil}, viewDriveOpts{failAt: 40}, []uint64{12}},
		{"timed/failed", timed, [numSeats]Strategy{rnd, nil, nil, nil}, viewDriveOpts{failAt: 9}, []uint64{13}},
		{"timed/failed", timed, [numSeats]Strategy{rnd, nil, nil, nil}, viewDriveOpts{failAt: 1}, []uint64{14}},
	}
	total := &viewChecker{phases: map[Phase]int{}, actors: map[string]int{}, types: map[string]int{}}
	var (
		mu         sync.Mutex
		ran, games int
	)
	t.Run("games", func(t *testing.T) {
		for _, tc := range cases {
			for _, seed := range tc.seeds {
				name := fmt.Sprintf("%s/seed%d", tc.name, seed)
				games++
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					c := newViewChecker(t, name)
					viewDrive(t, seed, tc.cfg, tc.strategies, tc.opts, c.event)
					mu.Lock()
					defer mu.Unlock()
					ran++
					for p, n := range c.phases {
						total.phases[p] += n
					}
					for a, n := range c.actors {
						total.actors[a] += n
					}
					for e, n := range c.types {
						total.types[e] += n
					}
					total.closedOwed += c.closedOwed
				})
			}
		}
	})
	if ran < games {
		return // a -run filter left games out: the coverage below is partial
	}
	// The games must have reached every phase and every kind of actor, or
	// the checks above proved less than they claim.
	for _, p := range []Phase{PhaseWaiting, PhasePreparation, PhaseRoundStart, PhaseDeclaration, PhaseTurn,
		PhaseTurnResults, PhaseScoring, PhaseGameOver} {
		if total.phases[p] == 0 {
			t.Errorf("no state in phase %s was checked", p)
		}
	}
	for _, a := range []string{"redeal", "declare", "play"} {
		if total.actors[a] == 0 {
			t.Errorf("no view with actor %s was checked", a)
		}
	}
	for name := range newPayload {
		if total.types[name] == 0 && name != "bot_removed" {
			t.Errorf("no state after a %s event was checked", name)
		}
	}
	if total.closedOwed < 2 {
		t.Errorf("only %d rooms closed while a decision was owed", total.closedOwed)
	}
	t.Logf("checked events by type: %v", total.types)
}

// TestViewPlayMatch checks every intermediate state of fast-mode matches
// played by PlayMatch, folding each command's events from the state before.
func TestViewPlayMatch(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FastMode, cfg.WinScore, cfg.MaxRounds = true, 30, 3
	for seed := uint64(100); seed < 103; seed++ {
		strategies := [numSeats]Strategy{RandomStrategy{}, nil, BotStrategy{}, nil}
		if seed%2 == 1 {
			strategies = [numSeats]Strategy{BotStrategy{}, RandomStrategy{}, RandomStrategy{}, BotStrategy{}}
		}
		name := fmt.Sprintf("seed%d", seed)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newViewChecker(t, name)
			final, _, err := PlayMatch(Match{Seed: seed, Strategies: strategies, Config: cfg,
				Step: func(before State, _ Command, events []Event, after State) {
					s := before
					for _, e := range events {
						var err error
						if s, err = Apply(s, e); err != nil {
							t.Fatal(err)
						}
						c.event(s, e)
					}
					if s != after {
						t.Fatal("refolded state differs from PlayMatch's")
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			v := viewJSON(t, final, Viewer{Seat: 1})
			if v["phase"] != "game_over" || v["game_result"] == nil {
				t.Fatalf("final view %s", viewCompact(v))
			}
		})
	}
}

// TestViewWaitingRoom covers the room layer: joins, bots, a disconnect, a
// leaving host and the empty close.
func TestViewWaitingRoom(t *testing.T) {
	c := newViewChecker(t, "waiting")
	env := Env{Now: MatchStart, Rand: rand.New(rand.NewPCG(1, 2))}
	var s State
	do := func(cmd Command) {
		t.Helper()
		events, err := Decide(s, cmd, env)
		if err != nil {
			t.Fatalf("%s: %v", cmd.commandName(), err)
		}
		for _, e := range events {
			if s, err = Apply(s, e); err != nil {
				t.Fatal(err)
			}
			c.event(s, e)
		}
	}
	do(CreateRoom{RoomID: "W2W2W2", Host: &Player{PlayerID: "pa", Name: "Ana"}, Config: DefaultConfig()})
	do(Join{Player: Player{PlayerID: "pb", Name: "Bo"}})
	do(SetSeat{PlayerID: "pa", Seat: 3, Bot: true})
	do(SetSeat{PlayerID: "pa", Seat: 4, Bot: true})
	do(SetSeat{PlayerID: "pa", Seat: 3})
	do(Disconnect{PlayerID: "pb"})
	v := viewJSON(t, s, Viewer{Seat: 1})
	seat2 := v["seats"].([]any)[1].(map[string]any)
	if seat2["connected"] != false || seat2["grace_deadline"] != float64(MatchStart)+15000 {
		t.Fatalf("disconnected seat: %s", viewCompact(seat2))
	}
	do(Reconnect{PlayerID: "pb"})
	do(Leave{PlayerID: "pa"})
	v = viewJSON(t, s, Viewer{Seat: 2})
	seat1 := v["seats"].([]any)[0].(map[string]any)
	if v["host_seat"] != 2.0 || seat1["kind"] != "open" || seat1["name"] != nil || seat1["controlled_by"] != nil ||
		seat1["player_id"] != nil || seat1["connected"] != false || seat1["host"] != false {
		t.Fatalf("after the host left: host_seat %v, seat 1 %s", v["host_seat"], viewCompact(seat1))
	}
	if v["seats"].([]any)[1].(map[string]any)["host"] != true {
		t.Fatal("seat 2 should be host")
	}
	do(Disconnect{PlayerID: "pb"})
	env.Now += 15000
	do(Tick{})
	v = viewJSON(t, s, Viewer{})
	if v["closed"] != true || v["phase"] != "waiting" || v["actor"] != nil || v["deadline"] != nil {
		t.Fatalf("closed room view %s", viewCompact(v))
	}
}

// viewGoldenEvents is the stream of protocol.md §12.1 and §12.2 (seq 1..17),
// with the hands the member-redacted hands_dealt hides filled in.
func viewGoldenEvents() []Event {
	ana := &Player{PlayerID: "p_7kq2m9x4dw3h", Name: "Ana"}
	cfg := DefaultConfig()
	pid := ana.PlayerID
	return []Event{
		{1764245000100, RoomCreated{RoomID: "K7MPQ3", HostSeat: 1, Host: ana, QuickPlay: true, Config: cfg}},
		{1764245000100, BotAdded{Seat: 2, Name: "Bot 2"}},
		{1764245000100, BotAdded{Seat: 3, Name: "Bot 3"}},
		{1764245000100, BotAdded{Seat: 4, Name: "Bot 4"}},
		{1764245000101, GameStarted{HostSeat: 1, Config: cfg, Seats: [numSeats]StartedSeat{
			{Seat: 1, PlayerID: &pid, Name: "Ana"}, {Seat: 2, Name: "Bot 2", Bot: true},
			{Seat: 3, Name: "Bot 3", Bot: true}, {Seat: 4, Name: "Bot 4", Bot: true}}}},
		{1764245000102, HandsDealt{Round: 1, Deal: 1, WeakSeats: []int{}, Multiplier: 1, Hands: SeatMap[Hand]{
			HandOf(2, 9, 11, 14, 17, 19, 24, 29), HandOf(1, 3, 8, 10, 12, 15, 20, 25),
			HandOf(0, 4, 13, 16, 21, 26, 27, 30), HandOf(5, 6, 7, 18, 22, 23, 28, 31)}}},
		{1764245000102, RoundStarted{Round: 1, Starter: 3, Reason: "has_general_red", Multiplier: 1, Deadline: 1764245003102}},
		{1764245003102, DeclarationStarted{Round: 1, Order: [numSeats]int{3, 4, 1, 2}, Current: 3}},
		{1764245004102, Declared{Round: 1, Seat: 3, Value: 3, By: ByBot, Total: 3, Next: 4}},
		{1764245005102, Declared{Round: 1, Seat: 4, Value: 1, By: ByBot, Total: 4, Next: 1, Deadline: 1764245035102}},
		{1764245006210, Declared{Round: 1, Seat: 1, Value: 2, By: ByPlayer, Total: 6, Next: 2}},
		{1764245007210, Declared{Round: 1, Seat: 2, Value: 1, By: ByBot, Total: 7}},
		{1764245007210, TurnStarted{Round: 1, Turn: 1, Starter: 3, Order: [numSeats]int{3, 4, 1, 2}}},
		{1764245007300, PlayerDisconnected{Seat: 1, GraceDeadline: 1764245022300, AbandonDeadline: 1764245067300}},
		{1764245008210, Played{Round: 1, Turn: 1, Seat: 3, Pieces: HandOf(0), PlayType: Single, Value: 14, Required: 1,
			By: ByBot, Next: 4}},
		{1764245009010, PlayerReconnected{Seat: 1}},
		{1764245009210, Played{Round: 1, Turn: 1, Seat: 4, Pieces: HandOf(23), PlayType: Single, Value: 2, Required: 1,
			By: ByBot, Next: 1, Deadline: 1764245039210}},
	}
}

// TestViewGoldenProtocolExample replays the protocol's worked example and
// requires the §6.3 view byte for byte (as JSON values), plus the view
// fragments §12 shows.
func TestViewGoldenProtocolExample(t *testing.T) {
	c := newViewChecker(t, "golden")
	var s State
	states := []State{{}}
	for _, e := range viewGoldenEvents() {
		var err error
		if s, err = Apply(s, e); err != nil {
			t.Fatalf("seq %d: %v", len(states), err)
		}
		c.event(s, e)
		states = append(states, s)
	}

	v := RenderView(states[13], Viewer{Seat: 1})
	v.Seq, v.ServerTime = 13, 1764245007215
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, want := viewDecode(t, b), viewDecode(t, []byte(viewSpecExample))
	if diffs := viewDiff(got, want); len(diffs) > 0 {
		t.Fatalf("member view at seq 13 differs from protocol §6.3:\n%s", strings.Join(diffs, "\n"))
	}

	// The public view is the same without the seat and hand; the admin
	// view adds every hand.
	pub := viewJSON(t, states[13], Viewer{})
	want["my_seat"], want["my_hand"], want["seq"], want["server_time"] = nil, nil, 0.0, 0.0
	if diffs := viewDiff(pub, want); len(diffs) > 0 {
		t.Fatalf("public view at seq 13:\n%s", strings.Join(diffs, "\n"))
	}
	admin := viewJSON(t, states[13], Viewer{Admin: true, Seat: 1})
	if admin["my_seat"] != nil || admin["my_hand"] != nil ||
		!reflect.DeepEqual(viewIDs(t, admin["hands"].([]any)[2]), []int{0, 4, 13, 16, 21, 26, 27, 30}) {
		t.Fatalf("admin view at seq 13: my_seat %v, hands %s", admin["my_seat"], viewCompact(admin["hands"]))
	}

	type fragment struct {
		seq    int
		who    Viewer
		fields string
	}
	for _, f := range []fragment{
		{7, Viewer{Seat: 1}, `{"phase":"round_start","actor":null,"deadline":1764245003102,"starter":3,"starter_reason":"has_general_red","declaration_order":null,"turn_order":null}`},
		{8, Viewer{Seat: 1}, `{"phase":"declaration","actor":{"action":"declare","seats":[3]},"deadline":null,"declaration_order":[3,4,1,2],"declarations":[null,null,null,null]}`},
		{10, Viewer{Seat: 1}, `{"actor":{"action":"declare","seats":[1]},"deadline":1764245035102,"declarations":[null,null,3,1]}`},
		{12, Viewer{Seat: 1}, `{"phase":"declaration","actor":null,"deadline":null,"declarations":[2,1,3,1],"turn_order":null,"turn":0}`},
		{14, Viewer{Seat: 2}, `{"my_seat":2,"abandon_deadline":1764245067300,"seats":[{"seat":1,"kind":"human","name":"Ana","player_id":"p_7kq2m9x4dw3h","controlled_by":"human","connected":false,"host":true,"left":false,"grace_deadline":1764245022300},{"seat":2,"kind":"bot","name":"Bot 2","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null},{"seat":3,"kind":"bot","name":"Bot 3","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null},{"seat":4,"kind":"bot","name":"Bot 4","player_id":null,"controlled_by":"bot","connected":true,"host":false,"left":false,"grace_deadline":null}]}`},
		{15, Viewer{Seat: 1}, `{"actor":{"action":"play","seats":[4]},"required_count":1,"hand_sizes":[8,8,7,8],"turn_plays":[{"seat":3,"pieces":[{"id":0,"kind":"GENERAL_RED","points":14}],"play_type":"SINGLE","value":14}]}`},
		{16, Viewer{Seat: 1}, `{"abandon_deadline":null,"actor":{"action":"play","seats":[4]}}`},
		{17, Viewer{Seat: 1}, `{"actor":{"action":"play","seats":[1]},"deadline":1764245039210,"required_count":1,"hand_sizes":[8,8,7,7]}`},
	} {
		got := viewJSON(t, states[f.seq], f.who)
		for k, w := range viewDecode(t, []byte(f.fields)) {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("seq %d %+v: %s = %s, want %s", f.seq, f.who, k, viewCompact(got[k]), viewCompact(w))
			}
		}
	}
}

// TestViewLeftSeatIsPublic: §9, a player who left reads at the public level;
// a viewer seat outside 1..4 is public too.
func TestViewLeftSeatIsPublic(t *testing.T) {
	var s State
	for _, e := range viewGoldenEvents()[:13] {
		s, _ = Apply(s, e)
	}
	var err error
	if s, err = Apply(s, Event{At: 1764245008000, Data: PlayerLeft{Seat: 1, Reason: ReasonLeft}}); err != nil {
		t.Fatal(err)
	}
	v := RenderView(s, Viewer{Seat: 1})
	if v.MySeat != 0 || v.MyHand != nil || v.Hands != nil {
		t.Fatalf("left seat still sees a member view: my_seat %d, my_hand %v", v.MySeat, v.MyHand)
	}
	if !v.Seats[0].Left || v.Seats[0].Connected {
		t.Fatalf("seat 1 %+v", v.Seats[0])
	}
	// Seats outside 1..4 are no seat: the public view.
	for _, seat := range []int{-1, 5} {
		if v := RenderView(s, Viewer{Seat: seat}); v.MySeat != 0 || v.MyHand != nil || v.Hands != nil {
			t.Fatalf("viewer seat %d got my_seat %d, my_hand %v", seat, v.MySeat, v.MyHand)
		}
	}
	if v := RenderView(s, Viewer{Seat: 2}); v.MySeat != 2 || len(v.MyHand) != handSize {
		t.Fatalf("seat 2 member view: my_seat %d, my_hand %v", v.MySeat, v.MyHand)
	}
}

// TestViewSpecExampleIsCurrent guards viewSpecExample against spec drift
// when the spec is checked out next to the module.
func TestViewSpecExampleIsCurrent(t *testing.T) {
	spec, err := os.ReadFile("../../shared/spec/protocol.md")
	if err != nil {
		t.Skipf("protocol.md not available: %v", err)
	}
	text := string(spec)
	i := strings.Index(text, "### 6.3")
	if i < 0 {
		t.Fatal("protocol.md has no §6.3")
	}
	text = text[i:]
	start := strings.Index(text, "```json\n")
	end := strings.Index(text[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("§6.3 has no json block")
	}
	var fromSpec, ours bytes.Buffer
	if err := json.Compact(&fromSpec, []byte(text[start+8:start+8+end])); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&ours, []byte(viewSpecExample)); err != nil {
		t.Fatal(err)
	}
	if fromSpec.String() != ours.String() {
		t.Fatalf("protocol.md §6.3 changed:\n%s\nours:\n%s", fromSpec.String(), ours.String())
	}
}
