package game

import "sort"

// ---- preparation: deal and redeal cycle (rules §7–§10) ----

// deal shuffles the full deck with the injected source and deals 8 to each
// seat; round > current round opens a new round.
func (d *decider) deal(round int) {
	s := &d.s
	redeals, multiplier := s.Redeals, s.Multiplier
	if round > s.Round || s.Deal == 0 {
		redeals, multiplier = 0, 1
	}
	perm := d.env.Rand.Perm(numPieces)
	var hands SeatMap[Hand]
	var weak SeatSet
	for i := range hands {
		hands[i] = HandOf(perm[i*handSize : (i+1)*handSize]...)
		if hands[i]&strongPieces == 0 {
			weak = weak.With(i + 1)
		}
	}
	capReached := s.Config.MaxRedeals > 0 && redeals >= s.Config.MaxRedeals
	offered := weak != 0 && !capReached
	var deadline Instant
	if offered {
		deadline = d.pause(s.Config.RedealWindowMs)
	}
	d.emit(HandsDealt{Round: round, Deal: s.Deal + 1, Hands: hands, WeakSeats: weak.Seats(),
		RedealOffered: offered, Multiplier: multiplier, Deadline: deadline})
	if !offered {
		d.startRound()
	}
}

func (d *decider) redealCommand(c Redeal) error {
	seat, err := d.seatFor(c.PlayerID, PhasePreparation)
	if err != nil {
		return err
	}
	s := &d.s
	switch {
	case c.Deal != 0 && c.Deal != s.Deal:
		return reject(CodeStaleDeal, map[string]any{"deal": s.Deal}, "deal %d is not the current deal %d", c.Deal, s.Deal)
	case !s.Awaiting.Has(seat):
		return reject(CodeRedealNotOffered, nil, "seat %d is not offered a redeal for deal %d", seat, s.Deal)
	case s.Decisions[seat-1] != Undecided:
		return reject(CodeAlreadyDecided, nil, "seat %d already answered for deal %d", seat, s.Deal)
	}
	d.decideRedeal(seat, c.Accept, ByPlayer)
	d.settle()
	return nil
}

func (d *decider) decideRedeal(seat int, accept bool, by string) {
	d.emit(RedealDecided{Deal: d.s.Deal, Seat: seat, Accept: accept, By: by})
	for _, n := range d.s.Awaiting.Seats() {
		if d.s.Decisions[n-1] == Undecided {
			return
		}
	}
	d.resolveRedeal()
}

// resolveRedeal ends a decision cycle once every awaited seat answered.
func (d *decider) resolveRedeal() {
	s := &d.s
	searchStart, _ := d.roundStarter()
	accepter := 0
	for _, n := range rotationFrom(searchStart) {
		if s.Decisions[n-1] == Accepted {
			accepter = n
			break
		}
	}
	if accepter == 0 {
		d.startRound()
		return
	}
	d.emit(RedealStarted{Deal: s.Deal, Accepter: accepter, Multiplier: s.Multiplier + 1, Redeals: s.Redeals + 1})
	d.deal(s.Round)
}

// roundStarter applies rules §10 to the present state.
func (d *decider) roundStarter() (int, string) {
	s := &d.s
	seat, reason := RoundStarter(s.Round, s.generalRedSeat()-1, s.LastTurnWinner-1, s.LatestAccepter-1)
	return seat + 1, reason
}

func (d *decider) startRound() {
	s := &d.s
	starter, reason := d.roundStarter()
	d.emit(RoundStarted{Round: s.Round, Starter: starter, Reason: reason, Multiplier: s.Multiplier,
		Deadline: d.pause(s.Config.RoundStartPauseMs)})
	if s.Config.RoundStartPauseMs == 0 {
		d.startDeclaration()
	}
}

// ---- declaration (rules §11) ----

func (d *decider) startDeclaration() {
	s := &d.s
	order := rotationFrom(s.Starter)
	d.emit(DeclarationStarted{Round: s.Round, Order: order, Current: order[0],
		Deadline: d.humanDeadline(order[0], s.Config.DeclarationTimeoutMs)})
}

func (d *decider) declareCommand(c Declare) error {
	seat, err := d.seatFor(c.PlayerID, PhaseDeclaration)
	if err != nil {
		return err
	}
	if seat != d.s.Current {
		return d.notYourTurn(seat)
	}
	s := &d.s
	if err := CheckDeclaration(c.Value, s.DeclTotal, s.DeclIndex == numSeats-1, s.seat(seat).ZeroStreak); err != nil {
		return err
	}
	d.declare(seat, c.Value, ByPlayer)
	d.settle()
	return nil
}

func (d *decider) declare(seat, value int, by string) {
	s := &d.s
	streak := 0
	if value == 0 {
		streak = s.seat(seat).ZeroStreak + 1
	}
	next := 0
	if s.DeclIndex+1 < numSeats {
		next = s.DeclOrder[s.DeclIndex+1]
	}
	d.emit(Declared{Round: s.Round, Seat: seat, Value: value, By: by, Total: s.DeclTotal + value,
		ZeroStreak: streak, Next: SeatRef(next), Deadline: d.humanDeadline(next, s.Config.DeclarationTimeoutMs)})
	if next == 0 {
		d.startTurn(s.Starter)
	}
}

// ---- turns (rules §12, §13) ----

func (d *decider) startTurn(starter int) {
	s := &d.s
	d.emit(TurnStarted{Round: s.Round, Turn: s.Turn + 1, Starter: starter, Order: rotationFrom(starter),
		Deadline: d.humanDeadline(starter, s.Config.PlayTimeoutMs)})
}

func (d *decider) playCommand(c Play) error {
	seat, err := d.seatFor(c.PlayerID, PhaseTurn)
	if err != nil {
		return err
	}
	if seat != d.s.Current {
		return d.notYourTurn(seat)
	}
	set, err := checkPieces(d.s.seat(seat).Hand, c.Pieces, d.s.Required)
	if err != nil {
		return err
	}
	d.play(seat, set, ByPlayer)
	d.settle()
	return nil
}

func (d *decider) play(seat int, pieces Hand, by string) {
	s := &d.s
	t, value := ClassifyHand(pieces)
	required := s.Required
	if s.NumPlays == 0 {
		required = pieces.Len()
	}
	next := 0
	if s.NumPlays+1 < numSeats {
		next = s.TurnOrder[s.NumPlays+1]
	}
	d.emit(Played{Round: s.Round, Turn: s.Turn, Seat: seat, Pieces: pieces, PlayType: t, Value: value,
		Required: required, By: by, Next: SeatRef(next), Deadline: d.humanDeadline(next, s.Config.PlayTimeoutMs)})
	if next == 0 {
		d.resolveTurn()
	}
}

// turnWinner is the index of the winning play by rules §3.2.
func turnWinner(plays []PlayRecord) int {
	best := 0
	for i := 1; i < len(plays); i++ {
		if plays[i].PlayType == plays[0].PlayType && plays[i].Value > plays[best].Value {
			best = i
		}
	}
	return best
}

func (d *decider) resolveTurn() {
	s := &d.s
	plays := s.Plays[:s.NumPlays]
	winner := plays[turnWinner(plays)].Seat
	var captured, turnsWon SeatMap[int]
	empty := true
	for i := range s.Seats {
		captured[i], turnsWon[i] = s.Seats[i].Captured, s.Seats[i].TurnsWon
		empty = empty && s.Seats[i].Hand == 0
	}
	captured[winner-1] += s.Required
	turnsWon[winner-1]++
	d.emit(TurnWon{Round: s.Round, Turn: s.Turn, Winner: winner, Piles: s.Required,
		Plays: append([]PlayRecord(nil), plays...), Captured: captured, TurnsWon: turnsWon,
		HandsEmpty: empty, Deadline: d.pause(s.Config.TurnResultsPauseMs)})
	if s.Config.TurnResultsPauseMs == 0 {
		d.afterTurnResults()
	}
}

func (d *decider) afterTurnResults() {
	s := &d.s
	for i := range s.Seats {
		if s.Seats[i].Hand != 0 {
			d.startTurn(s.LastTurn.Winner)
			return
		}
	}
	d.scoreRound()
}

// ---- scoring and the end (rules §14–§16) ----

func (d *decider) scores() []int {
	scores := make([]int, numSeats)
	for i := range d.s.Seats {
		scores[i] = d.s.Seats[i].Score
	}
	return scores
}

func (d *decider) scoreRound() {
	s := &d.s
	scored := RoundScored{Round: s.Round, Multiplier: s.Multiplier, Deadline: d.pause(s.Config.ScoringPauseMs)}
	scores := make([]int, numSeats)
	for i := range s.Seats {
		st := &s.Seats[i]
		base := RoundScore(st.Declared, st.Captured, 1)
		perfect := st.Declared > 0 && st.Captured == st.Declared
		scored.Results[i] = SeatResult{Seat: i + 1, Declared: st.Declared, Captured: st.Captured, Base: base,
			Delta: base * s.Multiplier, Score: st.Score + base*s.Multiplier, Perfect: perfect}
		scored.PerfectRounds[i] = st.PerfectRounds
		if perfect {
			scored.PerfectRounds[i]++
		}
		scores[i] = scored.Results[i].Score
	}
	scored.GameEnds = Winners(scores, s.Config.WinScore, s.Round, s.Config.MaxRounds) != nil
	d.emit(scored)
	if s.Config.ScoringPauseMs == 0 {
		d.afterScoring()
	}
}

func (d *decider) afterScoring() {
	s := &d.s
	scores := d.scores()
	winners := Winners(scores, s.Config.WinScore, s.Round, s.Config.MaxRounds)
	if winners == nil {
		d.deal(s.Round + 1)
		return
	}
	over := GameOver{Reason: EndMaxRounds, Rounds: s.Round, Winners: make([]int, len(winners))}
	for i, w := range winners {
		over.Winners[i] = w + 1
	}
	if scores[winners[0]] >= s.Config.WinScore {
		over.Reason = EndWinScore
	}
	order := []int{0, 1, 2, 3}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	for i, idx := range order {
		rank := 1
		for _, other := range scores {
			if other > scores[idx] {
				rank++
			}
		}
		st := &s.Seats[idx]
		over.Ranking[i] = RankEntry{Seat: idx + 1, Score: scores[idx], Rank: rank, TurnsWon: st.TurnsWon,
			PerfectRounds: st.PerfectRounds}
	}
	if s.Hosted && !s.anyHumanPresent() {
		over.AbandonDeadline = d.after(s.Config.AbandonAfterGameMs)
	}
	d.emit(over)
}
