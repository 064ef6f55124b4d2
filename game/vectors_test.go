package game_test

import (
	"slices"
	"strings"
	"testing"

	"liaptui/game"
)

var kindCodes = map[string]game.Kind{
	"GR": "GENERAL_RED",
	"GB": "GENERAL_BLACK",
	"AR": "ADVISOR_RED",
	"AB": "ADVISOR_BLACK",
	"ER": "ELEPHANT_RED",
	"EB": "ELEPHANT_BLACK",
	"CR": "CHARIOT_RED",
	"CB": "CHARIOT_BLACK",
	"HR": "HORSE_RED",
	"HB": "HORSE_BLACK",
	"NR": "CANNON_RED",
	"NB": "CANNON_BLACK",
	"SR": "SOLDIER_RED",
	"SB": "SOLDIER_BLACK",
}

// kindsOf parses a play such as "GR AR ER"; "" is the empty play.
func kindsOf(t *testing.T, s string) []game.Kind {
	t.Helper()
	ks := []game.Kind{}
	for _, code := range strings.Fields(s) {
		k, ok := kindCodes[code]
		if !ok {
			t.Fatalf("unknown piece code %q", code)
		}
		ks = append(ks, k)
	}
	return ks
}

// playsOf parses a turn such as "GR / GB".
func playsOf(t *testing.T, s string) [][]game.Kind {
	t.Helper()
	var plays [][]game.Kind
	for _, p := range strings.Split(s, "/") {
		plays = append(plays, kindsOf(t, p))
	}
	return plays
}

func kindsOfIDs(ids []int) []game.Kind {
	ks := make([]game.Kind, len(ids))
	for i, id := range ids {
		ks[i] = game.KindOfPiece(id)
	}
	return ks
}

// wantCode checks err against an expected code, "" meaning a nil error.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("got error %v, want nil", err)
		}
		return
	}
	if got := game.CodeOf(err); got != want {
		t.Errorf("got code %q (error %v), want %q", got, err, want)
	}
}

func TestKindVectors(t *testing.T) {
	pieces := []struct {
		id    string
		piece int
		want  game.Kind
	}{
		{"KP01", 0, "GENERAL_RED"},
		{"KP02", 1, "GENERAL_BLACK"},
		{"KP03", 2, "ADVISOR_RED"},
		{"KP04", 5, "ADVISOR_BLACK"},
		{"KP05", 10, "CHARIOT_RED"},
		{"KP06", 22, "SOLDIER_RED"},
		{"KP07", 27, "SOLDIER_BLACK"},
		{"KP08", 31, "SOLDIER_BLACK"},
	}
	for _, tc := range pieces {
		t.Run(tc.id, func(t *testing.T) {
			if got := game.KindOfPiece(tc.piece); got != tc.want {
				t.Errorf("KindOfPiece(%d) = %q, want %q", tc.piece, got, tc.want)
			}
		})
	}

	parses := []struct {
		id    string
		input string
		want  game.Kind
		isErr bool
	}{
		{"KP09", "GENERAL_RED", "GENERAL_RED", false},
		{"KP10", "KING_RED", "", true},
	}
	for _, tc := range parses {
		t.Run(tc.id, func(t *testing.T) {
			got, err := game.ParseKind(tc.input)
			if got != tc.want || (err != nil) != tc.isErr {
				t.Errorf("ParseKind(%q) = %q, %v; want %q, error %v", tc.input, got, err, tc.want, tc.isErr)
			}
		})
	}

	points := []struct {
		id   string
		kind game.Kind
		want int
	}{
		{"KP11", "GENERAL_RED", 14},
		{"KP12", "SOLDIER_BLACK", 1},
		{"KP13", "CANNON_RED", 4},
	}
	for _, tc := range points {
		t.Run(tc.id, func(t *testing.T) {
			if got := tc.kind.Points(); got != tc.want {
				t.Errorf("%q.Points() = %d, want %d", tc.kind, got, tc.want)
			}
		})
	}
}

func TestClassifyVectors(t *testing.T) {
	cases := []struct {
		id     string
		pieces string
		typ    game.PlayType
		value  int
	}{
		{"CL01", "GR", "SINGLE", 14},
		{"CL02", "", "INVALID", 0},
		{"CL03", "SR SR", "PAIR", 4},
		{"CL04", "GR GB", "INVALID", 27},
		{"CL05", "SR SR SR", "THREE_OF_A_KIND", 6},
		{"CL06", "SR SR SB", "INVALID", 5},
		{"CL07", "GR AR ER", "STRAIGHT", 36},
		{"CL08", "CB HB NB", "STRAIGHT", 15},
		{"CL09", "GR AR EB", "INVALID", 35},
		{"CL10", "CR CR HR", "INVALID", 22},
		{"CL11", "SR SR SR SB", "INVALID", 7},
		{"CL12", "CR HR HR NR", "EXTENDED_STRAIGHT", 18},
		{"CL13", "GB AB EB EB", "EXTENDED_STRAIGHT", 33},
		{"CL14", "AB AB EB EB", "INVALID", 40},
		{"CL15", "CR HR NR SR", "INVALID", 20},
		{"CL16", "SB SB SB SB SB", "FIVE_OF_A_KIND", 5},
		{"CL17", "CR CR HR HR NR", "EXTENDED_STRAIGHT_5", 18},
		{"CL18", "GR AR AR ER ER", "EXTENDED_STRAIGHT_5", 36},
		{"CL19", "CR CR HR HR NB", "INVALID", 31},
		{"CL20", "HR HR HR CR NR", "INVALID", 30},
		{"CL21", "GR AR ER CR HR", "INVALID", 50},
		{"CL22", "CR CR HR HR NR NR", "DOUBLE_STRAIGHT", 36},
		{"CL23", "CR CR HR HR NR NB", "INVALID", 35},
		{"CL24", "SR SR SR SR SR SB", "INVALID", 11},
		{"CL25", "CR CR HR HR NR NR SR", "INVALID", 38},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			ks := kindsOf(t, tc.pieces)
			if got := game.Classify(ks); got != tc.typ {
				t.Errorf("Classify(%s) = %s, want %s", tc.pieces, got, tc.typ)
			}
			if got := game.PlayValue(ks); got != tc.value {
				t.Errorf("PlayValue(%s) = %d, want %d", tc.pieces, got, tc.value)
			}
		})
	}
}

func TestTurnWinnerVectors(t *testing.T) {
	cases := []struct {
		id    string
		plays string
		want  int
	}{
		{"TW01", "GR / GB", 0},
		{"TW02", "AR / AR", 0},
		{"TW03", "AB AB / AR AR", 1},
		{"TW04", "HB HB / NR NR", 0},
		{"TW05", "SR SR SR / CB HB NB", 0},
		{"TW06", "GR AR ER / GB AB EB", 0},
		{"TW07", "CR HR HR NR / CR CR HR NR", 0},
		{"TW08", "GB AB AB EB / GR AR ER ER", 1},
		{"TW09", "GB AB AB EB EB / CR CR HR HR NR", 0},
		{"TW10", "SR SR SR SR / SB SB SB SB", 0},
		{"TW11", "CR CR HR HR NR NR / CB CB HB HB NB NB", 0},
		{"TW12", "CR SR / GR SB", -1},
		{"TW13", "SB SB SB / SR SR SR", 1},
		{"TW14", "GB / GR / AR / SB", 1},
		{"TW15", "SB / SR / SR / SB", 1},
		{"TW16", "GR / AR / GB / AB", 0},
		{"TW17", "SR SR / GR GB / SB SB / HB NB", 0},
		{"TW18", "NB NB / SR SR / HB HB / HR HR", 3},
		{"TW19", "SB SB SB / GR AR ER / SR SR SR / CB HB NB", 2},
		{"TW20", "CB HB HB NB / CR CR HR NR / SR SR SR SR / GB AB AB EB", 3},
		{"TW21", "CB CB HB HB NB / GR AR AR ER ER / CR CR HR NR NR / SR SR SR SR SB", 1},
		{"TW22", "CB CB HB HB NB NB / CR CR HR HR NR NR / GR GB AR AB ER EB / SB SB SB SB SB SR", 1},
		{"TW23", "SB / GR / AR / SR", 1},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if got := game.TurnWinner(playsOf(t, tc.plays)); got != tc.want {
				t.Errorf("TurnWinner(%s) = %d, want %d", tc.plays, got, tc.want)
			}
		})
	}
}

func TestRoundScoreVectors(t *testing.T) {
	cases := []struct {
		id                             string
		declared, captured, multiplier int
		want                           int
	}{
		{"SC01", 0, 0, 1, 3},
		{"SC02", 0, 1, 1, -1},
		{"SC03", 0, 8, 1, -8},
		{"SC04", 1, 1, 1, 6},
		{"SC05", 8, 8, 1, 13},
		{"SC06", 2, 4, 1, -2},
		{"SC07", 7, 0, 1, -7},
		{"SC08", 0, 0, 2, 6},
		{"SC09", 2, 5, 2, -6},
		{"SC10", 4, 4, 3, 27},
		{"SC11", 2, 2, 4, 28},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if got := game.RoundScore(tc.declared, tc.captured, tc.multiplier); got != tc.want {
				t.Errorf("RoundScore(%d, %d, %d) = %d, want %d", tc.declared, tc.captured, tc.multiplier, got, tc.want)
			}
		})
	}
}

func TestDeclarationOptionsVectors(t *testing.T) {
	cases := []struct {
		id          string
		othersTotal int
		isLast      bool
		zeroStreak  int
		want        []int
	}{
		{"DO01", 0, false, 0, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"DO02", 0, true, 0, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"DO03", 3, true, 0, []int{0, 1, 2, 3, 4, 6, 7, 8}},
		{"DO04", 8, true, 0, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"DO05", 9, true, 0, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"DO06", 0, false, 2, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"DO07", 5, true, 2, []int{1, 2, 4, 5, 6, 7, 8}},
		{"DO08", 8, true, 2, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"DO09", 0, true, 2, []int{1, 2, 3, 4, 5, 6, 7}},
		{"DO10", 5, true, 0, []int{0, 1, 2, 4, 5, 6, 7, 8}},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			got := game.DeclarationOptions(tc.othersTotal, tc.isLast, tc.zeroStreak)
			if !slices.Equal(got, tc.want) {
				t.Errorf("DeclarationOptions(%d, %t, %d) = %v, want %v", tc.othersTotal, tc.isLast, tc.zeroStreak, got, tc.want)
			}
		})
	}
}

func TestCheckDeclarationVectors(t *testing.T) {
	cases := []struct {
		id                 string
		value, othersTotal int
		isLast             bool
		zeroStreak         int
		want               string
	}{
		{"DC01", 9, 0, false, 0, "INVALID_VALUE"},
		{"DC02", 3, 5, true, 0, "DECLARATION_FORBIDDEN"},
		{"DC03", 1, 5, true, 0, ""},
		{"DC04", 0, 6, true, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			wantCode(t, game.CheckDeclaration(tc.value, tc.othersTotal, tc.isLast, tc.zeroStreak), tc.want)
		})
	}
}

func TestWeakHandVectors(t *testing.T) {
	cases := []struct {
		id   string
		hand string
		want bool
	}{
		{"WH01", "EB EB CR CR CB HR HR NR", true},
		{"WH02", "ER SB SB SB SB SB SR SR", false},
		{"WH03", "AB NB NB SB SB SB SR SR", false},
		{"WH04", "CR CR HR HR NR NR SB SB", true},
		{"WH05", "AR AR ER ER GR GB AB AB", false},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			if got := game.IsWeakHand(kindsOf(t, tc.hand)); got != tc.want {
				t.Errorf("IsWeakHand(%s) = %t, want %t", tc.hand, got, tc.want)
			}
		})
	}
}

func TestCheckPlayVectors(t *testing.T) {
	h1 := []int{0, 10, 14, 22, 23, 27, 28, 31}
	cases := []struct {
		id       string
		hand     []int
		pieces   []int
		required int
		want     string
	}{
		{"CP01", h1, []int{}, 0, "WRONG_PIECE_COUNT"},
		{"CP02", h1, []int{10, 14}, 0, "INVALID_PLAY"},
		{"CP03", h1, []int{22, 23, 27}, 2, "WRONG_PIECE_COUNT"},
		{"CP04", h1, []int{1}, 0, "PIECE_NOT_IN_HAND"},
		{"CP05", []int{0, 2, 6, 27, 28, 22, 20, 16}, []int{0, 2, 6}, 0, ""},
		{"CP06", []int{27, 22, 20, 16}, []int{27, 22}, 2, ""},
		{"CP07", []int{27, 28, 29, 22, 23}, []int{27, 28, 29}, 3, ""},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			wantCode(t, game.CheckPlay(tc.hand, tc.pieces, tc.required), tc.want)
		})
	}
}

func TestStarterVectors(t *testing.T) {
	starters := []struct {
		id                                                  string
		round, generalRedSeat, lastTurnWinner, latestAccept int
		seat                                                int
		reason                                              string
	}{
		{"ST01", 1, 2, -1, -1, 2, "has_general_red"},
		{"ST04", 1, 0, -1, 3, 3, "accepted_redeal"},
		{"ST05", 3, 0, 2, -1, 2, "won_last_turn"},
		{"ST06", 2, 3, 1, -1, 1, "won_last_turn"},
		{"ST08", 2, 3, 1, 0, 0, "accepted_redeal"},
		{"ST11", 2, 3, 1, 2, 2, "accepted_redeal"},
	}
	for _, tc := range starters {
		t.Run(tc.id, func(t *testing.T) {
			seat, reason := game.RoundStarter(tc.round, tc.generalRedSeat, tc.lastTurnWinner, tc.latestAccept)
			if seat != tc.seat || reason != tc.reason {
				t.Errorf("RoundStarter(%d, %d, %d, %d) = %d, %q; want %d, %q",
					tc.round, tc.generalRedSeat, tc.lastTurnWinner, tc.latestAccept, seat, reason, tc.seat, tc.reason)
			}
		})
	}

	t.Run("ST02", func(t *testing.T) {
		if got, want := game.Rotation(2), []int{2, 3, 0, 1}; !slices.Equal(got, want) {
			t.Errorf("Rotation(2) = %v, want %v", got, want)
		}
	})

	accepters := []struct {
		id          string
		searchStart int
		accepts     []bool
		want        int
	}{
		{"ST03", 2, []bool{false, true, false, true}, 3},
		{"ST07", 1, []bool{true, false, false, false}, 0},
		{"ST09", 0, []bool{false, false, true, true}, 2},
		{"ST10", 2, []bool{false, false, false, false}, -1},
		{"ST12", 2, []bool{true, true, false, true}, 3},
	}
	for _, tc := range accepters {
		t.Run(tc.id, func(t *testing.T) {
			if got := game.RedealAccepter(tc.searchStart, tc.accepts); got != tc.want {
				t.Errorf("RedealAccepter(%d, %v) = %d, want %d", tc.searchStart, tc.accepts, got, tc.want)
			}
		})
	}
}

func TestGameOverVectors(t *testing.T) {
	cases := []struct {
		id                         string
		before, declared, captured []int
		multiplier                 int
		after                      []int
		winners                    []int
	}{
		{"GO01", []int{45, 40, 0, 10}, []int{2, 3, 0, 1}, []int{2, 4, 0, 2}, 2, []int{59, 38, 6, 8}, []int{0}},
		{"GO02", []int{44, 42, 0, 0}, []int{1, 3, 0, 3}, []int{1, 3, 0, 4}, 1, []int{50, 50, 3, -1}, []int{0, 1}},
		{"GO03", []int{49, 49, 49, 49}, []int{1, 1, 1, 1}, []int{2, 2, 2, 2}, 1, []int{48, 48, 48, 48}, nil},
		{"GO04", []int{20, 20, 20, 20}, []int{0, 0, 0, 0}, []int{8, 0, 0, 0}, 3, []int{-4, 29, 29, 29}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			totals := make([]int, len(tc.before))
			for i := range totals {
				totals[i] = tc.before[i] + game.RoundScore(tc.declared[i], tc.captured[i], tc.multiplier)
			}
			if !slices.Equal(totals, tc.after) {
				t.Fatalf("totals after = %v, want %v", totals, tc.after)
			}
			if got := game.Winners(totals, 50, 5, 20); !slices.Equal(got, tc.winners) {
				t.Errorf("Winners(%v, 50, 5, 20) = %v, want %v", totals, got, tc.winners)
			}
		})
	}

	t.Run("GO05", func(t *testing.T) {
		scores := []int{12, 30, 30, -4}
		if got, want := game.Winners(scores, 50, 20, 20), []int{1, 2}; !slices.Equal(got, want) {
			t.Errorf("Winners(%v, 50, 20, 20) = %v, want %v", scores, got, want)
		}
	})
}

type roundTurn struct {
	starter     int
	seats       []int
	plays       [][]int
	turnWinner  int
	winner      int
	pilesEarned int
}

func TestRoundVector(t *testing.T) {
	t.Run("RW01", func(t *testing.T) {
		hands := [][]int{
			{0, 22, 23, 27, 28, 29, 30, 31},
			{10, 12, 16, 17, 20, 21, 24, 25},
			{2, 3, 11, 13, 14, 15, 18, 19},
			{1, 4, 5, 6, 7, 8, 9, 26},
		}
		weak := []bool{false, true, false, false}
		for seat, hand := range hands {
			if got := game.IsWeakHand(kindsOfIDs(hand)); got != weak[seat] {
				t.Errorf("seat %d: IsWeakHand = %t, want %t", seat, got, weak[seat])
			}
		}

		starter, reason := game.RoundStarter(2, 0, 1, -1)
		if starter != 1 || reason != "won_last_turn" {
			t.Fatalf("RoundStarter(2, 0, 1, -1) = %d, %q; want 1, %q", starter, reason, "won_last_turn")
		}
		order := game.Rotation(starter)
		if want := []int{1, 2, 3, 0}; !slices.Equal(order, want) {
			t.Fatalf("Rotation(%d) = %v, want %v", starter, order, want)
		}

		declared := make([]int, 4)
		values := map[int]int{1: 1, 2: 2, 3: 4, 0: 0}
		others := 0
		for i, seat := range order {
			isLast := i == len(order)-1
			if isLast {
				opts := game.DeclarationOptions(others, true, 0)
				if want := []int{0, 2, 3, 4, 5, 6, 7, 8}; others != 7 || !slices.Equal(opts, want) {
					t.Errorf("DeclarationOptions(%d, true, 0) = %v, want others 7 and %v", others, opts, want)
				}
			}
			v := values[seat]
			if err := game.CheckDeclaration(v, others, isLast, 0); err != nil {
				t.Errorf("seat %d: CheckDeclaration(%d, %d, %t, 0) = %v", seat, v, others, isLast, err)
			}
			declared[seat] = v
			others += v
		}

		turns := []roundTurn{
			{1, []int{1, 2, 3, 0}, [][]int{{12, 16, 20}, {11, 14, 18}, {1, 4, 8}, {27, 28, 29}}, 2, 3, 3},
			{3, []int{3, 0, 1, 2}, [][]int{{6, 7}, {30, 31}, {17, 21}, {15, 19}}, 0, 3, 2},
			{3, []int{3, 0, 1, 2}, [][]int{{26}, {0}, {10}, {13}}, 1, 0, 1},
			{0, []int{0, 1, 2, 3}, [][]int{{22, 23}, {24, 25}, {2, 3}, {5, 9}}, 2, 2, 2},
		}
		piles := make([]int, 4)
		lead := starter
		for n, turn := range turns {
			if turn.starter != lead || !slices.Equal(turn.seats, game.Rotation(lead)) {
				t.Fatalf("turn %d: starter %d, seats %v; want starter %d in rotation", n+1, turn.starter, turn.seats, lead)
			}
			required := 0
			kinds := make([][]game.Kind, len(turn.plays))
			for i, pieces := range turn.plays {
				seat := turn.seats[i]
				if err := game.CheckPlay(hands[seat], pieces, required); err != nil {
					t.Errorf("turn %d seat %d: CheckPlay(%v, %v, %d) = %v", n+1, seat, hands[seat], pieces, required, err)
				}
				hands[seat] = slices.DeleteFunc(hands[seat], func(id int) bool { return slices.Contains(pieces, id) })
				kinds[i] = kindsOfIDs(pieces)
				required = len(turn.plays[0])
			}
			idx := game.TurnWinner(kinds)
			if idx != turn.turnWinner || idx < 0 || turn.seats[idx] != turn.winner {
				t.Fatalf("turn %d: TurnWinner = %d, want %d (seat %d)", n+1, idx, turn.turnWinner, turn.winner)
			}
			piles[turn.winner] += turn.pilesEarned
			if turn.pilesEarned != len(turn.plays[0]) {
				t.Errorf("turn %d: piles %d, want the starter's count %d", n+1, turn.pilesEarned, len(turn.plays[0]))
			}
			lead = turn.winner
		}
		for seat, hand := range hands {
			if len(hand) != 0 {
				t.Errorf("seat %d still holds %v after the last turn", seat, hand)
			}
		}
		if want := []int{1, 0, 2, 5}; !slices.Equal(piles, want) {
			t.Errorf("piles = %v, want %v", piles, want)
		}

		wantDeltas := []int{-1, -1, 7, -1}
		for seat := range declared {
			if got := game.RoundScore(declared[seat], piles[seat], 1); got != wantDeltas[seat] {
				t.Errorf("seat %d: RoundScore(%d, %d, 1) = %d, want %d", seat, declared[seat], piles[seat], got, wantDeltas[seat])
			}
		}

		next, reason := game.RoundStarter(3, 0, lead, -1)
		if lead != 2 || next != 2 || reason != "won_last_turn" {
			t.Errorf("RoundStarter(3, 0, %d, -1) = %d, %q; want 2, %q", lead, next, reason, "won_last_turn")
		}
	})
}
